"""The token signing key pair and token settings, loaded once per process from settings.

Token authentication is on unless ``TOKEN_AUTH_DISABLED`` is true. It then needs
``PRIVATE_KEY_PATH`` (to sign, in the token endpoint) and ``PUBLIC_KEY_PATH`` (to verify, on
every registry request) in the algorithm ``TOKEN_SIGNATURE_ALGORITHM`` (ES256 or RS256).
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from pulp_container.app import process_state
from pulp_container.app.auth.tokens import ALLOWED_ALGORITHMS

_KEY_TYPES = {
    "ES256": (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey),
    "RS256": (rsa.RSAPrivateKey, rsa.RSAPublicKey),
}


@dataclass(frozen=True)
class TokenConfig:
    """What signing and checking tokens needs, read from settings."""

    algorithm: str
    private_key: object
    public_key: object
    realm: str
    service: str
    issuer: str
    lifetime: int


def token_auth_enabled() -> bool:
    return not getattr(settings, "TOKEN_AUTH_DISABLED", False)


def _read(path_setting: str, loader, expected_type, algorithm: str):
    path = getattr(settings, path_setting, None)
    if not path:
        raise ImproperlyConfigured(
            f"Token authentication is on but {path_setting} is not set. Set it to a PEM key "
            f"file, or set TOKEN_AUTH_DISABLED = True to use Basic authentication instead."
        )
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ImproperlyConfigured(
            f"Token authentication is on but {path_setting} ({path}) cannot be read: "
            f"{error.strerror}."
        )
    try:
        key = loader(data)
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{path_setting} ({path}) is not a PEM key: {error}")
    if not isinstance(key, expected_type):
        raise ImproperlyConfigured(f"{path_setting} ({path}) does not hold a key for {algorithm}.")
    return key


def registry_service() -> str:
    """The token ``service`` (and audience): the registry's host:port unless set."""
    origin = settings.CONTENT_ORIGIN or ""
    return getattr(settings, "TOKEN_SERVICE", None) or urlparse(origin).netloc


@cache
def token_config() -> TokenConfig:
    """Load and check the keys and token settings.

    Raises:
        ImproperlyConfigured: naming the setting and file that is missing or unusable.
    """
    algorithm = getattr(settings, "TOKEN_SIGNATURE_ALGORITHM", "ES256")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise ImproperlyConfigured(
            f"TOKEN_SIGNATURE_ALGORITHM is {algorithm!r}; use one of {', '.join(ALLOWED_ALGORITHMS)}."
        )
    private_type, public_type = _KEY_TYPES[algorithm]
    private_key = _read(
        "PRIVATE_KEY_PATH",
        lambda d: load_pem_private_key(d, password=None),
        private_type,
        algorithm,
    )
    public_key = _read("PUBLIC_KEY_PATH", load_pem_public_key, public_type, algorithm)
    realm = getattr(settings, "TOKEN_SERVER", None) or f"{settings.CONTENT_ORIGIN}/token"
    service = registry_service()
    return TokenConfig(
        algorithm=algorithm,
        private_key=private_key,
        public_key=public_key,
        realm=realm,
        service=service,
        issuer=getattr(settings, "TOKEN_ISSUER", None) or service,
        lifetime=int(getattr(settings, "TOKEN_EXPIRATION_TIME", 300)),
    )


process_state.register("auth.token_config", token_config.cache_clear)
