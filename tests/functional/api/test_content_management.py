"""Curate container repositories: recursive add/remove, tag/untag, copy tags and manifests.

One upstream name holds two multi-arch OCI indexes and a Docker image that share layers:

    a     -> index (amd64: config, L0-amd64;        arm64: config, L0-arm64)
    b     -> index (amd64: config, L0-amd64, L1-amd64; arm64: config, L0-arm64, L1-arm64)
    solo  -> Docker image (config, L0-amd64)

7 manifests (2 indexes, 5 images) and 9 blobs (5 configs, 4 layers); it is synced once into a
source repository, and each test curates repositories of its own from it. Counts are read from
each version's content summary, as a user sees them.
"""

import json
import uuid

import pytest
from pulpcore.client import pulp_container as client_module

from tests.functional.api.test_pulp_cli import run_cli
from tests.functional.upstream import (
    AMD64,
    media_types,
    push_image,
    push_oci_index,
    skopeo_copy,
)

REPOSITORIES = "repositories/container/container/"
SEED = "content-management"
LAYER_SIZE = 4096


# --- helpers ---------------------------------------------------------------------------------


def new_name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def latest(api, repository):
    return api.ok(api.get(repository["pulp_href"]))["latest_version_href"]


def counts(api, version_href):
    """(tags, manifests, blobs) present in a repository version."""
    present = api.ok(api.get(version_href))["content_summary"]["present"]
    return tuple(
        present.get(f"container.{kind}", {}).get("count", 0) for kind in ("tag", "manifest", "blob")
    )


def units(api, kind, version_href, **params):
    page = api.ok(
        api.get(
            f"content/container/{kind}/",
            params={"repository_version": version_href, "limit": 1000, **params},
        )
    )
    return page["results"]


def tag_targets(api, version_href):
    """{tag name: manifest digest} of a version."""
    digests = {m["pulp_href"]: m["digest"] for m in units(api, "manifests", version_href)}
    return {t["name"]: digests[t["tagged_manifest"]] for t in units(api, "tags", version_href)}


def href_of(api, kind, version_href, **params):
    (unit,) = units(api, kind, version_href, **params)
    return unit["pulp_href"]


def act(api, repository, action, body):
    """POST an action, wait for its task; returns the new version's href, or None."""
    task = api.run("POST", f"{repository['pulp_href']}{action}/", body)
    created = [href for href in task["created_resources"] if "/versions/" in href]
    return created[0] if created else None


# --- the source ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def images(upstream_registry):
    client = upstream_registry.client()
    name = f"curate/{uuid.uuid4().hex[:8]}"
    options = {"seed": SEED, "layer_size": LAYER_SIZE}
    return {
        "a": push_oci_index(client, name, ["a"], layers=1, **options),
        "b": push_oci_index(client, name, ["b"], layers=2, **options),
        "solo": push_image(
            client, name, ["solo"], platform=AMD64, layers=1, labels={"solo": "yes"}, **options
        ),
    }


@pytest.fixture(scope="module")
def source(api, upstream_registry, images):
    """The synced source repository; its version 1 holds everything."""
    remote = api.ok(
        api.post(
            "remotes/container/container/",
            {
                "name": new_name("remote-"),
                "url": upstream_registry.url,
                "upstream_name": images["a"].repository,
            },
        )
    )
    repository = api.create_repository(new_name("source-"), remote=remote["pulp_href"])
    api.run("POST", f"{repository['pulp_href']}sync/", {})
    repository = api.ok(api.get(repository["pulp_href"]))
    assert counts(api, repository["latest_version_href"]) == (3, 7, 9)
    return repository


@pytest.fixture
def repository(api):
    return api.create_repository(new_name("curated-"))


def test_the_images_share_layers(images):
    a, b, solo = images["a"], images["b"], images["solo"]
    first_layer = lambda image: image.layers[0].digest  # noqa: E731
    assert first_layer(a.child("amd64")) == first_layer(b.child("amd64")) == first_layer(solo)
    assert first_layer(a.child("arm64")) == first_layer(b.child("arm64"))
    assert len({blob.digest for image in (a, b, solo) for blob in image.blobs}) == 9


