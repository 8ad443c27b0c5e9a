"""Registry error codes, defined once as data, and the one renderer of the error envelope.

Codes and statuses follow the OCI distribution spec and the Docker Registry HTTP API V2
(including RANGE_INVALID, PAGINATION_NUMBER_INVALID, TAG_INVALID, UNAVAILABLE and UNKNOWN, which
only the latter and the reference implementation define). UPSTREAM_ERROR and UPSTREAM_TIMEOUT
are this plugin's own, for pull-through: clients treat unknown codes as UNKNOWN, and the HTTP
status (502/504) already tells what happened.

Messages are protocol text, as in the specs, and are not translated: a registry client shows
them next to the code, and the code is what it acts on. Details go into `detail`.

This module imports without Django settings. Building the DRF response needs them, as any DRF
response does, but only when a request is being answered.
"""

import json
from dataclasses import dataclass, field

from aiohttp import web
from rest_framework.response import Response

from pulp_container.app.oci import exceptions as oci
from pulp_container.constants import (
    HEADER_CONTENT_TYPE,
    HEADER_DOCKER_DISTRIBUTION_API_VERSION,
    MEDIA_TYPE_JSON,
    REGISTRY_API_VERSION,
)


@dataclass(frozen=True)
class ErrorCode:
    """One entry of the registry error table."""

    code: str
    message: str
    http_status: int


