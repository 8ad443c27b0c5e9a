"""Signing and verifying registry tokens (JWTs) with the configured asymmetric key pair.

The signer and verifier take keys and settings as arguments, so they are pure apart from the
clock; ``keys.py`` loads them from the files that settings name.
"""

import secrets
import time
from dataclasses import dataclass

import jwt

ALLOWED_ALGORITHMS = ("ES256", "RS256")
LEEWAY_SECONDS = 10


class TokenInvalid(ValueError):
    """A presented token that may not be used; ``reason`` is the WWW-Authenticate error."""

    def __init__(self, message: str, reason: str = "invalid_token"):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    issued_at: int


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    access: list


def issue(
    *,
    private_key,
    algorithm: str,
    issuer: str,
    audience: str,
    subject: str,
    access: list,
    lifetime: int,
    now: float | None = None,
) -> IssuedToken:
    """Sign a token for ``subject`` granting ``access`` (a list of access-claim entries)."""
    issued_at = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_urlsafe(16),
        "access": access,
    }
    token = jwt.encode(claims, private_key, algorithm=algorithm)
    return IssuedToken(token=token, expires_in=lifetime, issued_at=issued_at)


def verify(token: str, *, public_key, algorithm: str, audience: str, issuer: str) -> TokenClaims:
    """Check signature (only ``algorithm``), expiry, not-before, audience and issuer.

    Raises:
        TokenInvalid: for any token that may not be used.
    """
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "nbf", "iat", "aud", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("the token has expired")
    except jwt.ImmatureSignatureError:
        raise TokenInvalid("the token is not valid yet")
    except jwt.InvalidAudienceError:
        raise TokenInvalid("the token is for another service")
    except jwt.InvalidIssuerError:
        raise TokenInvalid("the token was issued by someone else")
    except jwt.PyJWTError as error:
        raise TokenInvalid(f"the token cannot be used: {error}")
    access = claims.get("access")
    if not isinstance(access, list):
        raise TokenInvalid("the token has no access claim")
    return TokenClaims(subject=claims["sub"], access=access)