# --- add -------------------------------------------------------------------------------------


def test_add_brings_what_each_unit_needs(api, source, repository, images):
    src = source["latest_version_href"]
    tag_a = href_of(api, "tags", src, name="a")
    tag_b = href_of(api, "tags", src, name="b")
    solo = href_of(api, "manifests", src, digest=images["solo"].digest)

    version = act(api, repository, "add", {"content_units": [tag_a]})
    assert version.endswith("/versions/1/")
    assert counts(api, version) == (1, 3, 4)

    version = act(api, repository, "add", {"content_units": [tag_b]})
    assert counts(api, version) == (2, 6, 8)  # the L0 layers are shared

    version = act(api, repository, "add", {"content_units": [solo]})
    assert counts(api, version) == (2, 7, 9)  # solo's config only: its layer is b's L0-amd64
    assert tag_targets(api, version) == {"a": images["a"].digest, "b": images["b"].digest}

    assert act(api, repository, "add", {"content_units": [tag_a, solo]}) is None
    assert latest(api, repository) == version


def test_add_onto_a_base_version(api, source, repository):
    src = source["latest_version_href"]
    first = act(api, repository, "add", {"content_units": [href_of(api, "tags", src, name="a")]})
    act(api, repository, "add", {"content_units": [href_of(api, "tags", src, name="solo")]})

    version = act(
        api,
        repository,
        "add",
        {"content_units": [href_of(api, "tags", src, name="b")], "base_version": first},
    )
    assert version.endswith("/versions/3/")
    assert set(tag_targets(api, version)) == {"a", "b"}
    assert counts(api, version) == (2, 6, 8)


# --- remove ----------------------------------------------------------------------------------


def test_remove_keeps_what_remaining_content_needs(api, source, repository, images):
    src = source["latest_version_href"]
    act(api, repository, "copy_tags", {"source_repository": source["pulp_href"]})
    full = latest(api, repository)
    assert counts(api, full) == (3, 7, 9)

    tag_a, tag_b = (href_of(api, "tags", src, name=name) for name in ("a", "b"))
    version = act(api, repository, "remove", {"content_units": [tag_a]})
    assert counts(api, version) == (2, 4, 7)  # b's index, images and blobs, solo and its config

    # what a remaining tag, index or manifest needs is never removed
    b_index = href_of(api, "manifests", src, digest=images["b"].digest)
    b_arm64 = href_of(api, "manifests", src, digest=images["b"].child("arm64").digest)
    shared = href_of(api, "blobs", src, digest=images["solo"].layers[0].digest)
    for needed in (b_index, b_arm64, shared):
        assert act(api, repository, "remove", {"content_units": [needed]}) is None
    assert latest(api, repository) == version

    version = act(api, repository, "remove", {"content_units": [tag_b]})
    assert counts(api, version) == (1, 1, 2)  # solo, its config and the L0-amd64 layer
    assert tag_targets(api, version) == {"solo": images["solo"].digest}

    version = act(api, repository, "remove", {"content_units": ["*"]})
    assert counts(api, version) == (0, 0, 0)
    assert act(api, repository, "remove", {"content_units": ["*"]}) is None


def test_remove_an_untagged_manifest_with_its_blobs(api, source, repository, images):
    src = source["latest_version_href"]
    solo = href_of(api, "manifests", src, digest=images["solo"].digest)
    a_amd64 = href_of(api, "manifests", src, digest=images["a"].child("amd64").digest)
    act(api, repository, "add", {"content_units": [solo, a_amd64]})
    assert counts(api, latest(api, repository)) == (0, 2, 3)  # two configs, one shared layer

    version = act(api, repository, "remove", {"content_units": [solo]})
    assert counts(api, version) == (0, 1, 2)
    assert {m["digest"] for m in units(api, "manifests", version)} == {
        images["a"].child("amd64").digest
    }


