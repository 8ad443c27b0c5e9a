"""Bad input to the REST API is a 400 (or 404) naming what is wrong, as JSON, and changes nothing."""

import pytest

from tests.functional.api.test_pull import new_name

REPOSITORIES = "repositories/container/container/"
REMOTES = "remotes/container/container/"
PT_REMOTES = "remotes/container/pull-through/"


def _remote(**fields):
    return {
        "name": new_name("remote-"),
        "url": "http://127.0.0.1:1",
        "upstream_name": "a/b",
        **fields,
    }


def _pt_remote(**fields):
    return {"name": new_name("ptr-"), "url": "http://127.0.0.1:1", **fields}


def _refused(api, path, body, field, status=400):
    response = api.post(path, body)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert field in response.json(), response.json()
    return response.json()[field]


def _count(api, path, name):
    return api.ok(api.get(path, params={"name": name}))["count"]


@pytest.mark.parametrize(
    "path, body, field",
    [
        (REPOSITORIES, {"name": "r" * (1024 * 1024)}, "name"),
        (
            REPOSITORIES,
            {"name": new_name("r-"), "retain_repo_versions": 2**63},
            "retain_repo_versions",
        ),
        (REPOSITORIES, {"name": new_name("r-"), "retain_repo_versions": 0}, "retain_repo_versions"),
        (REMOTES, _remote(download_concurrency=2**64), "download_concurrency"),
        (REMOTES, _remote(max_retries=-1), "max_retries"),
        (REMOTES, _remote(rate_limit=-1), "rate_limit"),
        (REMOTES, _remote(rate_limit=2**40), "rate_limit"),
        (REMOTES, _remote(url="http://[::1"), "url"),
        (PT_REMOTES, _pt_remote(url="http://[::1"), "url"),
        (REMOTES, _remote(proxy_url="not a url"), "proxy_url"),
        (PT_REMOTES, _pt_remote(proxy_url="http://[::1"), "proxy_url"),
        (REMOTES, _remote(headers=[{"X-Evil": "a\r\nInjected: yes"}]), "headers"),
        (REMOTES, _remote(headers=[{"Bad Name": "x"}]), "headers"),
        (PT_REMOTES, _pt_remote(total_timeout=-1), "total_timeout"),
        (REMOTES, _remote(name="m" * 256), "name"),
    ],
)
def test_out_of_range_and_malformed_fields(api, path, body, field):
    _refused(api, path, body, field)
    assert _count(api, path, body["name"][:255]) == 0


def test_json_nested_thousands_of_levels_deep(api):
    body = "[" * 5000 + "]" * 5000
    response = api.request(
        "POST", REPOSITORIES, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "nested too deeply" in response.json()["detail"]


def test_sync_of_an_unknown_repository_is_404(api):
    response = api.post(
        f"{REPOSITORIES}01234567-89ab-cdef-0123-456789abcdef/sync/", {"mirror": False}
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")


def test_a_remote_with_sane_values_is_accepted(api):
    remote = api.ok(
        api.post(
            REMOTES,
            _remote(
                rate_limit=0,
                max_retries=0,
                download_concurrency=1,
                proxy_url="http://127.0.0.1:3128",
                headers=[{"X-Token": "abc\tdef"}],
                total_timeout=0.5,
            ),
        )
    )
    assert remote["rate_limit"] == 0 and remote["proxy_url"] == "http://127.0.0.1:3128"
