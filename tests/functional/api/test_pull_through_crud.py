"""Pull-through remotes and distributions over the REST API: fields, tasks, bad input."""

import pytest

REMOTES = "remotes/container/pull-through/"
DISTRIBUTIONS = "distributions/container/pull-through/"
LABEL = "pulp_container.pull_through"


def create_remote(api, name, **fields):
    return api.ok(api.post(REMOTES, {"name": name, "url": "http://127.0.0.1:5000", **fields}))


def test_remote_with_all_fields(api, unique):
    remote = create_remote(
        api,
        unique("ptr"),
        includes=["library/*"],
        excludes=["library/secret*"],
        username="someone",
        password="secret",
        tls_validation=False,
        proxy_url="http://127.0.0.1:3128",
        total_timeout=30.0,
    )
    assert remote["pulp_href"].startswith("/pulp/api/v3/remotes/container/pull-through/")
    assert remote["includes"] == ["library/*"]
    assert remote["excludes"] == ["library/secret*"]
    assert remote["policy"] == "on_demand"
    assert remote["tls_validation"] is False
    assert remote["total_timeout"] == 30.0
    assert "password" not in remote
    hidden = {f["name"]: f["is_set"] for f in remote["hidden_fields"]}
    assert hidden["password"] is True


@pytest.mark.parametrize(
    "fields, bad_field",
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://127.0.0.1/x"}, "url"),
        ({"policy": "immediate"}, "policy"),
        ({"includes": "library/*"}, "includes"),
        ({"excludes": [""]}, "excludes"),
        ({"total_timeout": -1}, "total_timeout"),
    ],
)
def test_remote_bad_input_names_the_field_and_creates_nothing(api, unique, fields, bad_field):
    name = unique("ptr")
    response = api.post(REMOTES, {"name": name, "url": "http://127.0.0.1:5000", **fields})
    assert response.status_code == 400, response.text
    assert bad_field in response.json()
    assert api.ok(api.get(REMOTES, params={"name": name}))["count"] == 0


def test_distribution_create_update_delete(api, pulp_server, unique):
    remote = create_remote(api, unique("ptr"))
    name = unique("ptd")
    response = api.post(
        DISTRIBUTIONS,
        {"name": name, "base_path": f"cache/{name}", "remote": remote["pulp_href"]},
    )
    assert response.status_code == 202, response.text
    task = api.wait_task(response.json()["task"])
    distribution = api.ok(api.get(task["created_resources"][0]))
    assert distribution["pulp_href"].startswith(
        "/pulp/api/v3/distributions/container/pull-through/"
    )
    assert distribution["remote"] == remote["pulp_href"]
    assert distribution["private"] is False
    assert distribution["registry_path"] == f"{pulp_server.registry_host}/cache/{name}"
    assert distribution["repository"] is None and distribution["repository_version"] is None
    assert distribution["hidden"] is False and distribution["distributions"] == []

    api.run(
        "PATCH",
        distribution["pulp_href"],
        {"private": True, "description": "mirror of upstream", "pulp_labels": {"k": "v"}},
    )
    updated = api.ok(api.get(distribution["pulp_href"]))
    assert (updated["private"], updated["description"], updated["pulp_labels"]) == (
        True,
        "mirror of upstream",
        {"k": "v", LABEL: f"cache/{name}"},
    )
    api.run("PUT", distribution["pulp_href"], {**updated, "base_path": f"cache/{name}"})
    api.run("DELETE", distribution["pulp_href"])
    assert api.get(distribution["pulp_href"]).status_code == 404


