"""The one registry client of the functional tests: raw HTTP to a registry's ``/v2/`` API, the
way docker and podman talk to it, for Pulp's registry and for the upstream test registry alike.

``request(method, path, **kwargs)`` sends any method, body and headers. A 401 with a
``WWW-Authenticate`` challenge is answered once, as a registry client does: ``Basic`` with the
client's credentials, ``Bearer`` with a token fetched from the challenge's realm for the
challenge's scope (anonymously without credentials). The client then sends the Authorization it
earned with its next requests, and answers a new challenge when that no longer suffices.
A request that carries its own ``auth=`` or ``Authorization`` header, or is sent with
``authenticate=False``, goes out exactly as given and its answer comes back as it is.

``token(*scopes)`` runs the token dance for any scopes (``repository:<name>:pull,push``,
``registry:catalog:*``) and ``authorize(*scopes)`` sends such a token with every request that
follows, so a push can start with a token that covers it.

``TokenAuth``, ``challenge_params`` and ``fetch_token`` at the end serve tests that send with
requests themselves; they answer challenges with the same code.
"""

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urljoin

import requests
from requests.auth import AuthBase

from tests.functional.media_types import ALL_MANIFESTS

TIMEOUT = 60
_CHALLENGE_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class RegistryClientError(RuntimeError):
    """The registry answered a request of the harness with an unexpected status."""

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
    def parse(cls, header: str | None) -> "Challenge":
        scheme, _, rest = (header or "").strip().partition(" ")
        params = {key: value.replace('\\"', '"') for key, value in _CHALLENGE_PARAM.findall(rest)}
        return cls(scheme.lower(), params)

    @classmethod
    def of(cls, response: requests.Response) -> "Challenge":
        """The challenge a response carries (scheme "" when it carries none)."""
        return cls.parse(response.headers.get("WWW-Authenticate"))


def error_code(response: requests.Response) -> str:
    """The code of the first error of a registry error body."""
    return response.json()["errors"][0]["code"]


def bearer(token: str) -> dict[str, str]:
    """Headers sending `token` as it is."""
    return {"Authorization": f"Bearer {token}"}


def _authorization(challenge: Challenge, credentials, session) -> str | None:
    """The Authorization header answering `challenge` (Basic with `credentials`, or a Bearer
    token for the challenged scope, asked through `session`: a requests Session or requests
    itself); None when there is none to give."""
    if challenge.scheme == "basic" and credentials:
        username, password = credentials
        return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    if challenge.scheme == "bearer" and "realm" in challenge.params:
        scopes = [challenge.params["scope"]] if challenge.params.get("scope") else []
        return f"Bearer {_token(challenge, scopes, credentials, session)}"
    return None


def _token(challenge: Challenge, scopes: list[str], credentials, session) -> str:
    """A token from the realm of a Bearer `challenge` for its service and `scopes`."""
    if challenge.scheme != "bearer" or "realm" not in challenge.params:
        raise RuntimeError(f"the registry does not ask for tokens: {challenge}")
    params = [("service", challenge.params["service"])] if "service" in challenge.params else []
    params += [("scope", scope) for scope in scopes]
    response = session.get(
        challenge.params["realm"], params=params, auth=credentials, timeout=TIMEOUT
    )
    if response.status_code != 200:
        raise RegistryClientError("token request refused", response)
    body = response.json()
    return body.get("token") or body["access_token"]


