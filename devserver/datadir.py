"""The data directory: settings and secrets written on first start, kept by later runs.

Layout::

    settings.py        secrets and anything the user adds (DATABASES to use an external server)
    certs/             database field encryption key, token signing key pair
    postgres/          the embedded PostgreSQL cluster, when no external server is configured
    media/ tmp/        pulpcore's artifact storage and working directory
    run/settings.py    what this run decides (ports, database socket); rewritten every start
    run/processes.json the processes this run started, while any may run (runrecord.py)
    log/               one log file per process
"""

import runpy
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

SETTINGS_TEMPLATE = """\
# Settings of this Pulp server, written on its first start. Edit freely; secrets stay here.
SECRET_KEY = {secret_key!r}
DB_ENCRYPTION_KEY = {db_key!r}
TOKEN_SIGNATURE_ALGORITHM = "ES256"
PRIVATE_KEY_PATH = {private_key!r}
PUBLIC_KEY_PATH = {public_key!r}

# To use an existing PostgreSQL server instead of the embedded one, name it here:
# DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", "HOST": "db.example",
#     "PORT": 5432, "NAME": "pulp", "USER": "pulp", "PASSWORD": "..."}}}}
"""


class DataDir:
    """Paths inside one data directory, and the first-start bootstrap."""

    def __init__(self, root: Path):
        self.root = root
        self.settings = root / "settings.py"
        self.certs = root / "certs"
        self.db_key = self.certs / "database_fields.symmetric.key"
        self.private_key = self.certs / "token_private_key.pem"
        self.public_key = self.certs / "token_public_key.pem"
        self.postgres = root / "postgres"
        self.media = root / "media"
        self.working = root / "tmp"
        self.static = root / "static"
        self.run_settings = root / "run" / "settings.py"
        self.record = root / "run" / "processes.json"
        self.logs = root / "log"

    def ensure(self) -> bool:
        """Create what is missing; return True when this is the first start."""
        first_start = not self.settings.exists()
        for folder in (
            self.root,
            self.certs,
            self.media,
            self.working,
            self.static,
            self.logs,
            self.run_settings.parent,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        self.certs.chmod(0o700)
        if first_start:
            # Only now: a later start with a key gone must fail, naming it, not make a new one.
            _write_secret(self.db_key, Fernet.generate_key())
            _write_key_pair(self.private_key, self.public_key)
            _write_secret(
                self.settings,
                SETTINGS_TEMPLATE.format(
                    secret_key=secrets.token_urlsafe(50),
                    db_key=str(self.db_key),
                    private_key=str(self.private_key),
                    public_key=str(self.public_key),
                ).encode(),
            )
        return first_start

    def configured_databases(self) -> dict | None:
        """DATABASES as the user set it in settings.py, or None for the embedded server."""
        return runpy.run_path(str(self.settings)).get("DATABASES")

    def settings_files(self) -> str:
        """The PULP_SETTINGS value: user settings first, this run's decisions after."""
        return f"{self.settings},{self.run_settings}"


def _write_secret(path: Path, content: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_bytes(content)


def _write_key_pair(private_path: Path, public_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    _write_secret(
        private_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
