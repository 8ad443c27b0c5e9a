"""Container repositories: create, read, update, delete, versions, labels."""


def test_create_read_update_delete(api, unique):
    name = unique("repo")
    repo = api.create_repository(name, description="mine", pulp_labels={"team": "a"})
    assert repo["name"] == name
    assert repo["description"] == "mine"
    assert repo["pulp_labels"] == {"team": "a"}
    assert repo["latest_version_href"].endswith("/versions/0/")
    assert repo["pulp_href"].startswith("/pulp/api/v3/repositories/container/container/")

    listed = api.ok(api.get("repositories/container/container/", params={"name": name}))
    assert [r["pulp_href"] for r in listed["results"]] == [repo["pulp_href"]]

    api.run("PATCH", repo["pulp_href"], {"retain_repo_versions": 2, "description": "changed"})
    updated = api.ok(api.get(repo["pulp_href"]))
    assert updated["retain_repo_versions"] == 2
    assert updated["description"] == "changed"

    versions = api.ok(api.get(repo["versions_href"]))
    assert [v["number"] for v in versions["results"]] == [0]

    api.run("DELETE", repo["pulp_href"])
    assert api.get(repo["pulp_href"]).status_code == 404


def test_duplicate_name_is_refused(api, unique):
    name = unique("repo")
    api.create_repository(name)
    response = api.post("repositories/container/container/", {"name": name})
    assert response.status_code == 400
    assert "name" in response.json()


def test_unknown_remote_is_refused(api, unique):
    name = unique("repo")
    response = api.post(
        "repositories/container/container/",
        {
            "name": name,
            "remote": "/pulp/api/v3/remotes/container/container/"
            "01a22bf8-0000-7000-8000-000000000000/",
        },
    )
    assert response.status_code == 400
    assert "remote" in response.json()
    assert api.ok(api.get("repositories/container/container/", params={"name": name}))["count"] == 0
