"""HTTP Basic credentials of registry requests (RFC 7617), as values. Pure: no Django, no I/O.

Registry clients differ in how they say "anonymous": docker sends no Authorization header,
podman and skopeo answer a Basic challenge with empty credentials (``Basic Og==``, i.e. ``:``).
Both are anonymous here; only a non-empty user name is a login attempt.
"""

import binascii
from base64 import b64decode
from dataclasses import dataclass, field

BASIC = "basic"
REALM = "Pulp container registry"


class CredentialsInvalid(ValueError):
    """An Authorization header that claims to be Basic but cannot be decoded."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    @property
    def anonymous(self):
        """Empty credentials: the client has none and says so."""
        return not self.username and not self.password


def scheme_of(authorization):
    """The lower-cased auth scheme of an Authorization header value ('' if there is none)."""
    return (authorization or "").strip().split(" ", 1)[0].lower()


def parse_basic(authorization):
    """Decode a ``Basic <base64(user:password)>`` header value.

    Returns:
        Credentials, or None when the header is not Basic.

    Raises:
        CredentialsInvalid: Basic, but not valid base64 of ``user:password``.
    """
    if scheme_of(authorization) != BASIC:
        return None
    parts = authorization.strip().split(None, 1)
    token = parts[1].strip() if len(parts) == 2 else ""
    if not token:
        # "Basic" alone: no credentials given at all.
        return Credentials("", "")
    try:
        decoded = b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CredentialsInvalid("Basic credentials are not base64 of 'user:password'") from exc
    username, colon, password = decoded.partition(":")
    if not colon:
        raise CredentialsInvalid("Basic credentials have no ':' between user and password")
    if "\x00" in decoded:
        raise CredentialsInvalid("Basic credentials hold a NUL character")
    return Credentials(username, password)


def challenge(realm=REALM):
    """The WWW-Authenticate value asking for Basic credentials."""
    escaped = realm.replace("\\", "\\\\").replace('"', '\\"')
    return f'Basic realm="{escaped}"'
