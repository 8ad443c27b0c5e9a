"""Container remotes: the fields of pulpcore's remotes plus upstream name and tag filters."""

import pytest

REMOTES = "remotes/container/container/"


def test_create_with_all_fields(api, unique):
    name = unique("remote")
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": name,
                "url": "http://127.0.0.1:5000",
                "upstream_name": "library/busybox",
                "include_tags": ["v1.*", "latest"],
                "exclude_tags": ["*-rc"],
                "policy": "on_demand",
                "username": "someone",
                "password": "secret",
                "tls_validation": False,
                "proxy_url": "http://127.0.0.1:3128",
            },
        )
    )
    assert remote["upstream_name"] == "library/busybox"
    assert remote["includes"] == ["v1.*", "latest"]
    assert remote["excludes"] == ["*-rc"]
    assert "include_tags" not in remote and "exclude_tags" not in remote
    assert remote["sigstore"] is None
    assert remote["policy"] == "on_demand"
    assert remote["tls_validation"] is False
    assert remote["proxy_url"] == "http://127.0.0.1:3128"
    assert "password" not in remote
    hidden = {f["name"]: f["is_set"] for f in remote["hidden_fields"]}
    assert hidden["password"] is True
    assert "include_tags" not in hidden


def test_older_filter_names_are_accepted_and_read_back_as_the_newer(api, unique):
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": unique("remote"),
                "url": "https://127.0.0.1:5000",
                "upstream_name": "busybox",
                "include_tags": ["v4.*"],
                "exclude_tags": None,
            },
        )
    )
    assert remote["includes"] == ["v4.*"]
    assert remote["excludes"] is None


@pytest.mark.parametrize("value", [None, ""])
def test_sigstore_accepts_its_neutral_values(api, unique, value):
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": unique("remote"),
                "url": "http://127.0.0.1:5000",
                "upstream_name": "a",
                "sigstore": value,
            },
        )
    )
    assert remote["sigstore"] is None


def test_sigstore_is_not_supported_yet(api, unique):
    name = unique("remote")
    response = api.post(
        REMOTES,
        {
            "name": name,
            "url": "http://127.0.0.1:5000",
            "upstream_name": "a",
            "sigstore": "https://rekor.example",
        },
    )
    assert response.status_code == 400
    assert "not supported yet" in response.json()["sigstore"][0]
    assert api.ok(api.get(REMOTES, params={"name": name}))["count"] == 0


def test_newer_filter_names_are_accepted(api, unique):
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": unique("remote"),
                "url": "https://127.0.0.1:5000",
                "upstream_name": "busybox",
                "includes": ["v2.*"],
                "excludes": ["*-beta"],
            },
        )
    )
    assert remote["includes"] == ["v2.*"]
    assert remote["excludes"] == ["*-beta"]
    assert remote["policy"] == "immediate"


@pytest.mark.parametrize("policy", ["immediate", "on_demand", "streamed"])
def test_each_policy(api, unique, policy):
    remote = api.ok(
        api.post(
            REMOTES,
            {
                "name": unique("remote"),
                "url": "http://127.0.0.1:5000",
                "upstream_name": "a",
                "policy": policy,
            },
        )
    )
    assert remote["policy"] == policy


@pytest.mark.parametrize(
    "fields, bad_field",
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"url": "http://127.0.0.1:99999"}, "url"),
        ({"policy": "sometimes"}, "policy"),
        ({"upstream_name": "Upper/Case"}, "upstream_name"),
        ({"upstream_name": ""}, "upstream_name"),
        ({"include_tags": "v1"}, "include_tags"),
        ({"includes": ["a"], "include_tags": ["b"]}, "includes"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(api, unique, fields, bad_field):
    name = unique("remote")
    body = {"name": name, "url": "http://127.0.0.1:5000", "upstream_name": "busybox", **fields}
    response = api.post(REMOTES, body)
    assert response.status_code == 400, response.text
    assert bad_field in response.json()
    assert api.ok(api.get(REMOTES, params={"name": name}))["count"] == 0


def test_update_and_delete(api, unique):
    remote = api.ok(
        api.post(
            REMOTES,
            {"name": unique("remote"), "url": "http://127.0.0.1:5000", "upstream_name": "a"},
        )
    )
    api.run("PATCH", remote["pulp_href"], {"includes": ["v3.*"], "policy": "streamed"})
    updated = api.ok(api.get(remote["pulp_href"]))
    assert updated["includes"] == ["v3.*"]
    assert updated["policy"] == "streamed"
    api.run("DELETE", remote["pulp_href"])
    assert api.get(remote["pulp_href"]).status_code == 404
