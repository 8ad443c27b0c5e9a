"""The generated Python bindings of pulp_container 2.30 (`pulp-container-client`) work unmodified:
sync, distribution create/update/delete, pull-through remote and distribution, and the
images pulled with skopeo from what they set up.
"""

import uuid

import pytest
from pulpcore.client import pulp_container as bindings
from pulpcore.client.pulp_container.exceptions import ApiException

from tests.functional.api.test_pull import copied_manifest_digest
from tests.functional.upstream import push_docker_image, skopeo_copy


def new_name(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def client(pulp_server):
    configuration = bindings.Configuration(
        host=pulp_server.api_url, username="admin", password=pulp_server.admin_password
    )
    with bindings.ApiClient(configuration) as api_client:
        yield api_client


@pytest.fixture(scope="module")
def image(upstream_registry):
    name = f"bindings/{uuid.uuid4().hex[:8]}"
    return push_docker_image(upstream_registry.client(), name, ["latest"], layer_size=32 * 1024)


def wait(api, response):
    """Wait for the task of an AsyncOperationResponse; return the finished task."""
    return api.wait_task(response.task)


def test_sync_distribute_update_delete_and_pull(
    api, client, pulp_server, upstream_registry, image, tmp_path
):
    remotes = bindings.RemotesContainerApi(client)
    repositories = bindings.RepositoriesContainerApi(client)
    distributions = bindings.DistributionsContainerApi(client)
    manifests = bindings.ContentManifestsApi(client)

    remote = remotes.create(
        bindings.ContainerContainerRemote(
            name=new_name("remote-"),
            url=upstream_registry.url,
            upstream_name=image.repository,
            includes=["latest"],
            policy="immediate",
        )
    )
    remote = remotes.read(remote.pulp_href)
    assert remote.includes == ["latest"]
    assert remote.upstream_name == image.repository

    repository = repositories.create(bindings.ContainerContainerRepository(name=new_name("repo-")))
    assert repository.manifest_signing_service is None
    # The bindings always send signed_only (false).
    wait(
        api,
        repositories.sync(
            repository.pulp_href,
            bindings.ContainerRepositorySyncURL(remote=remote.pulp_href),
        ),
    )
    repository = repositories.read(repository.pulp_href)
    assert repository.latest_version_href.endswith("/versions/1/")

    (manifest,) = manifests.list(repository_version=repository.latest_version_href).results
    assert manifest.digest == image.digest
    assert manifest.type == "image"
    assert manifest.is_bootable is False and manifest.is_flatpak is False
    assert manifest.compressed_image_size == sum(layer.size for layer in image.layers)

    base_path = new_name("bindings/dist-")
    task = wait(
        api,
        distributions.create(
            bindings.ContainerContainerDistribution(
                name=new_name("dist-"), base_path=base_path, repository=repository.pulp_href
            )
        ),
    )
    href = task["created_resources"][0]
    distribution = distributions.read(href)
    assert distribution.base_path == base_path
    assert distribution.repository == repository.pulp_href
    assert distribution.remote is None
    namespace = bindings.PulpContainerNamespacesApi(client).read(distribution.namespace)
    assert namespace.name == base_path.split("/", 1)[0]

    moved = new_name("bindings/moved-")
    wait(
        api,
        distributions.partial_update(
            href, bindings.PatchedcontainerContainerDistribution(base_path=moved)
        ),
    )
    distribution = distributions.read(href)
    assert distribution.base_path == moved
    assert distribution.registry_path == f"{pulp_server.registry_host}/{moved}"

    skopeo_copy(f"{distribution.registry_path}:latest", f"dir:{tmp_path / 'pulled'}")
    assert copied_manifest_digest(tmp_path / "pulled") == image.digest

    wait(api, distributions.delete(href))
    with pytest.raises(ApiException) as missing:
        distributions.read(href)
    assert missing.value.status == 404


def test_pull_through_remote_and_distribution(
    api, client, pulp_server, upstream_registry, image, tmp_path
):
    remotes = bindings.RemotesPullThroughApi(client)
    distributions = bindings.DistributionsPullThroughApi(client)
    cached = bindings.DistributionsContainerApi(client)

    remote = remotes.create(
        bindings.ContainerContainerPullThroughRemote(
            name=new_name("pt-remote-"), url=upstream_registry.url, policy="on_demand"
        )
    )
    assert remotes.read(remote.pulp_href).url == upstream_registry.url

    base_path = new_name("bindings-cache-")
    # The bindings send hidden (false) with every create.
    task = wait(
        api,
        distributions.create(
            bindings.ContainerContainerPullThroughDistribution(
                name=new_name("pt-dist-"), base_path=base_path, remote=remote.pulp_href
            )
        ),
    )
    href = task["created_resources"][0]
    distribution = distributions.read(href)
    assert distribution.base_path == base_path
    assert distribution.hidden is False
    assert distribution.distributions == []
    assert distribution.repository is None and distribution.repository_version is None

    source = f"{pulp_server.registry_host}/{base_path}/{image.repository}:latest"
    skopeo_copy(source, f"dir:{tmp_path / 'pulled'}")
    assert copied_manifest_digest(tmp_path / "pulled") == image.digest

    (created,) = distributions.read(href).distributions
    served = cached.read(created)
    assert served.base_path == f"{base_path}/{image.repository}"
    remote_of_cache = bindings.RemotesContainerApi(client).read(served.remote)
    assert remote_of_cache.upstream_name == image.repository
