"""Pull-through caching against a real upstream registry (Debian's docker-registry), whose
access log counts what Pulp asked it: first and later pulls with skopeo and podman, the
repository each name gets, one upstream fetch for concurrent pulls, freshness, outages,
filters and who may pull."""

import concurrent.futures
import hashlib
import time
import uuid

import pytest

from tests.functional.conftest import PULL_THROUGH_MISS_TTL, PULL_THROUGH_TAG_TTL
from tests.functional.registry_client import Challenge, RegistryClient, error_code
from tests.functional.upstream import (
    MIB,
    CommandFailed,
    push_docker_image,
    push_oci_index,
    skopeo,
    skopeo_copy,
    skopeo_inspect,
)

PT_REMOTES = "remotes/container/pull-through/"
PT_DISTRIBUTIONS = "distributions/container/pull-through/"
REPOSITORIES = "repositories/container/container/"
# The registry client under the name tests on other branches import from here.
Registry = RegistryClient


# --- helpers shared by the pull-through tests -------------------------------------------------


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def pull_through(api, upstream_url, prefix=None, remote_fields=None, **fields):
    """A pull-through remote for `upstream_url` and a distribution at `prefix`; returns the
    distribution as the REST API shows it."""
    suffix = uuid.uuid4().hex[:8]
    remote = api.ok(
        api.post(
            PT_REMOTES, {"name": f"ptr-{suffix}", "url": upstream_url, **(remote_fields or {})}
        )
    )
    task = api.run(
        "POST",
        PT_DISTRIBUTIONS,
        {
            "name": f"ptd-{suffix}",
            "base_path": prefix or f"pt-{suffix}",
            "remote": remote["pulp_href"],
            **fields,
        },
    )
    return api.ok(api.get(task["created_resources"][0]))


def repository_named(api, name):
    results = api.ok(api.get(REPOSITORIES, params={"name": name}))["results"]
    return results[0] if results else None