# --- tag and untag ---------------------------------------------------------------------------


def test_tag_moves_and_untag_keeps_the_manifest(api, source, repository, images):
    src = source["latest_version_href"]
    act(api, repository, "add", {"content_units": [href_of(api, "tags", src, name="a")]})
    solo = href_of(api, "manifests", src, digest=images["solo"].digest)
    act(api, repository, "add", {"content_units": [solo]})
    assert counts(api, latest(api, repository)) == (1, 4, 5)

    version = act(api, repository, "tag", {"tag": "release", "digest": images["solo"].digest})
    assert tag_targets(api, version) == {"a": images["a"].digest, "release": images["solo"].digest}
    assert counts(api, version) == (2, 4, 5)

    assert act(api, repository, "tag", {"tag": "release", "digest": images["solo"].digest}) is None

    version = act(api, repository, "tag", {"tag": "release", "digest": images["a"].digest})
    assert tag_targets(api, version) == {"a": images["a"].digest, "release": images["a"].digest}

    version = act(api, repository, "untag", {"tag": "release"})
    assert tag_targets(api, version) == {"a": images["a"].digest}
    assert counts(api, version) == (1, 4, 5)


# --- copy ------------------------------------------------------------------------------------


def test_copy_tags(api, source, repository, images):
    body = {"source_repository": source["pulp_href"], "names": ["b"]}
    version = act(api, repository, "copy_tags", body)
    assert counts(api, version) == (1, 3, 6)

    version = act(
        api,
        repository,
        "copy_tags",
        {"source_repository_version": source["latest_version_href"]},
    )
    assert counts(api, version) == (3, 7, 9)
    assert act(api, repository, "copy_tags", {"source_repository": source["pulp_href"]}) is None


def test_a_copied_tag_replaces_one_of_the_same_name(api, source, repository, images):
    act(api, repository, "copy_tags", {"source_repository": source["pulp_href"], "names": ["solo"]})
    act(api, repository, "tag", {"tag": "a", "digest": images["solo"].digest})

    body = {"source_repository": source["pulp_href"], "names": ["a"]}
    version = act(api, repository, "copy_tags", body)
    assert tag_targets(api, version) == {"a": images["a"].digest, "solo": images["solo"].digest}


def test_copy_manifests(api, source, repository, images):
    src = source["latest_version_href"]
    body = {"source_repository_version": src, "digests": [images["a"].digest]}
    version = act(api, repository, "copy_manifests", body)
    assert counts(api, version) == (0, 3, 4)  # an index brings its images; tags stay behind

    body = {"source_repository": source["pulp_href"], "media_types": [media_types.DOCKER_MANIFEST]}
    version = act(api, repository, "copy_manifests", body)
    assert counts(api, version) == (0, 4, 5)

    body = {"source_repository": source["pulp_href"], "media_types": [media_types.OCI_MANIFEST]}
    version = act(api, repository, "copy_manifests", body)
    assert counts(api, version) == (0, 6, 9)  # every image of both indexes, not the b index

    version = act(api, repository, "copy_manifests", {"source_repository": source["pulp_href"]})
    assert counts(api, version) == (0, 7, 9)


# --- bad input -------------------------------------------------------------------------------

MISSING_DIGEST = "sha256:" + "0" * 64


