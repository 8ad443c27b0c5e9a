"""Who is asking: registry Basic credentials checked against Pulp users, with a short cache.

pulpcore's content app runs the DRF authentication classes on every request, and its Basic
class checks the password in full each time (PBKDF2, slow on purpose, in the one thread the
content app runs its ORM calls in). For ``/v2/`` requests the registry middleware takes the
Basic header out of the request before that runs and checks it here instead, through
``CredentialCache``. Basic is honoured only where the deployment enables it for the REST API
(a DRF BasicAuthentication subclass in ``DEFAULT_AUTHENTICATION_CLASSES``).
"""

from logging import getLogger

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from rest_framework.authentication import BasicAuthentication
from rest_framework.settings import api_settings

from pulp_container.app import process_state
from pulp_container.app.auth import login_failures
from pulp_container.app.auth.credential_cache import DEFAULT_TTL, CredentialCache

log = getLogger(__name__)

# Seconds a successful Basic check is remembered; 0 checks every request in full.
TTL_SETTING = "CONTAINER_BASIC_AUTH_CACHE_TTL"

_cache = process_state.kept(
    "auth.credential_cache",
    lambda: CredentialCache(ttl=float(getattr(settings, TTL_SETTING, DEFAULT_TTL))),
)


def credential_cache():
    """The process-wide cache, made on first use with the configured TTL."""
    return _cache.get()


def basic_enabled():
    """Whether the deployment accepts HTTP Basic (as configured for the REST API)."""
    return any(
        isinstance(cls, type) and issubclass(cls, BasicAuthentication)
        for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
    )


def remembered_user(credentials, cache=None):
    """The active user these Basic credentials were verified for within the cache's TTL, or
    None. Blocking (one user query); skips the password hasher."""
    cache = cache or credential_cache()
    user_model = get_user_model()
    try:
        user = user_model._default_manager.get_by_natural_key(credentials.username)
    except user_model.DoesNotExist:
        return None
    if not user.is_active:
        return None
    key = cache.key(credentials.username, credentials.password, user.password or "")
    return user if cache.get(key) == user.pk else None


def authenticate_basic(credentials, cache=None):
    """The active user these Basic credentials belong to, or None if they are wrong.

    A hit in the cache skips the password hasher; a miss runs Django's ``authenticate`` (all
    configured backends) and remembers a success. Blocking: call through ``sync_to_async``.
    """
    cache = cache or credential_cache()
    user = remembered_user(credentials, cache)
    if user is not None:
        return user
    checked = authenticate(None, username=credentials.username, password=credentials.password)
    if checked is None or not checked.is_active:
        log.info("Registry Basic authentication failed for user %r", credentials.username)
        return None
    log.info("Registry Basic credentials of user %r checked in full", credentials.username)
    cache.put(
        cache.key(credentials.username, credentials.password, checked.password or ""), checked.pk
    )
    return checked


class LoginRefused(Exception):
    """Basic credentials that log nobody in: wrong, or sent too often (see throttle.py).

    Attributes:
        retry_after: seconds the client should wait before trying again; 0 for a plain
            wrong password.
        delay: seconds to wait before answering.
    """

    def __init__(self, message, retry_after=0, delay=0.0):
        super().__init__(message)
        self.retry_after = retry_after
        self.delay = delay


def login(credentials, address):
    """The active user these non-anonymous Basic credentials belong to, through the throttle.

    Blocking (queries, maybe a password check). `address` is the client's IP address.

    Raises:
        LoginRefused: the credentials are wrong, or the address or user name failed too often.
    """
    user = remembered_user(credentials)
    if user is not None:
        return user  # verified moments ago: no guess, nothing to throttle
    standing = login_failures.standing(credentials.username, address)
    if standing.refused_for:
        log.warning(
            "Registry login of %r from %s refused: too many failed logins from this address",
            credentials.username,
            address,
        )
        raise LoginRefused(
            "too many failed logins from this address", retry_after=standing.refused_for
        )
    user = authenticate_basic(credentials)
    if user is not None:
        return user
    login_failures.record_failure(credentials.username, address)
    if standing.retry_after:
        log.warning(
            "Registry login of %r from %s failed; the user name has too many failed logins",
            credentials.username,
            address,
        )
        raise LoginRefused(
            "too many failed logins for this user name",
            retry_after=standing.retry_after,
            delay=standing.failure_delay,
        )
    raise LoginRefused("invalid username or password")
