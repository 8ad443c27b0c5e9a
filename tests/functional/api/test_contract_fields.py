"""What the fields and endpoints added for the 2.30 contract do: neutral values of features not
supported yet, computed manifest fields and their filters, push repositories, signatures,
hidden distributions out of the catalog, and the pull-through distribution's own fields."""

import uuid

import pytest

from tests.functional.api.test_pull_through import pull_through, wait_for_content, wait_for_version
from tests.functional.api.test_pull_through_catalog import catalog
from tests.functional.api.test_sync import content, create_remote, sync
from tests.functional.registry_client import RegistryClient
from tests.functional.upstream import push_docker_image, push_oci_index, skopeo_copy

REPOSITORIES = "repositories/container/container/"
PUSH_REPOSITORIES = "repositories/container/container-push/"


def name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def synced(api, upstream_registry):
    """A repository synced from an upstream holding a plain image, a bootable one, a flatpak
    and an OCI index."""
    upstream = f"fields/{uuid.uuid4().hex[:8]}"
    client = upstream_registry.client()
    images = {
        "plain": push_docker_image(client, upstream, ["plain"], layers=2, layer_size=2048),
        "bootable": push_docker_image(
            client, upstream, ["bootable"], layer_size=1024, labels={"containers.bootc": "1"}
        ),
        "flatpak": push_docker_image(
            client,
            upstream,
            ["flatpak"],
            layer_size=1024,
            labels={"org.flatpak.ref": "app/org.example.App/x86_64/stable"},
        ),
        "index": push_oci_index(client, upstream, ["index"], layer_size=1024),
    }
    remote = create_remote(api, lambda p: name(p), upstream_registry, upstream)
    repository = api.create_repository(name("fields-"))
    sync(api, repository, remote)
    version = api.ok(api.get(repository["pulp_href"]))["latest_version_href"]
    return {"images": images, "version": version, "repository": repository, "remote": remote}


def _by_digest(units):
    return {unit["digest"]: unit for unit in units}


def test_manifest_type_size_and_flags(api, synced):
    manifests = _by_digest(content(api, "manifests", synced["version"]))
    images = synced["images"]
    expected = {"plain": "image", "bootable": "bootable", "flatpak": "flatpak", "index": "index"}
    for label, kind in expected.items():
        manifest = manifests[images[label].digest]
        assert manifest["type"] == kind, label
        assert manifest["is_bootable"] is (kind == "bootable")
        assert manifest["is_flatpak"] is (kind == "flatpak")
    plain = manifests[images["plain"].digest]
    assert plain["compressed_image_size"] == sum(layer.size for layer in images["plain"].layers)
    index = images["index"]
    assert manifests[index.digest]["compressed_image_size"] == sum(
        sum(layer.size for layer in child.layers) for child in index.children
    )
    for child in index.children:
        assert manifests[child.digest]["type"] == "image"


# Run in the server's Django shell: forget the computed fields of some manifests, as rows
# stored before migration 0006 had none, then run that migration's data step.
_FORGET_AND_FILL = """
import importlib
from django.apps import apps
from pulp_container.app.models import Manifest
Manifest.objects.filter(digest__in={digests!r}).update(
    compressed_image_size=None, type=None, is_bootable=False, is_flatpak=False
)
importlib.import_module("pulp_container.app.migrations.0006_contract_fields").fill_manifest_kinds(
    apps, None
)
"""
KIND_FIELDS = ("compressed_image_size", "type", "is_bootable", "is_flatpak")


def test_migration_fills_the_fields_of_older_manifests(api, pulp_server, synced):
    def kinds():
        return {
            digest: {field: manifest[field] for field in KIND_FIELDS}
            for digest, manifest in _by_digest(content(api, "manifests", synced["version"])).items()
        }

    computed = kinds()
    pulp_server.manage("shell", "-c", _FORGET_AND_FILL.format(digests=sorted(computed)))
    assert kinds() == computed


def test_pulled_through_index_size_is_its_childrens(api, pulp_server, upstream_registry, tmp_path):
    upstream = f"sizes/{uuid.uuid4().hex[:8]}"
    index = push_oci_index(upstream_registry.client(), upstream, ["multi"], layer_size=1024)
    distribution = pull_through(api, upstream_registry.url)
    cached = f"{distribution['base_path']}/{upstream}"
    source = f"{pulp_server.registry_host}/{cached}:multi"
    skopeo_copy(source, f"dir:{tmp_path / 'all'}", all_images=True)
    repository = wait_for_content(api, cached, {"container.manifest": 1 + len(index.children)})
    manifests = _by_digest(content(api, "manifests", repository["latest_version_href"]))
    sizes = [sum(layer.size for layer in child.layers) for child in index.children]
    assert [manifests[c.digest]["compressed_image_size"] for c in index.children] == sizes
    assert manifests[index.digest]["compressed_image_size"] == sum(sizes)
    assert manifests[index.digest]["type"] == "index"


def test_manifest_filters_is_bootable_and_is_flatpak(api, synced):
    version = synced["version"]
    images = synced["images"]

    def digests(**params):
        page = api.ok(
            api.get(
                "content/container/manifests/",
                params={"repository_version": version, **params},
            )
        )
        return {m["digest"] for m in page["results"]}

    assert digests(is_bootable="true") == {images["bootable"].digest}
    assert digests(is_flatpak="true") == {images["flatpak"].digest}
    assert images["bootable"].digest not in digests(is_bootable="false")


def test_tag_filter_media_type(api, synced):
    index = synced["images"]["index"]
    page = api.ok(
        api.get(
            "content/container/tags/",
            params={"repository_version": synced["version"], "media_type": index.media_type},
        )
    )
    assert [tag["name"] for tag in page["results"]] == ["index"]


