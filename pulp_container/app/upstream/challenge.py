"""Answering a registry's ``WWW-Authenticate`` challenge, as pure steps.

1. `parse_challenges` reads the header (RFC 7235: one or more challenges, each a scheme with
   ``key=value`` or ``key="quoted value"`` parameters).
2. `choose` picks the one to answer: Bearer (token auth) before Basic.
3. For Bearer, `token_request` builds the token endpoint request of the Docker token spec:
   ``GET <realm>?service=<service>&scope=<scope>``, one ``scope`` parameter per scope.
4. `parse_token_response` reads the token and how long it lives.

Nothing here does I/O; ``downloaders.py`` sends the requests.
"""

import base64
import json
import re
from dataclasses import dataclass, field
from types import MappingProxyType

BASIC = "basic"
BEARER = "bearer"

# Docker token spec: a token lives 60 seconds when the answer does not say, and never less.
DEFAULT_TOKEN_LIFETIME = 60
MIN_TOKEN_LIFETIME = 60

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_SCHEME_RE = re.compile(rf"\s*({_TOKEN})")
_PARAM_RE = re.compile(rf"\s*({_TOKEN})\s*=\s*({_TOKEN}|{_QUOTED})\s*")
_TOKEN68_RE = re.compile(r"\s*([A-Za-z0-9\-._~+/]+=*)\s*(?:,|$)")
_SEPARATOR_RE = re.compile(r"[\s,]*")


class ChallengeInvalid(ValueError):
    """A ``WWW-Authenticate`` header or a token answer cannot be understood."""


class TokenResponseInvalid(ChallengeInvalid):
    """The token endpoint answered something that holds no token."""


@dataclass(frozen=True)
class Challenge:
    """One challenge: the scheme in lower case and its parameters (names in lower case)."""

    scheme: str
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def realm(self):
        return self.params.get("realm")

    @property
    def service(self):
        return self.params.get("service")

    @property
    def scope(self):
        return self.params.get("scope")

    @property
    def error(self):
        return self.params.get("error")


def _unquote(value):
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _parse_params(header, position):
    """Read ``k=v`` parameters from `position`; stop before the next challenge's scheme."""
    params = {}
    while position < len(header):
        match = _PARAM_RE.match(header, position)
        if not match:
            break
        params[match.group(1).lower()] = _unquote(match.group(2))
        position = match.end()
        if position < len(header):
            if header[position] != ",":
                raise ChallengeInvalid(f"expected ',' at offset {position} of {header!r}")
            position = _SEPARATOR_RE.match(header, position).end()
    return params, position


def parse_challenges(header):
    """Parse a ``WWW-Authenticate`` header into its challenges, in order.

    Raises:
        ChallengeInvalid: the header does not follow the challenge grammar.
    """
    challenges = []
    position = _SEPARATOR_RE.match(header or "").end()
    while position < len(header or ""):
        scheme = _SCHEME_RE.match(header, position)
        if not scheme:
            raise ChallengeInvalid(f"expected an auth scheme at offset {position} of {header!r}")
        position = scheme.end()
        token68 = _TOKEN68_RE.match(header, position)
        if token68 and not _PARAM_RE.match(header, position):
            params, position = {"token68": token68.group(1)}, token68.end()
        else:
            params, position = _parse_params(header, position)
        challenges.append(Challenge(scheme.group(1).lower(), MappingProxyType(params)))
        position = _SEPARATOR_RE.match(header, position).end()
    return tuple(challenges)


def choose(challenges):
    """The challenge to answer: a Bearer one with a realm, else a Basic one, else None."""
    for challenge in challenges:
        if challenge.scheme == BEARER and challenge.realm:
            return challenge
    for challenge in challenges:
        if challenge.scheme == BASIC:
            return challenge
    return None


def pull_scope(name):
    """The token scope that lets a client pull repository `name`."""
    return f"repository:{name}:pull"


@dataclass(frozen=True)
class TokenRequest:
    """``GET url`` with `params` (a sequence of pairs: ``scope`` may repeat)."""

    url: str
    params: tuple[tuple[str, str], ...]


def token_request(challenge, default_scope=None):
    """The token request answering a Bearer challenge.

    Args:
        challenge: a Bearer Challenge with a realm.
        default_scope: asked for when the challenge names no scope (e.g. a 401 on ``/v2/``).

    Raises:
        ChallengeInvalid: the challenge is not a Bearer challenge or has no realm.
    """
    if challenge.scheme != BEARER or not challenge.realm:
        raise ChallengeInvalid("only a Bearer challenge with a realm leads to a token request")
    params = []
    if challenge.service:
        params.append(("service", challenge.service))
    scopes = (challenge.scope or default_scope or "").split()
    params.extend(("scope", scope) for scope in scopes)
    return TokenRequest(challenge.realm, tuple(params))


@dataclass(frozen=True)
class Token:
    """A bearer token and the time (same clock as the `now` it was read with) it expires."""

    value: str = field(repr=False)
    expires_at: float

    def is_fresh(self, now, margin=10):
        """Whether it still lives `margin` seconds from `now`."""
        return now + margin < self.expires_at


def parse_token_response(body, now):
    """Read the token endpoint's JSON answer.

    ``token`` is used, else the OAuth2 name ``access_token``. The lifetime counts from `now`
    (the local clock), not from ``issued_at``, so a skewed upstream clock cannot make a
    fresh token look expired.

    Raises:
        TokenResponseInvalid: the body is not JSON or holds no token.
    """
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise TokenResponseInvalid(f"token answer is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise TokenResponseInvalid("token answer is not a JSON object")
    value = document.get("token") or document.get("access_token")
    if not isinstance(value, str) or not value:
        raise TokenResponseInvalid("token answer has neither 'token' nor 'access_token'")
    lifetime = document.get("expires_in")
    if not isinstance(lifetime, int) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    return Token(value, now + max(lifetime, MIN_TOKEN_LIFETIME))


def basic_authorization(username, password):
    """The ``Authorization`` value for Basic credentials (an empty password is allowed)."""
    pair = f"{username}:{password or ''}".encode()
    return f"Basic {base64.b64encode(pair).decode('ascii')}"


def bearer_authorization(token):
    return f"Bearer {token.value}"