def _bad_bodies(source, other_version, tag_href, images):
    unknown = f"/pulp/api/v3/content/container/tags/{uuid.uuid4()}/"
    return [
        ("add", {"content_units": [unknown]}, "content_units"),
        ("add", {"content_units": [source["pulp_href"]]}, "content_units"),
        ("add", {"content_units": ["not-an-href"]}, "content_units"),
        ("add", {"content_units": ["*"]}, "content_units"),
        ("remove", {"content_units": ["*", tag_href]}, "content_units"),
        ("remove", {"content_units": [unknown]}, "content_units"),
        ("add", {"content_units": [tag_href], "base_version": other_version}, "base_version"),
        ("add", {"content_units": [tag_href], "overwrite": True}, "overwrite"),
        ("tag", {"tag": "-leading-dash", "digest": images["a"].digest}, "tag"),
        ("tag", {"tag": "has:colon", "digest": images["a"].digest}, "tag"),
        ("tag", {"tag": "x" * 129, "digest": images["a"].digest}, "tag"),
        ("tag", {"digest": images["a"].digest}, "tag"),
        ("tag", {"tag": "ok", "digest": "sha256:abc"}, "digest"),
        ("tag", {"tag": "ok", "digest": MISSING_DIGEST}, "digest"),
        ("tag", {"tag": "ok", "digest": images["b"].digest}, "digest"),  # in the source only
        ("untag", {"tag": "b"}, "tag"),
        ("untag", {"tag": "bad tag"}, "tag"),
        ("copy_tags", {}, "source_repository"),
        (
            "copy_tags",
            {"source_repository": source["pulp_href"], "source_repository_version": other_version},
            "source_repository",
        ),
        ("copy_tags", {"source_repository": source["pulp_href"], "names": ["nope"]}, "names"),
        ("copy_tags", {"source_repository": source["pulp_href"], "names": ["b@d"]}, "names"),
        ("copy_tags", {"source_repository": "/pulp/api/v3/nothing/"}, "source_repository"),
        ("copy_manifests", {"digests": [images["a"].digest]}, "source_repository"),
        (
            "copy_manifests",
            {"source_repository": source["pulp_href"], "digests": [MISSING_DIGEST]},
            "digests",
        ),
        (
            "copy_manifests",
            {"source_repository": source["pulp_href"], "media_types": ["text/plain"]},
            "media_types",
        ),
    ]


def test_bad_input_answers_400_naming_the_field(api, source, repository, images):
    src = source["latest_version_href"]
    tag_a = href_of(api, "tags", src, name="a")
    act(api, repository, "add", {"content_units": [tag_a]})
    other = api.create_repository(new_name("other-"))
    before = latest(api, repository)

    failures = []
    for action, body, field in _bad_bodies(source, other["latest_version_href"], tag_a, images):
        response = api.post(f"{repository['pulp_href']}{action}/", body)
        if response.status_code != 400 or field not in response.json():
            failures.append(f"{action} {json.dumps(body)}: {response.status_code} {response.text}")
    assert failures == []
    assert latest(api, repository) == before
    tasks = api.ok(api.get("tasks/", params={"reserved_resources": repository["prn"]}))
    assert tasks["count"] == 1  # the add above


# --- clients ---------------------------------------------------------------------------------


def test_pulp_cli_commands(api, pulp_server, source, images):
    name = new_name("cli-")
    run_cli(pulp_server, "repository", "create", "--name", name)
    repository = json.loads(run_cli(pulp_server, "repository", "show", "--name", name))

    run_cli(pulp_server, "repository", "copy-tag", "--name", name, "--source", source["name"],
            "--tag", "a")  # fmt: skip
    assert counts(api, latest(api, repository)) == (1, 3, 4)

    run_cli(pulp_server, "repository", "copy-manifest", "--name", name, "--source",
            source["name"], "--digest", images["solo"].digest)  # fmt: skip
    assert counts(api, latest(api, repository)) == (1, 4, 5)

    run_cli(pulp_server, "repository", "tag", "--name", name, "--tag", "single",
            "--digest", images["solo"].digest)  # fmt: skip
    run_cli(pulp_server, "repository", "untag", "--name", name, "--tag", "a")
    assert tag_targets(api, latest(api, repository)) == {"single": images["solo"].digest}

    run_cli(pulp_server, "repository", "content", "--type", "tag", "add", "--repository", name,
            "--name", "b", "--digest", images["b"].digest)  # fmt: skip
    assert counts(api, latest(api, repository)) == (2, 7, 9)

    run_cli(pulp_server, "repository", "content", "--type", "manifest", "remove",
            "--repository", name, "--digest", images["a"].digest)  # fmt: skip
    assert counts(api, latest(api, repository)) == (2, 4, 7)

    listed = json.loads(
        run_cli(pulp_server, "repository", "content", "--type", "tag", "list", "--repository", name)
    )
    assert {tag["name"] for tag in listed} == {"single", "b"}