BLOB_UNKNOWN = ErrorCode("BLOB_UNKNOWN", "blob unknown to registry", 404)
BLOB_UPLOAD_INVALID = ErrorCode("BLOB_UPLOAD_INVALID", "blob upload invalid", 400)
BLOB_UPLOAD_UNKNOWN = ErrorCode("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404)
DIGEST_INVALID = ErrorCode("DIGEST_INVALID", "provided digest did not match uploaded content", 400)
# 400, as the reference implementation answers (the OCI spec gives no status for it).
MANIFEST_BLOB_UNKNOWN = ErrorCode(
    "MANIFEST_BLOB_UNKNOWN", "manifest references a manifest or blob unknown to registry", 400
)
MANIFEST_INVALID = ErrorCode("MANIFEST_INVALID", "manifest invalid", 400)
MANIFEST_UNKNOWN = ErrorCode("MANIFEST_UNKNOWN", "manifest unknown to registry", 404)
NAME_INVALID = ErrorCode("NAME_INVALID", "invalid repository name", 400)
NAME_UNKNOWN = ErrorCode("NAME_UNKNOWN", "repository name not known to registry", 404)
SIZE_INVALID = ErrorCode("SIZE_INVALID", "provided length did not match content length", 400)
TAG_INVALID = ErrorCode("TAG_INVALID", "invalid tag", 400)
PAGINATION_NUMBER_INVALID = ErrorCode(
    "PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400
)
TOKEN_REQUEST_INVALID = ErrorCode("TOKEN_REQUEST_INVALID", "invalid token request", 400)
UNAUTHORIZED = ErrorCode("UNAUTHORIZED", "authentication required", 401)
DENIED = ErrorCode("DENIED", "requested access to the resource is denied", 403)
UNSUPPORTED = ErrorCode("UNSUPPORTED", "the operation is unsupported", 405)
RANGE_INVALID = ErrorCode("RANGE_INVALID", "invalid content range", 416)
TOOMANYREQUESTS = ErrorCode("TOOMANYREQUESTS", "too many requests", 429)
UNKNOWN = ErrorCode("UNKNOWN", "unknown error", 500)
UPSTREAM_ERROR = ErrorCode(
    "UPSTREAM_ERROR", "upstream registry returned an error or an invalid response", 502
)
UNAVAILABLE = ErrorCode("UNAVAILABLE", "service unavailable", 503)
UPSTREAM_TIMEOUT = ErrorCode("UPSTREAM_TIMEOUT", "upstream registry did not respond in time", 504)

ERROR_CODES = {
    error_code.code: error_code
    for error_code in (
        BLOB_UNKNOWN,
        BLOB_UPLOAD_INVALID,
        BLOB_UPLOAD_UNKNOWN,
        DIGEST_INVALID,
        MANIFEST_BLOB_UNKNOWN,
        MANIFEST_INVALID,
        MANIFEST_UNKNOWN,
        NAME_INVALID,
        NAME_UNKNOWN,
        SIZE_INVALID,
        TAG_INVALID,
        PAGINATION_NUMBER_INVALID,
        TOKEN_REQUEST_INVALID,
        UNAUTHORIZED,
        DENIED,
        UNSUPPORTED,
        RANGE_INVALID,
        TOOMANYREQUESTS,
        UNKNOWN,
        UPSTREAM_ERROR,
        UNAVAILABLE,
        UPSTREAM_TIMEOUT,
    )
}


class RegistryError(Exception):
    """A registry error, to be answered with the error envelope.

    Args:
        code: the ErrorCode.
        detail: JSON-able data for the client, e.g. ``{"digest": digest}``.
        message: replaces the code's message, for a more precise one.
        headers: extra response headers, e.g. WWW-Authenticate for UNAUTHORIZED, Retry-After
            for TOOMANYREQUESTS.
        delay: seconds to wait before answering (a throttled login), without holding a thread.
    """

    def __init__(self, code, detail=None, message=None, headers=None, delay=0.0):
        self.code = code
        self.detail = detail
        self.message = message or code.message
        self.headers = dict(headers or {})
        self.delay = delay
        super().__init__(f"{code.code}: {self.message}")

    @property
    def status(self):
        return self.code.http_status


@dataclass(frozen=True)
class RenderedError:
    """An error response, independent of the web framework that sends it."""

    status: int
    body: bytes
    content_type: str
    headers: dict = field(default_factory=dict)


def render(errors):
    """Render one RegistryError, or several, as the registry error envelope.

    The status is the first error's. Headers are the API version header plus each error's
    headers; `headers` holds everything but Content-Type, which is `content_type`.
    """
    errors = [errors] if isinstance(errors, RegistryError) else list(errors)
    if not errors:
        raise ValueError("render() needs at least one RegistryError")
    envelope = {
        "errors": [
            {
                "code": error.code.code,
                "message": error.message,
                "detail": {} if error.detail is None else error.detail,
            }
            for error in errors
        ]
    }
    headers = {HEADER_DOCKER_DISTRIBUTION_API_VERSION: REGISTRY_API_VERSION}
    for error in errors:
        headers.update(error.headers)
    headers = {
        name: value
        for name, value in headers.items()
        if name.lower() != HEADER_CONTENT_TYPE.lower()
    }
    return RenderedError(
        status=errors[0].status,
        body=json.dumps(envelope, separators=(",", ":")).encode(),
        content_type=MEDIA_TYPE_JSON,
        headers=headers,
    )


def to_aiohttp_response(error):
    """The error as an aiohttp response (content app)."""
    rendered = render(error)
    return web.Response(
        status=rendered.status,
        body=rendered.body,
        headers=rendered.headers,
        content_type=rendered.content_type,
    )


def to_drf_response(error):
    """The error as a DRF response, carrying the same bytes as the aiohttp one.

    The body is set already rendered, so DRF's renderers and content negotiation (which know
    nothing of registry media types) leave it alone. `data` still holds the envelope.
    """
    rendered = render(error)
    response = Response(
        data=json.loads(rendered.body), status=rendered.status, headers=rendered.headers
    )
    response.content_type = rendered.content_type
    response[HEADER_CONTENT_TYPE] = rendered.content_type
    response.content = rendered.body
    return response


# Format-layer error -> registry code and the detail key naming the offending value. Most
# specific classes first. TAG_INVALID is the Docker Registry API V2 code for "the name or
# reference was invalid" on manifest requests; an empty reference is an invalid tag too.
_FORMAT_ERRORS = (
    (oci.NameInvalid, NAME_INVALID, "name"),
    (oci.TagInvalid, TAG_INVALID, "tag"),
    (oci.DigestInvalid, DIGEST_INVALID, "digest"),
    (oci.ReferenceInvalid, TAG_INVALID, "reference"),
    (oci.DigestMismatch, DIGEST_INVALID, None),
    (oci.ManifestInvalid, MANIFEST_INVALID, None),
    (oci.ImageConfigInvalid, MANIFEST_INVALID, None),
)


def from_format_error(exc):
    """Map an OCI format-layer error to the RegistryError a client should get.

    The error's own text becomes the message; the offending value goes into `detail`.

    Raises:
        TypeError: `exc` is not a format-layer error.
    """
    mapping = next(
        ((code, key) for error_class, code, key in _FORMAT_ERRORS if isinstance(exc, error_class)),
        None,
    )
    if mapping is None:
        raise TypeError(f"not an OCI format error: {exc!r}")
    code, key = mapping
    if isinstance(exc, oci.DigestMismatch):
        detail = {"expected": exc.expected, "actual": exc.actual}
    elif key is not None:
        detail = {key: exc.value}
    else:
        detail = {}
    return RegistryError(code, detail=detail, message=exc.message)
