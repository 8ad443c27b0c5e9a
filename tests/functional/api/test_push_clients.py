"""Push with real clients: podman (Docker and OCI formats, a multi-arch list), skopeo (an image,
a multi-arch index, and between two names of this registry, which mounts), buildah and docker.

Each pushed image is checked as a user would: the registry serves (raw HTTP, token dance) the
manifest whose digest the client reported, and pulling it back gives the same digest. Sources
are images pushed once per module into the session's upstream docker-registry.
"""

import hashlib
import json
import re
import uuid

import pytest

from tests.functional.api.test_pull import serve
from tests.functional.api.test_pull_through import Registry
from tests.functional.upstream import (
    CommandFailed,
    Podman,
    push_docker_image,
    push_manifest_list,
    push_oci_image,
    push_oci_index,
    skopeo,
)
from tests.functional.upstream.media_types import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    OCI_INDEX,
    OCI_MANIFEST,
)

LAYER_SIZE = 128 * 1024
DISTRIBUTIONS = "distributions/container/container/"
NAMESPACES = "pulp_container/namespaces/"
PASSWORD = "push-clients-pw-1"
# docker push ends with "<tag>: digest: sha256:... size: N"
_DOCKER_PUSHED = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: \d+")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def new_name(label):
    return f"push-clients/{label}-{uuid.uuid4().hex[:8]}"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources(upstream_registry):
    """Images in the session's upstream registry to push from: Docker schema 2 and OCI images,
    an OCI index and a Docker manifest list (two platforms each)."""
    name = f"push-sources/{uuid.uuid4().hex[:8]}"
    client = upstream_registry.client()
    return {
        "name": f"{upstream_registry.host}/{name}",
        "docker": push_docker_image(client, name, ["docker"], layers=2, layer_size=LAYER_SIZE),
        "oci": push_oci_image(client, name, ["oci"], layers=2, layer_size=LAYER_SIZE),
        "index": push_oci_index(client, name, ["index"], layer_size=LAYER_SIZE),
        "list": push_manifest_list(client, name, ["list"], layer_size=LAYER_SIZE),
    }


@pytest.fixture(scope="module")
def admin(pulp_server):
    return ("admin", pulp_server.admin_password)


@pytest.fixture(scope="module")
def host(pulp_server):
    return pulp_server.registry_host


def creds(auth):
    return f"{auth[0]}:{auth[1]}"


def served(host, name, reference, auth):
    """The manifest the registry serves for ``name:reference`` to ``auth``: (digest, document).

    The digest is the one the registry says, checked against the bytes it sent.
    """
    response = Registry(host, auth).manifest(name, reference)
    assert response.status_code == 200, (name, reference, response.status_code, response.text)
    digest = response.headers["Docker-Content-Digest"]
    assert sha256(response.content) == digest
    return digest, json.loads(response.content)


def assert_served_index(host, name, reference, auth, media_type, children=2):
    """The index (list) at ``reference`` has ``children`` entries, each served by its digest."""
    digest, index = served(host, name, reference, auth)
    assert index["mediaType"] == media_type
    assert len(index["manifests"]) == children
    for entry in index["manifests"]:
        assert served(host, name, entry["digest"], auth)[0] == entry["digest"]
    return digest, index


def assert_pushed_into_a_push_repository(api, name):
    """The push made a distribution at ``name`` serving a push repository with a version."""
    distributions = api.ok(api.get(DISTRIBUTIONS, params={"base_path": name}))["results"]
    assert len(distributions) == 1
    repository = api.ok(api.get(distributions[0]["repository"]))
    assert "/container-push/" in repository["pulp_href"]
    assert not repository["latest_version_href"].endswith("/versions/0/")


def podman_push(podman, source, destination, auth, *options):
    """``podman push``; the digest podman wrote to its ``--digestfile``."""
    digestfile = podman.directory / f"digest-{uuid.uuid4().hex[:6]}"
    podman(
        "push", "--tls-verify=false", "--creds", creds(auth), "--digestfile", str(digestfile),
        *options, source, f"docker://{destination}",
    )  # fmt: skip
    return digestfile.read_text().strip()


def pulled_back_with_podman(tmp_path_factory, reference, auth):
    """The digest a fresh podman records when it pulls ``reference``."""
    client = Podman(tmp_path_factory.mktemp("podman"))
    try:
        client.pull(reference, creds=auth)
        return client.image_inspect(reference)["Digest"]
    finally:
        client.cleanup()


# --- podman --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "push_format, media_type", [("v2s2", DOCKER_MANIFEST), ("oci", OCI_MANIFEST)]
)
def test_podman_push_in_docker_and_oci_format(
    api, host, admin, sources, podman, tmp_path_factory, push_format, media_type
):
    source = f"{sources['name']}:docker"
    podman.pull(source)
    name = new_name(f"podman-{push_format}")
    digest = podman_push(podman, source, f"{host}/{name}:{push_format}", admin,
                         "--format", push_format)  # fmt: skip

    served_digest, manifest = served(host, name, push_format, admin)
    assert served_digest == digest
    assert manifest["mediaType"] == media_type
    assert len(manifest["layers"]) == 2
    for descriptor in (manifest["config"], *manifest["layers"]):
        blob = Registry(host, admin).blob(name, descriptor["digest"])
        assert blob.status_code == 200
        assert sha256(blob.content) == descriptor["digest"]
    pulled = pulled_back_with_podman(tmp_path_factory, f"{host}/{name}:{push_format}", admin)
    assert pulled == digest
    assert_pushed_into_a_push_repository(api, name)


