"""A token server for the upstream registry's ``auth: token`` mode.

Runs ``http.server`` in a thread on a free loopback port. ``GET /token?service=..&scope=..``
checks optional Basic credentials and returns a JWT (RS256) listing the granted access.
The JWT header carries the signing certificate as ``x5c`` (what docker-registry 2.8 checks
against its ``rootcertbundle``) and a libtrust-style ``kid`` too.
"""

import base64
import datetime
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ANONYMOUS = ""


@dataclass(frozen=True)
class TokenRequest:
    """One request the token server answered: who asked, for which scopes, what it granted."""

    account: str
    scopes: tuple[str, ...]
    granted: tuple[dict, ...]
    status: int


def libtrust_key_id(public_key) -> str:
    """The ``kid`` docker-registry derives for a key: base32 of sha256(SPKI)[:30], in 4s."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    encoded = base64.b32encode(hashlib.sha256(spki).digest()[:30]).decode()
    return ":".join(encoded[index : index + 4] for index in range(0, len(encoded), 4))


def make_signing_cert(common_name: str = "upstream-token-issuer"):
    """Return ``(private_key, certificate)``: a fresh RSA key and a self-signed cert for it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def parse_scope(scope: str) -> dict | None:
    """``repository:name:pull,push`` -> access entry; names may contain ``:`` (host:port)."""
    resource_type, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not resource_type or not name:
        return None
    return {"type": resource_type, "name": name, "actions": [a for a in actions.split(",") if a]}


class TokenServer:
    """Issues registry tokens for ``users`` (name -> password).

    Args:
        users: accepted Basic credentials; a valid user gets every action it asks for.
        service: expected ``service`` parameter and the token's ``aud``.
        issuer: the token's ``iss``; must match the registry's ``auth.token.issuer``.
        anonymous_pull: grant ``pull`` to requests without credentials (else grant nothing).
        ttl: token lifetime in seconds.
    """

    def __init__(
        self,
        users: dict[str, str],
        *,
        service: str = "upstream-registry",
        issuer: str = "upstream-token-issuer",
        anonymous_pull: bool = False,
        ttl: int = 300,
    ):
        self.users = dict(users)
        self.service = service
        self.issuer = issuer
        self.anonymous_pull = anonymous_pull
        self.ttl = ttl
        self.key, self.cert = make_signing_cert(issuer)
        self.requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def realm(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/token"

    def write_cert(self, path: Path) -> Path:
        """Write the signing certificate as PEM (the registry's ``rootcertbundle``)."""
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def start(self) -> "TokenServer":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns quickly
            name="upstream-token-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def grant(self, account: str, scopes: list[str]) -> list[dict]:
        """Access entries for ``account`` (``ANONYMOUS`` for none) asking for ``scopes``."""
        granted = []
        for scope in scopes:
            access = parse_scope(scope)
            if access is None:
                continue
            if account == ANONYMOUS:
                access["actions"] = (
                    ["pull"] if self.anonymous_pull and "pull" in access["actions"] else []
                )
            if access["actions"]:
                granted.append(access)
        return granted

    def issue(self, account: str, access: list[dict]) -> str:
        """A signed JWT for ``account`` with the given access entries."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": account,
            "aud": self.service,
            "exp": now + self.ttl,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        der = self.cert.public_bytes(serialization.Encoding.DER)
        headers = {
            "typ": "JWT",
            "kid": libtrust_key_id(self.key.public_key()),
            "x5c": [base64.b64encode(der).decode()],
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers=headers)

    def _record(self, request: TokenRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _handler_for(server: TokenServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # keep pytest output quiet
            pass

        def do_GET(self):
            url = urlsplit(self.path)
            if url.path != "/token":
                return self._reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            query = parse_qs(url.query)
            scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
            account = self._account()
            if account is None:
                server._record(TokenRequest("?", tuple(scopes), (), 401))
                return self._reply(
                    401,
                    {"errors": [{"code": "UNAUTHORIZED", "message": "invalid credentials"}]},
                    {"WWW-Authenticate": 'Basic realm="upstream-token"'},
                )
            granted = server.grant(account, scopes)
            server._record(TokenRequest(account, tuple(scopes), tuple(granted), 200))
            token = server.issue(account, granted)
            issued = datetime.datetime.now(datetime.UTC).isoformat()
            body = {
                "token": token,
                "access_token": token,
                "expires_in": server.ttl,
                "issued_at": issued,
            }
            self._reply(200, body)

        def _account(self) -> str | None:
            """The authenticated user, ``ANONYMOUS`` without credentials, None if wrong."""
            header = self.headers.get("Authorization", "")
            if not header:
                return ANONYMOUS
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                return None
            try:
                username, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                return None
            return username if server.users.get(username) == password else None

        def _reply(self, status: int, body: dict, headers: dict | None = None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