@pytest.fixture
def bindings(pulp_server):
    configuration = client_module.Configuration(
        host=pulp_server.api_url, username="admin", password=pulp_server.admin_password
    )
    return client_module, client_module.RepositoriesContainerApi(
        client_module.ApiClient(configuration)
    )


def test_generated_bindings(api, bindings, source, repository, images):
    client, repositories = bindings
    href = repository["pulp_href"]

    task = repositories.copy_tags(href, client.TagCopy(source_repository=source["pulp_href"]))
    api.wait_task(task.task)
    assert counts(api, latest(api, repository)) == (3, 7, 9)

    task = repositories.tag(href, client.TagImage(tag="x", digest=images["b"].digest))
    api.wait_task(task.task)
    task = repositories.untag(href, client.UnTagImage(tag="b"))
    api.wait_task(task.task)
    assert tag_targets(api, latest(api, repository))["x"] == images["b"].digest

    tag_a = href_of(api, "tags", latest(api, repository), name="a")
    task = repositories.remove(href, client.RecursiveManage(content_units=[tag_a]))
    api.wait_task(task.task)
    assert counts(api, latest(api, repository)) == (2, 4, 7)

    task = repositories.add(href, client.RecursiveManage(content_units=[tag_a]))
    api.wait_task(task.task)
    assert counts(api, latest(api, repository)) == (3, 7, 9)

    body = client.ManifestCopy(
        source_repository_version=source["latest_version_href"],
        digests=[images["solo"].digest],
        media_types=[media_types.DOCKER_MANIFEST],
    )
    task = repositories.copy_manifests(href, body)
    assert api.wait_task(task.task)["created_resources"] == []


def test_curated_repository_is_pulled(api, pulp_server, source, repository, images, tmp_path):
    act(api, repository, "copy_tags", {"source_repository": source["pulp_href"], "names": ["b"]})
    act(api, repository, "tag", {"tag": "stable", "digest": images["b"].digest})
    distribution = api.create_distribution(
        new_name("dist-"), f"curated/{new_name('r')}", repository=repository["pulp_href"]
    )
    reference = f"{pulp_server.registry_host}/{distribution['base_path']}:stable"
    skopeo_copy(reference, f"dir:{tmp_path}", all_images=True)
    for blob in images["b"].blobs:
        assert (tmp_path / blob.digest.split(":")[1]).exists()


# --- permissions -----------------------------------------------------------------------------


def test_permissions_on_the_repository_and_the_source(
    api, source, repository, images, user_factory
):
    """Curating needs modify on the repository; copying also needs view on the source."""
    user = user_factory.create("curator")
    as_user = user_factory.api_as(user)

    def grant(role, obj):
        user_factory.grant(user, role, obj)

    tag_body = {"tag": "mine", "digest": images["a"].digest}
    copy_body = {"source_repository": source["pulp_href"], "names": ["a"]}
    grant("container.containerrepository_viewer", repository["pulp_href"])
    assert as_user.post(f"{repository['pulp_href']}copy_tags/", copy_body).status_code == 403

    grant("container.containerrepository_owner", repository["pulp_href"])
    assert as_user.post(f"{repository['pulp_href']}copy_tags/", copy_body).status_code == 403
    assert latest(api, repository).endswith("/versions/0/")

    grant("container.containerrepository_viewer", source["pulp_href"])
    as_user.run("POST", f"{repository['pulp_href']}copy_tags/", copy_body)
    as_user.run("POST", f"{repository['pulp_href']}tag/", tag_body)
    assert set(tag_targets(api, latest(api, repository))) == {"a", "mine"}
    assert as_user.post(f"{source['pulp_href']}untag/", {"tag": "a"}).status_code == 403
