"""What went wrong upstream, as the registry error a client gets: decided in one place, for
every path (pull-through manifests, and blobs fetched for on_demand, streamed and pull-through
repositories alike, through ``fetch/blobs.py``).

A 404 (or 410) is an answer: the resource is not there (``*_UNKNOWN``), and it is remembered
for a while. Everything else is a failure: 429 becomes TOOMANYREQUESTS (with upstream's
Retry-After), a timeout UPSTREAM_TIMEOUT (504), and 5xx, refused connections, refused
credentials and invalid answers UPSTREAM_ERROR (502). A failure lets a cached tag be served
stale; an answer does not. Every message names the upstream registry. While pulpcore's
cool-down keeps a blob's sources aside after their bytes did not match, the blob is
UNAVAILABLE (503) with Retry-After (`cooling_down`).

No Django settings needed: errors are built from statuses, headers and exceptions.
"""

import asyncio
import json
from dataclasses import dataclass

from aiohttp import ClientConnectionError, ClientError, ClientPayloadError, ClientResponseError
from pulpcore.plugin.exceptions import (
    DigestValidationError,
    SizeValidationError,
    TimeoutException,
)

from pulp_container.app import errors
from pulp_container.constants import HEADER_RETRY_AFTER

MANIFEST = "manifest"
BLOB = "blob"

# Codes an upstream 404 may carry that we pass on; anything else is the resource's own code.
_MISSING_CODES = {"NAME_UNKNOWN": errors.NAME_UNKNOWN, "MANIFEST_UNKNOWN": errors.MANIFEST_UNKNOWN}


@dataclass(frozen=True)
class Where:
    """What was asked of which upstream: for messages and error details."""

    upstream: str
    """The registry's address (the remote's url)."""
    name: str
    """The repository name on the upstream registry."""
    kind: str = MANIFEST
    reference: str = ""
    """A tag or digest."""

    def detail(self, **more):
        detail = {"upstream": self.upstream, "name": self.name}
        if self.reference:
            detail["digest" if self.kind == BLOB else "reference"] = self.reference
        detail.update(more)
        return detail

    def what(self):
        return f"{self.name}:{self.reference}" if self.reference else self.name


def _upstream_code(body):
    """The first error code of a registry error envelope, or None."""
    try:
        return json.loads(body)["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def missing_code(status, body=b"", kind=MANIFEST):
    """For an upstream 404/410: the code a client gets (NAME_UNKNOWN, MANIFEST_UNKNOWN or
    BLOB_UNKNOWN); None for any other status."""
    if status not in (404, 410):
        return None
    if kind == BLOB:
        return errors.BLOB_UNKNOWN.code
    code = _MISSING_CODES.get(_upstream_code(body), errors.MANIFEST_UNKNOWN)
    return code.code


def missing(code, where):
    """The registry error for an upstream 404 that `code` (from missing_code) stands for."""
    error_code = errors.ERROR_CODES[code]
    what = where.name if error_code is errors.NAME_UNKNOWN else where.what()
    return errors.RegistryError(
        error_code,
        detail=where.detail(),
        message=f"{what} is not known to the upstream registry {where.upstream}",
    )


def from_status(status, headers, where, body=b""):
    """The registry error for an upstream answer with an error `status`."""
    code = missing_code(status, body, where.kind)
    if code is not None:
        return missing(code, where)
    headers = headers or {}
    if status == 429:
        retry_after = headers.get(HEADER_RETRY_AFTER)
        return errors.RegistryError(
            errors.TOOMANYREQUESTS,
            detail=where.detail(upstream_status=status),
            message=f"the upstream registry {where.upstream} is rate limiting requests",
            headers={HEADER_RETRY_AFTER: retry_after} if retry_after else None,
        )
    if status in (401, 403):
        message = (
            f"the upstream registry {where.upstream} refused access to {where.name} "
            "(check the pull-through remote's username and password)"
        )
    else:
        message = f"the upstream registry {where.upstream} answered {status} for {where.what()}"
    return errors.RegistryError(
        errors.UPSTREAM_ERROR, detail=where.detail(upstream_status=status), message=message
    )


# What a request to upstream raises when upstream (not this code) is at fault: connection and
# protocol errors, timeouts, and ValueErrors for answers that cannot be read (auth challenges,
# token answers, oversized bodies).
UPSTREAM_EXCEPTIONS = (
    errors.RegistryError,
    ClientError,
    asyncio.TimeoutError,
    TimeoutException,
    DigestValidationError,
    SizeValidationError,
    OSError,
    ValueError,
)


def from_exception(exc, where):
    """The registry error for a request to upstream that raised `exc`, one of
    UPSTREAM_EXCEPTIONS."""
    if isinstance(exc, errors.RegistryError):
        return exc
    if isinstance(exc, ClientResponseError):
        return from_status(exc.status, exc.headers, where)
    if isinstance(exc, (asyncio.TimeoutError, TimeoutException)):
        return errors.RegistryError(
            errors.UPSTREAM_TIMEOUT,
            detail=where.detail(),
            message=f"the upstream registry {where.upstream} did not answer in time",
        )
    if isinstance(exc, DigestValidationError):
        return invalid(where, "its bytes do not match the digest")
    if isinstance(exc, SizeValidationError):
        return invalid(where, "its size does not match")
    if isinstance(exc, ClientPayloadError):
        return errors.RegistryError(
            errors.UPSTREAM_ERROR,
            detail=where.detail(),
            message=f"the connection to the upstream registry {where.upstream} broke: {exc}",
        )
    if isinstance(exc, (ClientConnectionError, OSError)):
        reason = str(exc) or type(exc).__name__
        return errors.RegistryError(
            errors.UPSTREAM_ERROR,
            detail=where.detail(),
            message=f"the upstream registry {where.upstream} cannot be reached: {reason}",
        )
    return invalid(where, str(exc) or type(exc).__name__)


def cooling_down(digest, retry_in):
    """The registry error for a blob whose every source is set aside (pulpcore's
    ``REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN``) for `retry_in` more seconds."""
    return errors.RegistryError(
        errors.UNAVAILABLE,
        detail={"digest": digest},
        message=(
            f"the last fetch of this blob from the upstream registry failed; it is "
            f"tried again in {retry_in} s (REMOTE_CONTENT_FETCH_FAILURE_COOLDOWN)"
        ),
        headers={HEADER_RETRY_AFTER: str(retry_in)},
    )


def invalid(where, reason):
    """The registry error for an upstream answer that is not what it claims to be."""
    return errors.RegistryError(
        errors.UPSTREAM_ERROR,
        detail=where.detail(),
        message=f"the upstream registry {where.upstream} sent an invalid {where.kind}: {reason}",
    )


def is_outage(error):
    """Whether `error` is a failure (upstream could not answer), not an answer: a cached
    copy may then be served stale."""
    return error.code not in (errors.NAME_UNKNOWN, errors.MANIFEST_UNKNOWN, errors.BLOB_UNKNOWN)


def to_record(error):
    """A RegistryError as JSON-able data, for another process to raise it again."""
    return {
        "code": error.code.code,
        "message": error.message,
        "detail": error.detail,
        "headers": error.headers,
    }


def from_record(record):
    """The RegistryError `to_record` wrote."""
    return errors.RegistryError(
        errors.ERROR_CODES.get(record.get("code"), errors.UNKNOWN),
        detail=record.get("detail"),
        message=record.get("message"),
        headers=record.get("headers"),
    )