def test_the_pull_through_label_follows_the_base_path(api, pulp_server, unique):
    remote = create_remote(api, unique("ptr"))
    name = unique("ptd")
    task = api.run(
        "POST",
        DISTRIBUTIONS,
        {"name": name, "base_path": f"cache/{name}", "remote": remote["pulp_href"],
         "pulp_labels": {"team": "a"}},
    )  # fmt: skip
    created = api.ok(api.get(task["created_resources"][0]))
    assert created["base_path"] == f"cache/{name}"
    assert created["pulp_labels"] == {"team": "a", LABEL: f"cache/{name}"}
    found = api.ok(api.get(DISTRIBUTIONS, params={"pulp_label_select": f"{LABEL}=cache/{name}"}))
    assert [d["pulp_href"] for d in found["results"]] == [created["pulp_href"]]

    api.run("PATCH", created["pulp_href"], {"base_path": f"moved/{name}"})
    moved = api.ok(api.get(created["pulp_href"]))
    assert moved["base_path"] == f"moved/{name}"
    assert moved["registry_path"] == f"{pulp_server.registry_host}/moved/{name}"
    assert moved["pulp_labels"] == {"team": "a", LABEL: f"moved/{name}"}

    api.run("PATCH", created["pulp_href"], {"pulp_labels": {LABEL: "elsewhere", "x": "y"}})
    assert api.ok(api.get(created["pulp_href"]))["pulp_labels"] == {
        "x": "y",
        LABEL: f"moved/{name}",
    }


@pytest.mark.parametrize(
    "fields, bad_field",
    [
        ({"remote": None}, "remote"),
        ({"remote": "/pulp/api/v3/remotes/container/container/0/"}, "remote"),
        ({"base_path": "Upper/Case"}, "base_path"),
        ({"base_path": ""}, "base_path"),
        ({"private": "maybe"}, "private"),
    ],
)
def test_distribution_bad_input_names_the_field_and_creates_nothing(api, unique, fields, bad_field):
    remote = create_remote(api, unique("ptr"))
    name = unique("ptd")
    body = {"name": name, "base_path": name, "remote": remote["pulp_href"], **fields}
    response = api.post(DISTRIBUTIONS, body)
    assert response.status_code == 400, response.text
    assert bad_field in response.json()
    assert api.ok(api.get(DISTRIBUTIONS, params={"name": name}))["count"] == 0


def test_a_container_remote_is_not_a_pull_through_remote(api, unique):
    container_remote = api.ok(
        api.post(
            "remotes/container/container/",
            {"name": unique("r"), "url": "http://127.0.0.1:5000", "upstream_name": "a"},
        )
    )
    name = unique("ptd")
    response = api.post(
        DISTRIBUTIONS, {"name": name, "base_path": name, "remote": container_remote["pulp_href"]}
    )
    assert response.status_code == 400, response.text
    assert "remote" in response.json()


def test_base_paths_do_not_overlap_other_distributions(api, unique):
    remote = create_remote(api, unique("ptr"))
    name = unique("ptd")
    api.run("POST", DISTRIBUTIONS, {"name": name, "base_path": name, "remote": remote["pulp_href"]})
    inside = api.post(
        "distributions/container/container/",
        {"name": unique("d"), "base_path": f"{name}/library/busybox"},
    )
    assert inside.status_code == 400, inside.text
    assert "base_path" in inside.json()
    around = api.post(
        DISTRIBUTIONS,
        {"name": unique("ptd"), "base_path": f"{name}/x", "remote": remote["pulp_href"]},
    )
    assert around.status_code == 400, around.text
    assert "base_path" in around.json()


# Run in the server's Django shell: take the label off a distribution, as rows made before it
# existed have none, then run the data step of migration 0009.
_FORGET_AND_LABEL = """
import importlib
from django.apps import apps
from pulp_container.app.models import ContainerPullThroughDistribution
ContainerPullThroughDistribution.objects.filter(pk={pk!r}).update(pulp_labels={{"team": "a"}})
importlib.import_module("pulp_container.app.migrations.0009_pull_through_label")._label_existing(
    apps, None
)
"""


def test_migration_labels_older_pull_through_distributions(api, pulp_server, unique):
    remote = create_remote(api, unique("ptr"))
    name = unique("ptd")
    task = api.run(
        "POST",
        DISTRIBUTIONS,
        {"name": name, "base_path": f"old/{name}", "remote": remote["pulp_href"],
         "pulp_labels": {"team": "a"}},
    )  # fmt: skip
    href = task["created_resources"][0]
    pk = href.rstrip("/").rsplit("/", 1)[1]
    pulp_server.manage("shell", "-c", _FORGET_AND_LABEL.format(pk=pk))
    assert api.ok(api.get(href))["pulp_labels"] == {"team": "a", LABEL: f"old/{name}"}
