"""The REST API this project serves against pulp_container 2.30's contract.

The reference is tests/functional/data/contract_2_30.json, written once from pulp_container
2.30.0's OpenAPI schema by scripts/contract_from_openapi.py: every path, method, query
parameter and request/response field (type, required, readOnly, writeOnly, nullable) that the
generated clients rely on. A failure lists every gap, one per line.
"""

import json
from pathlib import Path

import pytest

from tests.functional.contract import missing, operations
from tests.functional.registry_client import RegistryClient

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "contract_2_30.json"

# The registry's token endpoint is served by the content app, not by the REST API whose
# schema is compared: it is checked by a request of its own below.
CONTENT_APP_OPERATIONS = {"GET /token/"}


@pytest.fixture(scope="module")
def reference():
    return json.loads(REFERENCE.read_text())["operations"]


@pytest.fixture(scope="module")
def served(api):
    """The schema the REST API serves for the container component, reduced like the
    reference."""
    schema = api.ok(api.get("docs/api.json", params={"component": "container"}))
    return operations(schema)


def test_every_reference_operation_field_and_filter_is_served(reference, served):
    expected = {k: v for k, v in reference.items() if k not in CONTENT_APP_OPERATIONS}
    gaps = missing(expected, served)
    assert not gaps, "Missing from the served API ({}):\n{}".format(
        len(gaps), "\n".join(str(gap) for gap in gaps)
    )


def test_content_app_operations_are_in_the_reference(reference):
    assert CONTENT_APP_OPERATIONS <= set(reference)


def test_token_with_trailing_slash_answers_like_token(pulp_server):
    registry = RegistryClient(pulp_server.registry_host)
    params = {"service": pulp_server.registry_host, "scope": "registry:catalog:*"}
    auth = ("admin", pulp_server.admin_password)
    plain = registry.get("/token", params=params, auth=auth, timeout=30)
    slashed = registry.get("/token/", params=params, auth=auth, timeout=30)
    assert plain.status_code == slashed.status_code == 200
    assert set(slashed.json()) == set(plain.json())
    assert slashed.headers["Content-Type"] == plain.headers["Content-Type"]
    wrong = [
        registry.get(path, params=params, auth=("admin", "nope"), timeout=30)
        for path in ("/token", "/token/")
    ]
    assert wrong[0].status_code == wrong[1].status_code
    assert wrong[0].json().keys() == wrong[1].json().keys()
