"""A minimal registry HTTP client used to fill and inspect the upstream registry.

It answers the registry's ``WWW-Authenticate`` challenges itself: Basic credentials for
htpasswd mode, and for token mode a token fetched from the challenge's realm with the
challenge's service and scope.
"""

import base64
import re
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urljoin

import requests

from tests.functional.upstream import media_types

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
TIMEOUT = 60


class RegistryClientError(RuntimeError):
    """The registry answered a harness request with an unexpected status."""

    def __init__(self, what: str, response: requests.Response):
        super().__init__(
            f"{what}: {response.request.method} {response.url} -> {response.status_code} "
            f"{response.text[:500]}"
        )
        self.response = response


@dataclass(frozen=True)
class Challenge:
    """A parsed ``WWW-Authenticate`` header: scheme (lower case) and its parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, header: str) -> "Challenge":
        scheme, _, rest = header.strip().partition(" ")
        return cls(scheme.lower(), dict(_CHALLENGE_PARAM.findall(rest)))


class RegistryClient:
    """Talks to one registry at ``base_url`` (``http://host:port``), optionally with credentials."""

    def __init__(self, base_url: str, username: str | None = None, password: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.session = requests.Session()
        self._authorization: str | None = None

    def __repr__(self) -> str:
        return f"RegistryClient({self.base_url!r}, username={self.username!r})"

    # --- transport -------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL for a ``/v2/...`` path or for a ``Location`` header value."""
        return urljoin(self.base_url + "/", path)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """Send a request, answering one authentication challenge if the registry sends it.

        A file-like ``data`` body is rewound before the retry.
        """
        kwargs.setdefault("timeout", TIMEOUT)
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and self._authenticate(response):
            body = kwargs.get("data")
            if hasattr(body, "seek"):
                body.seek(0)
            response = self._send(method, path, **kwargs)
        return response

    def _send(self, method: str, path: str, headers=None, **kwargs) -> requests.Response:
        headers = dict(headers or {})
        if self._authorization:
            headers["Authorization"] = self._authorization
        return self.session.request(method, self.url(path), headers=headers, **kwargs)

    def _authenticate(self, response: requests.Response) -> bool:
        header = response.headers.get("WWW-Authenticate")
        if not header:
            return False
        challenge = Challenge.parse(header)
        auth = (self.username, self.password) if self.username is not None else None
        if challenge.scheme == "basic" and auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self._authorization = f"Basic {token}"
            return True
        if challenge.scheme == "bearer" and "realm" in challenge.params:
            self._authorization = f"Bearer {self.fetch_token(challenge)}"
            return True
        return False

    def fetch_token(self, challenge: Challenge) -> str:
        """Ask the challenge's realm for a token covering its service and scope."""
        params = {key: value for key, value in challenge.params.items() if key != "realm"}
        auth = (self.username, self.password) if self.username is not None else None
        response = self.session.get(
            challenge.params["realm"], params=params, auth=auth, timeout=TIMEOUT
        )
        if response.status_code != 200:
            raise RegistryClientError("token request refused", response)
        body = response.json()
        return body.get("token") or body["access_token"]

    # --- registry operations ---------------------------------------------------------------

    def ping(self) -> requests.Response:
        return self.request("GET", "/v2/")

    def blob_exists(self, repository: str, digest: str) -> bool:
        response = self.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        return response.status_code == 200

    def upload_blob(self, repository: str, digest: str, body: bytes | BinaryIO, size: int) -> bool:
        """Upload a blob in one PUT (body may be a file, streamed). Returns False if it existed."""
        if self.blob_exists(repository, digest):
            return False
        started = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        if started.status_code != 202:
            raise RegistryClientError("starting a blob upload failed", started)
        finished = self.request(
            "PUT",
            started.headers["Location"],
            params={"digest": digest},
            data=body,
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
        )
        if finished.status_code != 201:
            raise RegistryClientError(f"uploading blob {digest} failed", finished)
        return True

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> str:
        """PUT manifest bytes as they are; returns the registry's ``Docker-Content-Digest``."""
        response = self.request(
            "PUT",
            f"/v2/{repository}/manifests/{reference}",
            data=data,
            headers={"Content-Type": media_type},
        )
        if response.status_code != 201:
            raise RegistryClientError(f"pushing manifest {repository}:{reference} failed", response)
        return response.headers["Docker-Content-Digest"]

    def get_manifest(
        self, repository: str, reference: str, accept=media_types.ALL_MANIFESTS
    ) -> requests.Response:
        return self.request(
            "GET",
            f"/v2/{repository}/manifests/{reference}",
            headers={"Accept": ", ".join(accept)},
        )

    def get_blob(self, repository: str, digest: str) -> requests.Response:
        return self.request("GET", f"/v2/{repository}/blobs/{digest}")

    def delete_manifest(self, repository: str, digest: str) -> requests.Response:
        return self.request("DELETE", f"/v2/{repository}/manifests/{digest}")

    def tags(self, repository: str) -> list[str]:
        response = self.request("GET", f"/v2/{repository}/tags/list")
        if response.status_code != 200:
            raise RegistryClientError(f"listing tags of {repository} failed", response)
        return response.json().get("tags") or []
