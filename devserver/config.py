"""What a run is configured with: ports, data directory and admin password, from the environment."""

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunConfig:
    """Everything that may change from one run to the next."""

    api_port: int
    content_port: int
    data_dir: Path
    admin_password: str
    host: str
    content_workers: int
    api_workers: int

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def content_origin(self) -> str:
        return f"http://{self.host}:{self.content_port}"

    @property
    def registry_host(self) -> str:
        return f"{self.host}:{self.content_port}"

    @classmethod
    def from_environ(cls, environ=os.environ) -> "RunConfig":
        return cls(
            api_port=int(environ.get("PULP_API_PORT", "24817")),
            content_port=int(environ.get("PULP_CONTENT_PORT", "24816")),
            data_dir=Path(environ.get("PULP_DATA_DIR", "./.pulp")).absolute(),
            admin_password=environ.get("PULP_ADMIN_PASSWORD", "password"),
            host=environ.get("PULP_HOST", "localhost"),
            content_workers=int(environ.get("PULP_CONTENT_WORKERS", "2")),
            api_workers=int(environ.get("PULP_API_WORKERS", "2")),
        )
