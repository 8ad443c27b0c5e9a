"""The one mapping of upstream failures to registry errors, and its round trip through a lease."""

import pytest
from aiohttp import ClientConnectionError, ClientPayloadError, ClientResponseError
from pulpcore.plugin.exceptions import DigestValidationError, TimeoutException

from pulp_container.app import errors
from pulp_container.app.upstream import failures

WHERE = failures.Where("https://registry.example", "library/busybox", failures.MANIFEST, "latest")
BLOB = failures.Where("https://registry.example", "library/busybox", failures.BLOB, "sha256:aa")


@pytest.mark.parametrize(
    "status, where, body, code, http_status",
    [
        (404, WHERE, b"", "MANIFEST_UNKNOWN", 404),
        (404, WHERE, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', "NAME_UNKNOWN", 404),
        (410, WHERE, b"", "MANIFEST_UNKNOWN", 404),
        (404, BLOB, b'{"errors":[{"code":"NAME_UNKNOWN"}]}', "BLOB_UNKNOWN", 404),
        (429, WHERE, b"", "TOOMANYREQUESTS", 429),
        (500, WHERE, b"", "UPSTREAM_ERROR", 502),
        (503, BLOB, b"", "UPSTREAM_ERROR", 502),
        (401, WHERE, b"", "UPSTREAM_ERROR", 502),
        (403, WHERE, b"", "UPSTREAM_ERROR", 502),
        (400, WHERE, b"", "UPSTREAM_ERROR", 502),
    ],
)
def test_statuses(status, where, body, code, http_status):
    error = failures.from_status(status, {}, where, body)
    assert (error.code.code, error.status) == (code, http_status)
    assert "https://registry.example" in error.message or error.status == 404
    assert error.detail["upstream"] == "https://registry.example"


def test_credentials_refused_say_so():
    error = failures.from_status(401, {}, WHERE)
    assert "username and password" in error.message


@pytest.mark.parametrize(
    "exc, code, http_status",
    [
        (TimeoutError(), "UPSTREAM_TIMEOUT", 504),
        (TimeoutException("http://x"), "UPSTREAM_TIMEOUT", 504),
        (ClientConnectionError("Connection refused"), "UPSTREAM_ERROR", 502),
        (ConnectionResetError("reset"), "UPSTREAM_ERROR", 502),
        (ClientPayloadError("Response payload is not completed"), "UPSTREAM_ERROR", 502),
        (DigestValidationError("a", "b", url="http://x"), "UPSTREAM_ERROR", 502),
        (ValueError("token answer is not JSON"), "UPSTREAM_ERROR", 502),
    ],
)
def test_exceptions(exc, code, http_status):
    error = failures.from_exception(exc, WHERE)
    assert (error.code.code, error.status) == (code, http_status)
    assert "https://registry.example" in error.message


def test_a_response_error_is_mapped_by_its_status():
    exc = ClientResponseError(None, (), status=429, headers={"Retry-After": "9"})
    error = failures.from_exception(exc, WHERE)
    assert error.code is errors.TOOMANYREQUESTS
    assert error.headers == {"Retry-After": "9"}


def test_a_registry_error_passes_through():
    error = errors.RegistryError(errors.NAME_UNKNOWN)
    assert failures.from_exception(error, WHERE) is error


@pytest.mark.parametrize(
    "code, outage",
    [
        (errors.NAME_UNKNOWN, False),
        (errors.MANIFEST_UNKNOWN, False),
        (errors.BLOB_UNKNOWN, False),
        (errors.UPSTREAM_ERROR, True),
        (errors.UPSTREAM_TIMEOUT, True),
        (errors.TOOMANYREQUESTS, True),
        (errors.UNAVAILABLE, True),
    ],
)
def test_only_failures_let_a_stale_copy_be_served(code, outage):
    assert failures.is_outage(errors.RegistryError(code)) is outage


def test_an_error_survives_the_trip_through_the_lease():
    error = failures.from_status(429, {"Retry-After": "5"}, WHERE)
    again = failures.from_record(failures.to_record(error))
    assert (again.code, again.message, again.detail, again.headers) == (
        error.code,
        error.message,
        error.detail,
        error.headers,
    )


def test_an_unknown_recorded_code_is_unknown():
    assert failures.from_record({"code": "NOPE"}).code is errors.UNKNOWN


def test_a_blob_whose_sources_cool_down_is_unavailable_with_retry_after():
    error = failures.cooling_down("sha256:" + "a" * 64, 42)
    assert error.code is errors.UNAVAILABLE and error.status == 503
    assert error.headers == {"Retry-After": "42"}
    assert "tried again in 42 s" in error.message
