import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from pulp_container import constants
from pulp_container.app import errors
from pulp_container.app.oci import exceptions as oci
from pulp_container.app.oci.reference import parse_reference, validate_name

REPO_ROOT = Path(__file__).resolve().parents[2]
SHA256 = "sha256:" + "a" * 64

# The spec'd status of every code, written out rather than read back from the table.
EXPECTED_STATUS = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 400,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 400,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "TAG_INVALID": 400,
    "PAGINATION_NUMBER_INVALID": 400,
    "TOKEN_REQUEST_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 405,
    "RANGE_INVALID": 416,
    "TOOMANYREQUESTS": 429,
    "UNKNOWN": 500,
    "UPSTREAM_ERROR": 502,
    "UNAVAILABLE": 503,
    "UPSTREAM_TIMEOUT": 504,
}


@pytest.mark.parametrize("code, status", sorted(EXPECTED_STATUS.items()))
def test_every_code_maps_to_its_status(code, status):
    error_code = errors.ERROR_CODES[code]
    assert error_code.http_status == status
    assert getattr(errors, code) is error_code  # module constant named after the code
    assert error_code.message and error_code.message == error_code.message.strip()


def test_table_has_exactly_the_expected_codes():
    assert set(errors.ERROR_CODES) == set(EXPECTED_STATUS)
    defined = {v for v in vars(errors).values() if isinstance(v, errors.ErrorCode)}
    assert defined == set(errors.ERROR_CODES.values())


def test_render_envelope_shape():
    rendered = errors.render(errors.RegistryError(errors.BLOB_UNKNOWN, detail={"digest": SHA256}))
    assert rendered.status == 404
    assert rendered.content_type == "application/json"
    assert rendered.headers == {"Docker-Distribution-API-Version": "registry/2.0"}
    assert json.loads(rendered.body) == {
        "errors": [
            {
                "code": "BLOB_UNKNOWN",
                "message": "blob unknown to registry",
                "detail": {"digest": SHA256},
            }
        ]
    }


def test_render_defaults_detail_to_empty_object_and_honours_message_override():
    error = errors.RegistryError(errors.MANIFEST_INVALID, message="layers[0].size: -1 is less")
    (entry,) = json.loads(errors.render(error).body)["errors"]
    assert entry == {
        "code": "MANIFEST_INVALID",
        "message": "layers[0].size: -1 is less",
        "detail": {},
    }
    assert str(error) == "MANIFEST_INVALID: layers[0].size: -1 is less"
    assert error.status == 400


@pytest.mark.parametrize(
    "code, headers",
    [
        (errors.UNAUTHORIZED, {"WWW-Authenticate": 'Bearer realm="https://h/token",service="h"'}),
        (errors.TOOMANYREQUESTS, {"Retry-After": "30"}),
        (errors.UNAVAILABLE, {"Retry-After": "5"}),
    ],
)
def test_render_carries_extra_headers(code, headers):
    rendered = errors.render(errors.RegistryError(code, headers=headers))
    assert rendered.headers == {
        constants.HEADER_DOCKER_DISTRIBUTION_API_VERSION: "registry/2.0"
    } | (headers)
    assert rendered.status == code.http_status


def test_render_never_lets_a_header_override_the_content_type():
    rendered = errors.render(errors.RegistryError(errors.DENIED, headers={"content-type": "x/y"}))
    assert rendered.content_type == "application/json"
    assert "content-type" not in {name.lower() for name in rendered.headers}


def test_render_several_errors():
    rendered = errors.render(
        [
            errors.RegistryError(errors.NAME_INVALID),
            errors.RegistryError(errors.TAG_INVALID, headers={"X-A": "1"}),
        ]
    )
    assert rendered.status == 400
    assert [e["code"] for e in json.loads(rendered.body)["errors"]] == [
        "NAME_INVALID",
        "TAG_INVALID",
    ]
    assert rendered.headers["X-A"] == "1"


def test_render_needs_an_error():
    with pytest.raises(ValueError):
        errors.render([])


