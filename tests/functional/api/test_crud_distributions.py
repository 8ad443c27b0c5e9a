"""Container distributions: created, updated and deleted by tasks; registry_path; bad input."""

import pytest

DISTRIBUTIONS = "distributions/container/container/"
REQUIRED_FIELDS = {
    "pulp_created",
    "pulp_href",
    "base_path",
    "content_guard",
    "name",
    "registry_path",
    "repository",
    "repository_version",
}


def test_create_answers_a_task_naming_the_distribution(api, pulp_server, unique):
    repo = api.create_repository(unique("repo"))
    name = unique("dist")
    response = api.post(
        DISTRIBUTIONS, {"name": name, "base_path": name, "repository": repo["pulp_href"]}
    )
    assert response.status_code == 202
    assert set(response.json()) == {"task"}
    assert response.json()["task"].startswith("/pulp/api/v3/tasks/")
    task = api.wait_task(response.json()["task"])
    href = task["created_resources"][0]
    distribution = api.ok(api.get(href))
    assert REQUIRED_FIELDS <= set(distribution)
    assert distribution["registry_path"] == f"{pulp_server.registry_host}/{name}"
    assert distribution["repository"] == repo["pulp_href"]
    assert distribution["repository_version"] is None
    assert distribution["private"] is False


def test_update_private_description_labels(api, unique):
    name = unique("dist")
    distribution = api.create_distribution(name, f"team/{name}")
    assert distribution["base_path"] == f"team/{name}"
    api.run(
        "PATCH",
        distribution["pulp_href"],
        {"private": True, "description": "internal", "pulp_labels": {"env": "ci"}},
    )
    updated = api.ok(api.get(distribution["pulp_href"]))
    assert updated["private"] is True
    assert updated["description"] == "internal"
    assert updated["pulp_labels"] == {"env": "ci"}


def test_serve_a_pinned_version(api, unique):
    repo = api.create_repository(unique("repo"))
    distribution = api.create_distribution(
        unique("dist"), unique("pinned"), repository_version=repo["latest_version_href"]
    )
    assert distribution["repository_version"] == repo["latest_version_href"]
    assert distribution["repository"] is None


def test_deleting_a_distribution_keeps_the_repository(api, unique):
    repo = api.create_repository(unique("repo"))
    distribution = api.create_distribution(
        unique("dist"), unique("path"), repository=repo["pulp_href"]
    )
    api.run("DELETE", distribution["pulp_href"])
    assert api.get(distribution["pulp_href"]).status_code == 404
    assert api.get(repo["pulp_href"]).status_code == 200


@pytest.mark.parametrize(
    "make_body, bad_field",
    [
        (lambda taken, name: {"base_path": taken}, "base_path"),
        (lambda taken, name: {"base_path": f"{taken}/below"}, "base_path"),
        (lambda taken, name: {"base_path": taken.split("/")[0]}, "base_path"),
        (lambda taken, name: {"base_path": "Upper/Case"}, "base_path"),
        (lambda taken, name: {"base_path": "trailing/"}, "base_path"),
        (
            lambda taken, name: {
                "base_path": name,
                "repository": "/pulp/api/v3/repositories/container/container/"
                "01a22bf8-0000-7000-8000-000000000000/",
            },
            "repository",
        ),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(api, unique, make_body, bad_field):
    taken = f"{unique('taken')}/x"
    api.create_distribution(unique("dist"), taken)
    name = unique("dist")
    response = api.post(DISTRIBUTIONS, {"name": name, **make_body(taken, name)})
    assert response.status_code == 400, response.text
    assert isinstance(response.json()[bad_field], list), response.text
    assert api.ok(api.get(DISTRIBUTIONS, params={"name": name}))["count"] == 0


def test_repository_and_version_together_are_refused(api, unique):
    repo = api.create_repository(unique("repo"))
    response = api.post(
        DISTRIBUTIONS,
        {
            "name": unique("dist"),
            "base_path": unique("p"),
            "repository": repo["pulp_href"],
            "repository_version": repo["latest_version_href"],
        },
    )
    assert response.status_code == 400