def test_podman_manifest_push_all_of_a_multi_arch_list(host, admin, sources, podman):
    index = sources["index"]
    podman("manifest", "create", "multi")
    for child in index.children:
        podman("manifest", "add", "--tls-verify=false", "multi",
               f"docker://{sources['name']}@{child.digest}")  # fmt: skip
    name = new_name("podman-list")
    digestfile = podman.directory / "list-digest"
    podman(
        "manifest", "push", "--all", "--tls-verify=false", "--creds", creds(admin),
        "--digestfile", str(digestfile), "multi", f"docker://{host}/{name}:multi",
    )  # fmt: skip

    digest, pushed = served(host, name, "multi", admin)
    assert digest == digestfile.read_text().strip()
    assert len(pushed["manifests"]) == 2
    platforms = {
        entry["platform"]["architecture"]: served(host, name, entry["digest"], admin)[0]
        for entry in pushed["manifests"]
    }
    assert set(platforms) == {"amd64", "arm64"}
    for entry in pushed["manifests"]:
        assert platforms[entry["platform"]["architecture"]] == entry["digest"]


# --- skopeo --------------------------------------------------------------------------------------


def skopeo_push(source, destination, auth, *options, source_auth=None, debug=False):
    """``skopeo copy`` between registries, asking for the source's digests: without
    ``--preserve-digests`` skopeo may swap in a differently compressed copy of a layer it saw
    on the destination (e.g. one podman pushed), and write a new manifest."""
    return skopeo(
        *(("--debug",) if debug else ()),
        "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
        *(("--src-creds", creds(source_auth)) if source_auth else ()),
        "--dest-creds", creds(auth), "--preserve-digests", *options,
        f"docker://{source}", f"docker://{destination}",
    )  # fmt: skip


def test_skopeo_copy_keeps_the_manifests_as_they_are(api, host, admin, sources):
    name = new_name("skopeo")
    for kind in ("docker", "oci"):
        skopeo_push(f"{sources['name']}:{kind}", f"{host}/{name}:{kind}", admin)
        assert served(host, name, kind, admin)[0] == sources[kind].digest
    assert served(host, name, sources["docker"].digest, admin)[0] == sources["docker"].digest
    assert_pushed_into_a_push_repository(api, name)


@pytest.mark.parametrize("kind, media_type", [("index", OCI_INDEX), ("list", DOCKER_MANIFEST_LIST)])
def test_skopeo_copy_all_of_a_multi_arch_index(host, admin, sources, kind, media_type, tmp_path):
    name = new_name(f"skopeo-{kind}")
    skopeo_push(f"{sources['name']}:{kind}", f"{host}/{name}:{kind}", admin, "--all")
    digest, _ = assert_served_index(host, name, kind, admin, media_type)
    assert digest == sources[kind].digest
    skopeo(
        "copy", "--all", "--src-tls-verify=false", "--src-creds", creds(admin),
        f"docker://{host}/{name}:{kind}", f"dir:{tmp_path}",
    )  # fmt: skip
    assert sha256((tmp_path / "manifest.json").read_bytes()) == digest
    for child in sources[kind].children:
        instance = tmp_path / f"{child.digest.split(':', 1)[1]}.manifest.json"
        assert sha256(instance.read_bytes()) == child.digest


def test_skopeo_copy_between_two_names_mounts_the_blobs(host, admin, sources):
    first, second = new_name("skopeo-from"), new_name("skopeo-to")
    skopeo_push(f"{sources['name']}:docker", f"{host}/{first}:v1", admin)
    copied = skopeo_push(
        f"{host}/{first}:v1", f"{host}/{second}:v1", admin, source_auth=admin, debug=True
    )
    assert served(host, second, "v1", admin)[0] == sources["docker"].digest
    # the new name had none of the layers: skopeo asked to mount each from the first name
    # ("POST .../blobs/uploads/?from=...&mount=..."), and the registry answered 201 each time
    log = copied.stderr
    assert log.count("... mount OK") == len(sources["docker"].layers), log[-3000:]
    assert "started an upload instead of mounting" not in log
    for blob in sources["docker"].blobs:
        fetched = Registry(host, admin).blob(second, blob.digest)
        assert fetched.status_code == 200
        assert sha256(fetched.content) == blob.digest


# --- buildah -------------------------------------------------------------------------------------