def test_to_aiohttp_response():
    error = errors.RegistryError(
        errors.UNAUTHORIZED, headers={constants.HEADER_WWW_AUTHENTICATE: 'Bearer realm="r"'}
    )
    response = errors.to_aiohttp_response(error)
    assert isinstance(response, web.Response)
    assert response.status == 401
    assert response.body == errors.render(error).body
    assert response.content_type == "application/json"
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="r"'


def _run_isolated(code):
    """Run Python code in a fresh interpreter without Django settings; return its stdout."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_module_imports_without_django_settings():
    output = _run_isolated(
        "from django.conf import settings\n"
        "import pulp_container.app.errors\n"
        "print(settings.configured)\n"
    )
    assert output.strip() == "False"


DRF_SCRIPT = """
import json
import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from pulp_container.app import errors

ERROR = errors.RegistryError(
    errors.UNAUTHORIZED, detail={"scope": "repository:a:pull"},
    headers={"WWW-Authenticate": 'Bearer realm="r"'},
)

class View(APIView):
    def get(self, request):
        return errors.to_drf_response(ERROR)

results = {}
for accept in ("application/json", "text/html"):
    request = APIRequestFactory().get("/", HTTP_ACCEPT=accept)
    response = View.as_view()(request)
    response.render()
    results[accept] = {
        "status": response.status_code,
        "body": response.content.decode(),
        "expected_body": errors.render(ERROR).body.decode(),
        "headers": dict(response.items()),
        "data": response.data,
    }
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def drf_results():
    return json.loads(_run_isolated(DRF_SCRIPT))


# text/html makes DRF pick its browsable-API renderer: the pre-rendered envelope must survive.
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_to_drf_response_sends_the_same_envelope_through_a_drf_view(drf_results, accept):
    result = drf_results[accept]
    assert result["status"] == 401
    assert result["body"] == result["expected_body"]
    assert result["data"] == json.loads(result["expected_body"])
    assert result["headers"]["Content-Type"] == "application/json"
    assert result["headers"]["Docker-Distribution-API-Version"] == "registry/2.0"
    assert result["headers"]["WWW-Authenticate"] == 'Bearer realm="r"'


def _raised(function, *args):
    with pytest.raises(oci.FormatError) as excinfo:
        function(*args)
    return excinfo.value


@pytest.mark.parametrize(
    "exc, code, detail",
    [
        (_raised(validate_name, "Bad/Name"), "NAME_INVALID", {"name": "Bad/Name"}),
        (_raised(parse_reference, "-tag"), "TAG_INVALID", {"tag": "-tag"}),
        (_raised(parse_reference, ""), "TAG_INVALID", {"reference": ""}),
        (_raised(parse_reference, "sha256:abc"), "DIGEST_INVALID", {"digest": "sha256:abc"}),
        (
            oci.DigestMismatch(SHA256, "sha256:" + "b" * 64),
            "DIGEST_INVALID",
            {"expected": SHA256, "actual": "sha256:" + "b" * 64},
        ),
        (oci.ManifestInvalid("manifest is not valid JSON"), "MANIFEST_INVALID", {}),
        (oci.MediaTypeMismatch("mediaType 'a' does not match 'b'"), "MANIFEST_INVALID", {}),
        (oci.ImageConfigInvalid("image config is not valid JSON"), "MANIFEST_INVALID", {}),
    ],
)
def test_from_format_error(exc, code, detail):
    error = errors.from_format_error(exc)
    assert error.code is errors.ERROR_CODES[code]
    assert error.status == EXPECTED_STATUS[code]
    assert error.detail == detail
    assert error.message == str(exc)


def test_every_format_error_class_is_mapped():
    classes = [
        cls
        for cls in vars(oci).values()
        if inspect.isclass(cls) and issubclass(cls, oci.FormatError) and cls is not oci.FormatError
    ]
    for cls in classes:
        exc = cls("x", "y") if cls is oci.DigestMismatch else cls("x")
        assert isinstance(errors.from_format_error(exc), errors.RegistryError)


@pytest.mark.parametrize("exc", [ValueError("x"), oci.FormatError("x")])
def test_from_format_error_rejects_other_errors(exc):
    with pytest.raises(TypeError):
        errors.from_format_error(exc)