class RegistryClient:
    """Talks to the registry at `origin` (``http://host:port``, or ``host:port``), as the user
    `credentials` (``(username, password)``) or anonymously."""

    def __init__(self, origin: str, credentials: tuple[str, str] | None = None):
        if "://" not in origin:
            origin = f"http://{origin}"
        self.origin = origin.rstrip("/")
        self.credentials = tuple(credentials) if credentials is not None else None
        self.session = requests.Session()
        self._authorization: str | None = None

    def __repr__(self) -> str:
        username = self.credentials[0] if self.credentials else None
        return f"RegistryClient({self.origin!r}, username={username!r})"

    # --- transport -------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL for a ``/v2/...`` path or for a ``Location`` header value."""
        return urljoin(self.origin + "/", path)

    def request(
        self, method: str, path: str, *, authenticate: bool = True, **kwargs
    ) -> requests.Response:
        """Send a request; answer one authentication challenge unless the request brings its
        own authentication or `authenticate` is False. The challenged response, if any, is the
        first of the answer's ``history``. A file-like ``data`` body is rewound to resend it."""
        kwargs.setdefault("timeout", TIMEOUT)
        headers = dict(kwargs.pop("headers", None) or {})
        chosen = "auth" in kwargs or any(key.lower() == "authorization" for key in headers)
        if chosen or not authenticate:
            return self.session.request(method, self.url(path), headers=headers, **kwargs)
        response = self._send(method, path, headers, kwargs)
        if response.status_code != 401 or not self._answer(Challenge.of(response)):
            return response
        response.content  # noqa: B018 -- read it all, so the connection is free for the retry
        body = kwargs.get("data")
        if hasattr(body, "seek"):
            body.seek(0)
        answered = self._send(method, path, headers, kwargs)
        answered.history = [*response.history, response, *answered.history]
        return answered

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs) -> requests.Response:
        return self.request("HEAD", path, **kwargs)

    def _send(self, method, path, headers, kwargs) -> requests.Response:
        if self._authorization:
            headers = {**headers, "Authorization": self._authorization}
        return self.session.request(method, self.url(path), headers=headers, **kwargs)

    def _answer(self, challenge: Challenge) -> bool:
        """Earn the Authorization `challenge` asks for; False when there is none to earn."""
        authorization = _authorization(challenge, self.credentials, self.session)
        if authorization is None:
            return False
        self._authorization = authorization
        return True

    # --- the token dance -------------------------------------------------------------------

    def challenge(self) -> Challenge:
        """The challenge ``GET /v2/`` answers without credentials: the realm and service."""
        return Challenge.of(self.get("/v2/", authenticate=False))

    def token(self, *scopes: str) -> str:
        """A token from the registry's realm covering `scopes` as far as the credentials allow
        (each like ``repository:<name>:pull,push``)."""
        return _token(self.challenge(), list(scopes), self.credentials, self.session)

    def authorize(self, *scopes: str) -> str:
        """Fetch a token for `scopes` and send it with the requests that follow; returns it."""
        token = self.token(*scopes)
        self._authorization = f"Bearer {token}"
        return token

    # --- registry operations ---------------------------------------------------------------

    def ping(self) -> requests.Response:
        return self.get("/v2/")

    def manifest(
        self, name: str, reference: str, accept=ALL_MANIFESTS, method: str = "GET", **kwargs
    ) -> requests.Response:
        """GET (or HEAD) a manifest, accepting every manifest media type unless `accept`
        narrows it."""
        headers = {"Accept": ", ".join(accept), **kwargs.pop("headers", {})}
        return self.request(method, f"/v2/{name}/manifests/{reference}", headers=headers, **kwargs)

    def blob(self, name: str, digest: str, method: str = "GET", **kwargs) -> requests.Response:
        return self.request(method, f"/v2/{name}/blobs/{digest}", **kwargs)

    def blob_exists(self, name: str, digest: str) -> bool:
        return self.blob(name, digest, method="HEAD").status_code == 200

    def tags(self, name: str) -> list[str]:
        response = self.get(f"/v2/{name}/tags/list")
        if response.status_code != 200:
            raise RegistryClientError(f"listing tags of {name} failed", response)
        return response.json().get("tags") or []

    def upload_blob(self, name: str, digest: str, body: bytes | BinaryIO, size: int) -> bool:
        """Upload a blob in one PUT (body may be a file, streamed). Returns False if it existed."""
        if self.blob_exists(name, digest):
            return False
        started = self.request("POST", f"/v2/{name}/blobs/uploads/")
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

    def put_manifest(self, name: str, reference: str, data: bytes, media_type: str) -> str:
        """PUT manifest bytes as they are; returns the registry's ``Docker-Content-Digest``."""
        response = self.request(
            "PUT",
            f"/v2/{name}/manifests/{reference}",
            data=data,
            headers={"Content-Type": media_type},
        )
        if response.status_code != 201:
            raise RegistryClientError(f"pushing manifest {name}:{reference} failed", response)
        return response.headers["Docker-Content-Digest"]

    def delete_manifest(self, name: str, digest: str) -> requests.Response:
        return self.request("DELETE", f"/v2/{name}/manifests/{digest}")


# --- for tests that send with requests themselves -------------------------------------------
# Tests written against the helpers this module had before RegistryClient (push tests on other
# branches) keep working through these; they answer challenges with the code above.


def monolithic_upload(origin: str, name: str, data: bytes, auth=None) -> requests.Response:
    """A blob upload in one request: ``POST /v2/<name>/blobs/uploads/?digest=`` with the body,
    sent as it is (`auth` is any requests auth, e.g. Basic credentials or a TokenAuth)."""
    return requests.post(
        f"{origin}/v2/{name}/blobs/uploads/",
        params={"digest": f"sha256:{hashlib.sha256(data).hexdigest()}"},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
        auth=auth,
        timeout=60,
    )


def challenge_params(header: str | None) -> dict[str, str] | None:
    """The parameters of a Bearer challenge; None for any other."""
    challenge = Challenge.parse(header)
    return challenge.params if challenge.scheme == "bearer" else None


def fetch_token(params: dict[str, str], auth: tuple[str, str] | None = None) -> str:
    """A token for the scope of a Bearer challenge's `params`, as `auth` or anonymously."""
    challenge = Challenge("bearer", params)
    scopes = [params["scope"]] if params.get("scope") else []
    return _token(challenge, scopes, auth, requests)


class TokenAuth(AuthBase):
    """requests' auth answering one 401 challenge per request as RegistryClient does, with
    ``(username, password)`` or anonymously."""

    def __init__(self, username: str | None = None, password: str | None = None):
        self.credentials = (username, password) if username is not None else None

    def __call__(self, request):
        request.register_hook("response", self._answer_challenge)
        return request

    def _answer_challenge(self, response, **kwargs):
        if response.status_code != 401:
            return response
        authorization = _authorization(Challenge.of(response), self.credentials, requests)
        if authorization is None:
            return response
        retry = response.request.copy()
        retry.headers["Authorization"] = authorization
        retry.hooks = {"response": []}
        response.content  # noqa: B018 -- read it all, so the connection is free for the retry
        answered = response.connection.send(retry, **kwargs)
        answered.history = [*response.history, response, *answered.history]
        return answered