def test_buildah_push(host, admin, sources, buildah, tmp_path, tmp_path_factory):
    source = f"{sources['name']}:oci"
    buildah("pull", "--tls-verify=false", source)
    name = new_name("buildah")
    digestfile = tmp_path / "digest"
    buildah("push", "--tls-verify=false", "--creds", creds(admin), "--digestfile",
            str(digestfile), source, f"docker://{host}/{name}:built")  # fmt: skip
    digest = digestfile.read_text().strip()
    assert served(host, name, "built", admin)[0] == digest
    assert pulled_back_with_podman(tmp_path_factory, f"{host}/{name}:built", admin) == digest


# --- docker --------------------------------------------------------------------------------------


def docker_push(docker, reference):
    """``docker push``; the digest it printed."""
    found = _DOCKER_PUSHED.findall(docker.push(reference).stdout)
    assert len(found) == 1, found
    return found[0]


def test_docker_login_push_and_pull_round_trip(host, admin, sources, docker):
    docker.pull(f"{sources['name']}:docker")
    name = new_name("docker")
    pushed = {}
    for tag in ("one", "two"):
        docker.tag(f"{sources['name']}:docker", f"{host}/{name}:{tag}")
    assert docker.push(f"{host}/{name}:one", check=False).returncode != 0  # not logged in
    docker.login(host, *admin)
    for tag in ("one", "two"):
        pushed[tag] = docker_push(docker, f"{host}/{name}:{tag}")
        assert served(host, name, tag, admin)[0] == pushed[tag]
    assert pushed["one"] == pushed["two"]

    docker.remove_image(f"{host}/{name}:one", f"{host}/{name}:two", f"{sources['name']}:docker")
    docker.pull(f"{host}/{name}:one")
    assert f"{host}/{name}@{pushed['one']}" in docker.repo_digests(f"{host}/{name}:one")
    image = docker.image_inspect(f"{host}/{name}:one")
    assert image["Id"] == sources["docker"].config.digest
    assert image["RootFS"]["Layers"] == [layer.diff_id for layer in sources["docker"].layers]


# --- who may push --------------------------------------------------------------------------------


@pytest.fixture
def user(api):
    username = f"pusher{uuid.uuid4().hex[:8]}"
    made = api.ok(api.post("users/", {"username": username, "password": PASSWORD}))
    return {**made, "auth": (username, PASSWORD)}


def refused_push(podman, source, destination, auth):
    """``podman push`` that must fail; what podman said."""
    refused = podman(
        "push", "--tls-verify=false", *(("--creds", creds(auth)) if auth else ()),
        source, f"docker://{destination}", check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    return refused.stderr


def test_a_user_pushes_under_the_namespace_of_their_name_only(host, sources, podman, user):
    source = f"{sources['name']}:docker"
    podman.pull(source)
    own = f"{user['username']}/app"
    digest = podman_push(podman, source, f"{host}/{own}:v1", user["auth"])
    assert served(host, own, "v1", user["auth"])[0] == digest
    said = refused_push(podman, source, f"{host}/{new_name('not-theirs')}:v1", user["auth"])
    assert re.search("denied|unauthorized", said, re.IGNORECASE), said
    said = refused_push(podman, source, f"{host}/{own}-anonymous:v1", None)
    assert re.search("denied|unauthorized|authentication required", said, re.IGNORECASE), said


def test_a_refused_push_leaves_no_repository(api, host, sources, podman, user):
    source = f"{sources['name']}:docker"
    podman.pull(source)
    name = new_name("refused")
    with pytest.raises(CommandFailed):
        podman_push(podman, source, f"{host}/{name}:v1", user["auth"])
    assert api.ok(api.get(DISTRIBUTIONS, params={"base_path": name}))["count"] == 0


def test_a_namespace_collaborator_pushes_with_docker(api, host, admin, sources, docker, user):
    namespace = f"pushns{uuid.uuid4().hex[:8]}"
    created = api.ok(api.post(NAMESPACES, {"name": namespace}))
    body = {"role": "container.containernamespace_collaborator", "users": [user["username"]]}
    api.ok(api.post(f"{created['pulp_href']}add_role/", body))
    docker.pull(f"{sources['name']}:oci")
    reference = f"{host}/{namespace}/app:1"
    docker.tag(f"{sources['name']}:oci", reference)
    docker.login(host, *user["auth"])
    digest = docker_push(docker, reference)
    assert served(host, f"{namespace}/app", "1", user["auth"])[0] == digest
    assert served(host, f"{namespace}/app", "1", admin)[0] == digest


def test_docker_push_to_a_synced_name_is_denied(api, host, admin, upstream_registry, sources,
                                                docker):  # fmt: skip
    upstream_name = sources["name"].split("/", 1)[1]
    _, _, distribution = serve(api, upstream_registry, upstream_name, "on_demand")
    docker.pull(f"{sources['name']}:docker")
    reference = f"{host}/{distribution['base_path']}:mine"
    docker.tag(f"{sources['name']}:docker", reference)
    docker.login(host, *admin)
    refused = docker.push(reference, check=False)
    assert refused.returncode != 0
    assert "denied" in (refused.stdout + refused.stderr).lower()
    assert Registry(host, admin).manifest(distribution["base_path"], "mine").status_code == 404
