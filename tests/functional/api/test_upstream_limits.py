"""What Pulp refuses from an upstream registry, whichever path asks: sync and pull-through."""

import hashlib
import json

from tests.functional.api.test_pull import new_name, sync
from tests.functional.api.test_pull_through import pull_through
from tests.functional.registry_client import RegistryClient, error_code
from tests.functional.upstream.scripted import Answer, ScriptedRegistry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
LIMIT = 4 * 1024 * 1024


CONFIG = b"{}"
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()


def _huge_manifest(size):
    """An OCI manifest of `size` bytes (an annotation pads it) with an empty config."""
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": CONFIG_DIGEST,
            "size": len(CONFIG),
        },
        "layers": [],
        "annotations": {"padding": ""},
    }
    short = len(json.dumps(document).encode())
    document["annotations"]["padding"] = "x" * (size - short)
    return json.dumps(document).encode()


def _manifests_with(api, digest):
    return api.ok(api.get("content/container/manifests/", params={"digest": digest}))["count"]


def test_a_manifest_over_4_mib_is_refused_by_sync_and_pull_through(api, pulp_server):
    """Debian's docker-registry will not serve one; a scripted upstream does."""
    with ScriptedRegistry() as upstream:
        _refused_by_sync_and_pull_through(api, pulp_server, upstream)


def _refused_by_sync_and_pull_through(api, pulp_server, upstream_registry):
    """Sync fails naming the limit, pull-through answers 502 naming it; nothing is stored."""
    name = new_name("huge/")
    raw = _huge_manifest(10 * 1024 * 1024)
    upstream_registry.manifest(name, "huge", raw, OCI_MANIFEST)
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()

    remote = api.ok(
        api.post(
            "remotes/container/container/",
            {"name": new_name("remote-"), "url": upstream_registry.url, "upstream_name": name},
        )
    )
    repository = api.create_repository(new_name("repo-"))
    body = {"remote": remote["pulp_href"]}
    task = api.run("POST", f"{repository['pulp_href']}sync/", body, expect="failed")
    assert "over the limit of 4194304 (4 MiB)" in task["error"]["description"]
    assert api.ok(api.get(repository["pulp_href"]))["latest_version_href"].endswith("/0/")

    cache = pull_through(api, upstream_registry.url)
    registry = RegistryClient(pulp_server.registry_host)
    answer = registry.manifest(f"{cache['base_path']}/{name}", "huge")
    assert answer.status_code == 502
    assert error_code(answer) == "UPSTREAM_ERROR"
    assert "over the limit of 4194304 (4 MiB)" in answer.json()["errors"][0]["message"]

    assert _manifests_with(api, digest) == 0


def test_sync_takes_a_manifest_of_exactly_4_mib(api):
    name = new_name("big/")
    raw = _huge_manifest(LIMIT)
    with ScriptedRegistry() as upstream:
        upstream.manifest(name, "big", raw, OCI_MANIFEST)
        upstream.answers[f"/v2/{name}/blobs/{CONFIG_DIGEST}"] = Answer(body=CONFIG)
        remote = api.ok(
            api.post(
                "remotes/container/container/",
                {"name": new_name("remote-"), "url": upstream.url, "upstream_name": name},
            )
        )
        repository = api.create_repository(new_name("repo-"))
        sync(api, repository, remote)
    assert _manifests_with(api, "sha256:" + hashlib.sha256(raw).hexdigest()) == 1
