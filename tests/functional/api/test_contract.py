"""The REST API this project serves against pulp_container 2.30's contract.

The reference is tests/functional/data/contract_2_30.json, written once from pulp_container
2.30.0's OpenAPI schema by scripts/contract_from_openapi.py: every path, method, query
parameter and request/response field (type, required, readOnly, writeOnly, nullable) that the
generated clients rely on. A failure lists every gap, one per line.
"""

import json
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import requests

from tests.functional.contract import missing, operations

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "contract_2_30.json"

# The namespaces helper's work (issue 12, part 2). The integrator deletes this list after
# merging that branch; from then on these items are checked like every other.
PENDING_NAMESPACES = [
    ("* /pulp/api/v3/pulp_container/namespaces/", "operation", ""),
    ("* {container_container_namespace_href}*", "operation", ""),
    ("* {container_container_distribution_href}", "field", "namespace"),
    ("* {container_container_pull_through_distribution_href}", "field", "namespace"),
    ("GET /pulp/api/v3/distributions/container/*/", "field", "results[].namespace"),
    ("GET /pulp/api/v3/distributions/container/container/", "query", "namespace__name"),
]

# The content-management helper's work (issue 12, part 3), and the push repository's tagging
# actions left to the integrator. Deleted after merging, like PENDING_NAMESPACES.
PENDING_CONTENT_ACTIONS = [
    (f"POST {{container_container_repository_href}}{action}/", "operation", "")
    for action in ("add", "remove", "tag", "untag", "copy_tags", "copy_manifests")
] + [
    (f"POST {{container_container_push_repository_href}}{action}/", "operation", "")
    for action in ("tag", "untag", "remove_image")
]

# The registry's token endpoint is served by the content app, not by the REST API whose
# schema is compared: it is checked by a request of its own below.
CONTENT_APP_OPERATIONS = {"GET /token/"}


def _pending(gap):
    return any(
        fnmatchcase(gap.operation, operation) and gap.kind == kind and gap.name == name
        for operation, kind, name in PENDING_NAMESPACES + PENDING_CONTENT_ACTIONS
    )


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
    gaps = [gap for gap in missing(expected, served) if not _pending(gap)]
    assert not gaps, "Missing from the served API ({}):\n{}".format(
        len(gaps), "\n".join(str(gap) for gap in gaps)
    )


def test_pending_lists_name_only_what_the_reference_has(reference):
    """Each pending entry matches some reference operation: no typo hides a real gap."""
    for operation, kind, name in PENDING_NAMESPACES + PENDING_CONTENT_ACTIONS:
        matching = [key for key in reference if fnmatchcase(key, operation)]
        assert matching, f"no reference operation matches {operation!r}"
        if kind == "query":
            assert any(name in reference[key]["query"] for key in matching), (operation, name)
        if kind == "field":
            assert any(
                name in fields
                for key in matching
                for fields in (reference[key]["request"], *reference[key]["responses"].values())
            ), (operation, name)


def test_content_app_operations_are_in_the_reference(reference):
    assert CONTENT_APP_OPERATIONS <= set(reference)


def test_token_with_trailing_slash_answers_like_token(pulp_server):
    origin = f"http://{pulp_server.registry_host}"
    params = {"service": pulp_server.registry_host, "scope": "registry:catalog:*"}
    auth = ("admin", pulp_server.admin_password)
    plain = requests.get(f"{origin}/token", params=params, auth=auth, timeout=30)
    slashed = requests.get(f"{origin}/token/", params=params, auth=auth, timeout=30)
    assert plain.status_code == slashed.status_code == 200
    assert set(slashed.json()) == set(plain.json())
    assert slashed.headers["Content-Type"] == plain.headers["Content-Type"]
    wrong = [
        requests.get(f"{origin}{path}", params=params, auth=("admin", "nope"), timeout=30)
        for path in ("/token", "/token/")
    ]
    assert wrong[0].status_code == wrong[1].status_code
    assert wrong[0].json().keys() == wrong[1].json().keys()