def test_sync_signed_only_false_is_accepted_and_true_is_not_supported(api, synced):
    repository, remote = synced["repository"], synced["remote"]
    body = {"remote": remote["pulp_href"], "signed_only": False}
    api.run("POST", f"{repository['pulp_href']}sync/", body)
    refused = api.post(f"{repository['pulp_href']}sync/", {**body, "signed_only": True})
    assert refused.status_code == 400
    assert "not supported yet" in refused.json()["signed_only"][0]


def test_sync_of_an_unknown_repository_is_404(api, synced):
    unknown = f"/pulp/api/v3/{REPOSITORIES}{uuid.uuid4()}/sync/"
    assert api.post(unknown, {"remote": synced["remote"]["pulp_href"]}).status_code == 404


def test_manifest_signing_service_null_only(api):
    repository = api.create_repository(name("signing-"), manifest_signing_service=None)
    assert repository["manifest_signing_service"] is None
    refused_name = name("signing-")
    refused = api.post(
        REPOSITORIES,
        {"name": refused_name, "manifest_signing_service": "/pulp/api/v3/signing-services/x/"},
    )
    assert refused.status_code == 400
    assert "not supported yet" in refused.json()["manifest_signing_service"][0]
    assert api.ok(api.get(REPOSITORIES, params={"name": refused_name}))["count"] == 0


@pytest.mark.parametrize("action", ["sign", "build_image"])
def test_repository_actions_not_supported_yet(api, action):
    repository = api.create_repository(name("actions-"))
    refused = api.post(f"{repository['pulp_href']}{action}/", {})
    assert refused.status_code == 400
    assert "not supported yet" in refused.json()["detail"]
    unknown = f"/pulp/api/v3/{REPOSITORIES}{uuid.uuid4()}/{action}/"
    assert api.post(unknown, {}).status_code == 404


def test_push_repositories_list_nothing_and_cannot_be_created(api):
    assert api.ok(api.get(PUSH_REPOSITORIES))["count"] == 0
    assert api.post(PUSH_REPOSITORIES, {"name": name("push-")}).status_code == 405
    for action in ("sign", "remove_signatures", "migrate"):
        unknown = f"/pulp/api/v3/{PUSH_REPOSITORIES}{uuid.uuid4()}/{action}/"
        assert api.post(unknown, {}).status_code == 404


def test_signatures_list_nothing(api):
    page = api.ok(api.get("content/container/signatures/"))
    assert page["count"] == 0 and page["results"] == []


def test_hidden_distribution_is_absent_from_the_catalog(api, pulp_server, synced):
    base_path = name("fields/hidden-")
    distribution = api.create_distribution(
        name("dist-"), base_path, repository=synced["repository"]["pulp_href"], hidden=True
    )
    assert distribution["hidden"] is True
    admin = ("admin", pulp_server.admin_password)
    assert base_path not in catalog(pulp_server, admin)
    api.run("PATCH", distribution["pulp_href"], {"hidden": False})
    assert base_path in catalog(pulp_server, admin)


def test_hidden_pull_through_hides_its_names_and_lists_its_distributions(
    api, pulp_server, upstream_registry
):
    upstream = f"hidden/{uuid.uuid4().hex[:8]}"
    push_docker_image(upstream_registry.client(), upstream, ["latest"], layer_size=2048)
    distribution = pull_through(api, upstream_registry.url, hidden=True)
    assert distribution["hidden"] is True
    assert distribution["distributions"] == []
    assert distribution["repository"] is None and distribution["repository_version"] is None
    cached = f"{distribution['base_path']}/{upstream}"
    admin = ("admin", pulp_server.admin_password)
    registry = RegistryClient(pulp_server.registry_host, admin)
    assert registry.manifest(cached, "latest").status_code == 200
    wait_for_version(api, cached, 1)

    assert cached not in catalog(pulp_server, admin)
    (created,) = api.ok(api.get(distribution["pulp_href"]))["distributions"]
    served = api.ok(api.get(created))
    assert served["base_path"] == cached
    assert served["hidden"] is True
    assert api.ok(api.get(served["remote"]))["upstream_name"] == upstream

    api.run("PATCH", distribution["pulp_href"], {"hidden": False})
    assert cached in catalog(pulp_server, admin)


def test_pull_through_repository_must_be_null(api, upstream_registry, synced):
    suffix = uuid.uuid4().hex[:8]
    remote = api.ok(
        api.post(
            "remotes/container/pull-through/",
            {"name": f"r-{suffix}", "url": upstream_registry.url},
        )
    )
    refused = api.post(
        "distributions/container/pull-through/",
        {
            "name": f"d-{suffix}",
            "base_path": f"pt-{suffix}",
            "remote": remote["pulp_href"],
            "repository": synced["repository"]["pulp_href"],
        },
    )
    assert refused.status_code == 400
    assert "repository" in refused.json()
    listed = api.get("distributions/container/pull-through/", params={"name": f"d-{suffix}"})
    assert api.ok(listed)["count"] == 0


def test_pull_through_filters(api, upstream_registry):
    first = pull_through(api, upstream_registry.url)
    second = pull_through(api, upstream_registry.url)
    page = api.ok(
        api.get(
            "distributions/container/pull-through/",
            params={"base_path__in": f"{first['base_path']},{second['base_path']}"},
        )
    )
    assert {d["pulp_href"] for d in page["results"]} == {first["pulp_href"], second["pulp_href"]}
    params = {"checkpoint": "false", "base_path": first["base_path"]}
    page = api.ok(api.get("distributions/container/pull-through/", params=params))
    assert page["count"] == 1