def wait_for_version(api, name, number, timeout=60):
    """The repository `name` once its latest version is `number` (the task is asynchronous)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        repository = repository_named(api, name)
        if repository and repository["latest_version_href"].endswith(f"/versions/{number}/"):
            return repository
        time.sleep(0.3)
    raise AssertionError(f"{name} has no version {number}: {repository_named(api, name)}")


def wait_for_tasks_of(api, repository, timeout=60):
    """Until no task that writes `repository` waits or runs (the REST API's task list)."""
    params = {"exclusive_resources": repository["pulp_href"], "state__in": "waiting,running"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.ok(api.get("tasks/", params=params))["count"] == 0:
            return
        time.sleep(0.3)
    raise AssertionError(f"tasks writing {repository['name']} still run after {timeout} s")


def wait_for_content(api, name, counts, timeout=60):
    """The repository `name` once its latest version holds `counts` ({type: count}) or more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        repository = repository_named(api, name)
        if repository and not repository["latest_version_href"].endswith("/versions/0/"):
            response = api.get(repository["latest_version_href"])
            if response.status_code == 404:
                continue  # a newer version replaced it meanwhile (only the newest is kept)
            summary = api.ok(response)["content_summary"]["present"]
            held = {kind: count["count"] for kind, count in summary.items()}
            if all(held.get(kind, 0) >= count for kind, count in counts.items()):
                return repository
        time.sleep(0.3)
    raise AssertionError(f"{name} never held {counts}")


def versions_of(api, repository):
    return [v["number"] for v in api.ok(api.get(repository["versions_href"]))["results"]]


def present(api, repository):
    """Content counts of the latest version, by type."""
    version = api.ok(api.get(repository["latest_version_href"]))
    return {t: c["count"] for t, c in version["content_summary"]["present"].items()}


def tags_of(api, repository):
    tags = api.ok(
        api.get(
            "content/container/tags/",
            params={"repository_version": repository["latest_version_href"]},
        )
    )
    return sorted(tag["name"] for tag in tags["results"])


@pytest.fixture(scope="module")
def registry_host(pulp_server):
    return pulp_server.registry_host


@pytest.fixture(scope="module")
def cache(api, upstream_registry):
    """A public pull-through distribution of the session's upstream registry."""
    return pull_through(api, upstream_registry.url)


@pytest.fixture
def image(upstream_registry, upstream_repository):
    """A two-layer Docker image in a repository of its own upstream, tagged latest."""
    return push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layers=2, layer_size=MIB
    )


def assert_fetched_once(upstream, image, name):
    assert upstream.request_count(f"/v2/{name}/manifests/", method="GET") == 1
    for blob in image.blobs:
        assert upstream.request_count(f"/v2/{name}/blobs/{blob.digest}", method="GET") == 1


# --- first and second pulls -------------------------------------------------------------------


def test_first_pull_fetches_and_keeps_a_copy_later_pulls_do_not_ask_upstream(
    api, cache, image, upstream_registry, registry_host, podman, tmp_path
):
    name = f"{cache['base_path']}/{image.repository}"
    reference = f"{registry_host}/{name}:latest"
    copied = tmp_path / "copied"
    skopeo_copy(reference, f"dir:{copied}")
    assert sha256((copied / "manifest.json").read_bytes()) == image.digest
    for blob in image.blobs:
        assert sha256((copied / blob.digest.split(":")[1]).read_bytes()) == blob.digest
    assert_fetched_once(upstream_registry, image, image.repository)

    podman.pull(reference)  # within the tag's freshness: nothing is asked upstream
    assert podman.image_inspect(reference)["Digest"] == image.digest
    assert skopeo_inspect(reference, raw=True)["config"]["digest"] == image.config.digest
    assert_fetched_once(upstream_registry, image, image.repository)
    assert upstream_registry.request_count(f"/v2/{image.repository}/manifests/", method="HEAD") == 0

    repository = wait_for_version(api, name, 1)
    assert versions_of(api, repository) == [1]
    assert present(api, repository) == {
        "container.blob": 3,
        "container.manifest": 1,
        "container.tag": 1,
    }
    assert tags_of(api, repository) == ["latest"]
    remote = api.ok(api.get(repository["remote"]))
    assert (remote["url"], remote["upstream_name"]) == (upstream_registry.url, image.repository)
    distributions = api.ok(
        api.get("distributions/container/container/", params={"base_path": name})
    )["results"]
    assert [d["registry_path"] for d in distributions] == [f"{registry_host}/{name}"]
    assert distributions[0]["repository"] == repository["pulp_href"]


def test_an_index_and_its_child_by_digest(api, cache, upstream_registry, upstream_repository,
                                          registry_host, tmp_path):  # fmt: skip
    index = push_oci_index(upstream_registry.client(), upstream_repository, ["multi"])
    name = f"{cache['base_path']}/{upstream_repository}"
    skopeo_copy(f"{registry_host}/{name}:multi", f"dir:{tmp_path / 'all'}", all_images=True)
    for child in index.children:
        data = (tmp_path / "all" / f"{child.digest.split(':')[1]}.manifest.json").read_bytes()
        assert sha256(data) == child.digest
    assert upstream_registry.request_count(f"/v2/{upstream_repository}/manifests/", "GET") == 3
    repository = wait_for_content(api, name, {"container.manifest": 3})
    assert len(versions_of(api, repository)) == 1
    assert tags_of(api, repository) == ["multi"]


def test_a_second_tag_makes_one_new_version_with_both_tags(
    api, cache, image, upstream_registry, registry_host
):
    name = f"{cache['base_path']}/{image.repository}"
    skopeo_inspect(f"{registry_host}/{name}:latest")
    wait_for_version(api, name, 1)
    second = push_docker_image(
        upstream_registry.client(), image.repository, ["v2"], layer_size=64 * 1024
    )
    skopeo_inspect(f"{registry_host}/{name}:v2")
    repository = wait_for_version(api, name, 2)
    assert versions_of(api, repository) == [2]
    assert tags_of(api, repository) == ["latest", "v2"]
    assert present(api, repository)["container.manifest"] == 2
    assert second.digest != image.digest


def test_twenty_concurrent_cold_pulls_fetch_each_thing_once(
    api, cache, upstream_registry, upstream_repository, registry_host, tmp_path
):
    image = push_docker_image(
        upstream_registry.client(),
        upstream_repository,
        ["latest"],
        layers=2,
        layer_size=8 * MIB,
        files_per_layer=1,
    )
    name = f"{cache['base_path']}/{upstream_repository}"

    def pull(number):
        target = tmp_path / f"copy-{number}"
        skopeo_copy(f"{registry_host}/{name}:latest", f"dir:{target}")
        return target

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        copies = list(pool.map(pull, range(20)))
    for copied in copies:
        assert sha256((copied / "manifest.json").read_bytes()) == image.digest
        for blob in image.blobs:
            assert sha256((copied / blob.digest.split(":")[1]).read_bytes()) == blob.digest
    assert_fetched_once(upstream_registry, image, upstream_repository)
    repository = wait_for_version(api, name, 1)
    wait_for_tasks_of(api, repository)  # every version task asked for so far has ended
    assert versions_of(api, repository) == [1]
    assert present(api, repository) == {
        "container.blob": 3,
        "container.manifest": 1,
        "container.tag": 1,
    }
    for blob in image.layers:
        artifacts = api.ok(api.get("artifacts/", params={"sha256": blob.digest.split(":")[1]}))
        assert artifacts["count"] == 1


def test_docker_asking_by_digest_right_after_the_tag_costs_one_upstream_fetch(
    cache, image, upstream_registry, registry_host
):
    """docker resolves a tag with HEAD and then GETs the manifest by digest at once; the
    manifest is answered before it is stored, and the GET by digest waits for the stored copy
    instead of fetching it again."""
    name = f"{cache['base_path']}/{image.repository}"
    registry = RegistryClient(registry_host)
    head = registry.manifest(name, "latest", method="HEAD")
    assert head.status_code == 200
    digest = head.headers["Docker-Content-Digest"]
    assert digest == image.digest
    by_digest = registry.manifest(name, digest)
    assert by_digest.status_code == 200
    assert sha256(by_digest.content) == image.digest
    assert upstream_registry.request_count(f"/v2/{image.repository}/manifests/", "GET") == 1


def test_blobs_stream_to_concurrent_raw_clients(cache, image, upstream_registry, registry_host):
    name = f"{cache['base_path']}/{image.repository}"
    layer = image.layers[0]

    def fetch(_):
        registry = RegistryClient(registry_host)
        response = registry.blob(name, layer.digest)
        return (
            response.status_code,
            response.headers.get("Docker-Content-Digest"),
            sha256(response.content),
        )

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = set(pool.map(fetch, range(10)))
    assert results == {(200, layer.digest, layer.digest)}
    assert upstream_registry.request_count(f"/blobs/{layer.digest}", method="GET") == 1


# --- freshness and outages --------------------------------------------------------------------


def test_stale_tag_served_when_upstream_is_down_and_uncached_names_fail(
    api, upstream_registry_factory, registry_host, podman, tmp_path
):
    upstream = upstream_registry_factory()
    image = push_docker_image(upstream.client(), "lib/app", ["latest"], layer_size=64 * 1024)
    distribution = pull_through(api, upstream.url)
    name = f"{distribution['base_path']}/lib/app"
    skopeo_copy(f"{registry_host}/{name}:latest", f"dir:{tmp_path / 'first'}")
    registry = RegistryClient(registry_host)
    fresh = registry.manifest(name, "latest")
    assert fresh.status_code == 200 and "Warning" not in fresh.headers

    time.sleep(PULL_THROUGH_TAG_TTL + 0.5)
    revalidated = registry.manifest(name, "latest")
    assert revalidated.status_code == 200 and "Warning" not in revalidated.headers
    assert upstream.request_count("/v2/lib/app/manifests/latest", method="HEAD") == 1
    assert upstream.request_count("/v2/lib/app/manifests/", method="GET") == 1

    upstream.stop()
    time.sleep(PULL_THROUGH_TAG_TTL + 0.5)
    stale = registry.manifest(name, "latest")
    assert stale.status_code == 200, stale.text
    assert stale.headers["Warning"] == '110 - "Response is Stale"'
    assert stale.headers["Docker-Content-Digest"] == image.digest
    podman.pull(f"{registry_host}/{name}:latest")  # the whole image, from the copy
    assert podman.image_inspect(f"{registry_host}/{name}:latest")["Digest"] == image.digest

    for path in (f"{distribution['base_path']}/lib/other", name):
        missing = registry.manifest(path, "never-pulled")
        assert missing.status_code == 502, missing.text
        assert error_code(missing) == "UPSTREAM_ERROR"
        assert upstream.url in missing.json()["errors"][0]["message"]
    blob = registry.blob(name, "sha256:" + "0" * 64)
    assert blob.status_code == 502 and upstream.url in blob.text


def test_an_upstream_404_is_remembered_briefly(api, cache, image, upstream_registry, registry_host):
    registry = RegistryClient(registry_host)
    name = f"{cache['base_path']}/{image.repository}"
    missing_tag = registry.manifest(name, "no-such-tag")
    assert missing_tag.status_code == 404 and error_code(missing_tag) == "MANIFEST_UNKNOWN"
    missing_name = registry.manifest(f"{name}-nope", "latest")
    assert (
        missing_name.status_code == 404
    )  # with upstream's code (docker-registry: MANIFEST_UNKNOWN)
    assert error_code(missing_name) in ("NAME_UNKNOWN", "MANIFEST_UNKNOWN")
    assert registry.manifest(name, "no-such-tag").status_code == 404
    assert upstream_registry.request_count(f"{image.repository}/manifests/no-such-tag") == 1
    time.sleep(PULL_THROUGH_MISS_TTL + 0.5)
    assert registry.manifest(name, "no-such-tag").status_code == 404
    assert upstream_registry.request_count(f"{image.repository}/manifests/no-such-tag") == 2
    assert repository_named(api, f"{name}-nope") is None


def test_a_failed_first_pull_leaves_nothing_that_blocks_the_next(
    api, upstream_registry_factory, registry_host
):
    upstream = upstream_registry_factory()
    image = push_docker_image(upstream.client(), "lib/late", ["latest"], layer_size=4096)
    distribution = pull_through(api, upstream.url)
    name = f"{distribution['base_path']}/lib/late"
    upstream.stop()
    registry = RegistryClient(registry_host)
    assert registry.manifest(name, "latest").status_code == 502
    assert repository_named(api, name) is None
    upstream.start()
    answered = registry.manifest(name, "latest")
    assert answered.status_code == 200
    assert answered.headers["Docker-Content-Digest"] == image.digest
    wait_for_version(api, name, 1)


def test_deleting_the_repository_evicts_the_cache(
    api, cache, image, upstream_registry, registry_host
):
    name = f"{cache['base_path']}/{image.repository}"
    reference = f"{registry_host}/{name}:latest"
    skopeo_inspect(reference)
    repository = wait_for_version(api, name, 1)
    api.run("DELETE", repository["pulp_href"])
    assert (
        api.ok(api.get("distributions/container/container/", params={"base_path": name}))["count"]
        == 0
    )
    assert skopeo_inspect(reference)["Digest"] == image.digest
    assert upstream_registry.request_count(f"/v2/{image.repository}/manifests/", "GET") == 2
    again = wait_for_version(api, name, 1)
    assert again["pulp_href"] != repository["pulp_href"]


# --- filters and access -----------------------------------------------------------------------


def test_names_outside_the_filters_are_unknown_without_asking_upstream(
    api, upstream_registry, upstream_repository, registry_host
):
    client = upstream_registry.client()
    base = upstream_repository
    for suffix in ("ok", "secret", "ok-beta"):
        push_docker_image(client, f"{base}/{suffix}", ["latest"], layer_size=4096)
    distribution = pull_through(
        api,
        upstream_registry.url,
        remote_fields={"includes": [f"{base}/ok*"], "excludes": ["*-beta"]},
    )
    registry = RegistryClient(registry_host)
    prefix = distribution["base_path"]
    assert registry.manifest(f"{prefix}/{base}/ok", "latest").status_code == 200
    for refused in ("secret", "ok-beta"):
        response = registry.manifest(f"{prefix}/{base}/{refused}", "latest")
        assert response.status_code == 404 and error_code(response) == "NAME_UNKNOWN"
        blob = registry.blob(f"{prefix}/{base}/{refused}", "sha256:" + "1" * 64)
        assert blob.status_code == 404 and error_code(blob) == "NAME_UNKNOWN"
        assert upstream_registry.request_count(f"{base}/{refused}/", method="GET") == 0


def test_public_and_private_pull_through(
    api, upstream_registry, upstream_repository, registry_host, users, user_factory, tmp_path
):
    image = push_docker_image(
        upstream_registry.client(), upstream_repository, ["latest"], layer_size=4096
    )
    public = pull_through(api, upstream_registry.url)
    private = pull_through(api, upstream_registry.url, private=True)
    user_factory.grant(
        users["puller"], "container.containerpullthroughdistribution_consumer", private
    )
    public_name = f"{public['base_path']}/{upstream_repository}"
    private_name = f"{private['base_path']}/{upstream_repository}"

    # docker: no Authorization header, a 401 challenge, an anonymous token, the request again
    anonymous = RegistryClient(registry_host).manifest(public_name, "latest")
    assert anonymous.status_code == 200
    assert anonymous.history[0].status_code == 401
    assert anonymous.headers["Docker-Content-Digest"] == image.digest

    for auth in (None, users["stranger"]["auth"]):
        refused = RegistryClient(registry_host, auth).manifest(private_name, "latest")
        assert refused.status_code == 401, refused.text
        params = Challenge.of(refused).params
        assert params["scope"] == f"repository:{private_name}:pull"
        assert params["error"] == "insufficient_scope"
    assert upstream_registry.request_count(f"/v2/{upstream_repository}/manifests/", "GET") == 1

    puller = RegistryClient(registry_host, users["puller"]["auth"])
    assert puller.manifest(private_name, "latest").status_code == 200
    layer = puller.blob(private_name, image.layers[0].digest)
    assert sha256(layer.content) == image.layers[0].digest
    skopeo_copy(
        f"{registry_host}/{private_name}:latest",
        f"dir:{tmp_path / 'private'}",
        creds=users["puller"]["auth"],
    )

    # now cached: still refused to whoever could not have pulled it through the cache
    wait_for_version(api, private_name, 1)
    cached_distribution = api.ok(
        api.get("distributions/container/container/", params={"base_path": private_name})
    )["results"][0]
    assert cached_distribution["private"] is True
    for auth in (None, users["stranger"]["auth"]):
        assert (
            RegistryClient(registry_host, auth).manifest(private_name, "latest").status_code == 401
        )
        assert (
            RegistryClient(registry_host, auth)
            .blob(private_name, image.layers[0].digest)
            .status_code
            == 401
        )
    with pytest.raises(CommandFailed):
        skopeo("inspect", "--tls-verify=false", f"docker://{registry_host}/{private_name}:latest")


# --- upstream authentication ------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth, anonymous_pull, with_credentials",
    [("token", True, False), ("token", False, True), ("basic", False, True)],
    ids=["anonymous bearer token", "bearer token with credentials", "basic"],
)
def test_upstream_authentication(
    api, upstream_registry_factory, registry_host, auth, anonymous_pull, with_credentials,
    tmp_path,
):  # fmt: skip
    upstream = upstream_registry_factory(auth=auth, anonymous_pull=anonymous_pull)
    image = push_docker_image(
        upstream.client(), "lib/authed", ["latest"], layer_size=64 * 1024, seed=uuid.uuid4().hex
    )
    pushed_with_tokens = len(upstream.token_server.requests) if upstream.token_server else 0
    fields = {}
    if with_credentials:
        fields = dict(zip(("username", "password"), upstream.credentials, strict=True))
    distribution = pull_through(api, upstream.url, remote_fields=fields)
    name = f"{distribution['base_path']}/lib/authed"
    skopeo_copy(f"{registry_host}/{name}:latest", f"dir:{tmp_path / 'copy'}")
    for blob in image.blobs:
        data = (tmp_path / "copy" / blob.digest.split(":")[1]).read_bytes()
        assert sha256(data) == blob.digest
        assert upstream.request_count(f"/blobs/{blob.digest}", "GET", status=200) == 1
    if auth == "token":
        asked = upstream.token_server.requests[pushed_with_tokens:]
        accounts = {request.account for request in asked}
        assert accounts == ({upstream.credentials[0]} if with_credentials else {""})
        assert len(asked) <= 4  # tokens are reused (per content app process), not one a request


def test_wrong_upstream_credentials_are_a_bad_gateway(api, upstream_registry_factory,
                                                      registry_host):  # fmt: skip
    upstream = upstream_registry_factory(auth="basic")
    push_docker_image(upstream.client(), "lib/locked", ["latest"], layer_size=4096)
    distribution = pull_through(
        api, upstream.url, remote_fields={"username": "upstream-user", "password": "wrong"}
    )
    answer = RegistryClient(registry_host).manifest(
        f"{distribution['base_path']}/lib/locked", "latest"
    )
    assert answer.status_code == 502 and error_code(answer) == "UPSTREAM_ERROR"
    assert "username and password" in answer.json()["errors"][0]["message"]
