"""Serving a tag or digest costs a fixed number of SQL queries, whatever the database holds.

How: a script runs in Pulp's own environment (its settings and database), builds the content
app exactly as pulpcore does (pulpcore's app, our content.py routes and middleware), and sends
registry requests to it in-process with aiohttp's test client. Every database connection gets an
execute wrapper counting statements, so the count covers pulpcore's middleware, the auth, the
distribution match and the lookups, in whatever thread they run. It measures once, then adds
many repositories, versions, tags named ``latest`` and manifests, and measures again: the counts
must be equal, and small. Another script checks that the queries a pull makes on every request
stay compiled once per process.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.functional.pulp import REPO_ROOT

# Repositories, versions each, tagged images per version added before the second measurement.
GROWTH = ("12", "2", "4")
MAX_PUBLIC = 3  # domain (pulpcore middleware), distribution and its version, the lookup
MAX_PRIVATE = 4  # and the user (the permission check is remembered briefly once granted)
# With tokens a private pull costs what a public one does: the token already says who may pull.

SCRIPT = '''
import asyncio
import base64
import hashlib
import json
import os
import sys
import tempfile
import uuid

import django

django.setup()

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402

from pulpcore.plugin.content import app  # noqa: E402
from pulpcore.plugin.models import Artifact, ContentArtifact  # noqa: E402
from pulpcore.plugin.util import assign_role  # noqa: E402

import pulp_container.app.content  # noqa: E402,F401
from pulp_container.app.auth.keys import registry_service, token_auth_enabled  # noqa: E402
from pulp_container.app import process_state  # noqa: E402
from pulp_container.app.models import (  # noqa: E402
    Blob,
    ContainerDistribution,
    ContainerRepository,
    Manifest,
    Tag,
)

QUERIES = {"count": 0}


def _count(execute, sql, params, many, context):
    QUERIES["count"] += 1
    if os.environ.get("SHOW_SQL"):
        print("SQL", sql[:300], file=sys.stderr)
    return execute(sql, params, many, context)


def _install(sender, connection, **kwargs):
    connection.execute_wrappers.append(_count)


connection_created.connect(_install, weak=False)

MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
RUN = uuid.uuid4().hex[:8]


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def make_image(label, with_artifact=False):
    """A blob, a manifest naming it and their content artifacts."""
    blob_data = f"blob {label} {RUN}".encode()
    blob = Blob.objects.create(digest=digest(blob_data))
    artifact = None
    if with_artifact:
        with tempfile.NamedTemporaryFile(dir=os.environ["WORKDIR"], delete=False) as f:
            f.write(blob_data)
        artifact = Artifact.init_and_validate(f.name)
        artifact.save()
    ContentArtifact.objects.create(content=blob, artifact=artifact, relative_path=blob.digest)
    data = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPE, "layers": [blob.digest],
                       "label": f"{label} {RUN}"})
    manifest = Manifest.objects.create(digest=digest(data.encode()), media_type=MEDIA_TYPE,
                                       schema_version=2, data=data)
    return blob, manifest


def fill(prefix, repositories, versions, tags):
    """Repositories, each with `versions` versions adding `tags` tagged images each."""
    for r in range(repositories):
        repository = ContainerRepository.objects.create(name=f"{prefix}-{RUN}-{r}")
        for v in range(versions):
            units = []
            for t in range(tags):
                blob, manifest = make_image(f"{prefix}-{r}-{v}-{t}")
                tag = Tag.objects.create(name="latest" if t == 0 else f"t{v}-{t}",
                                         tagged_manifest=manifest)
                units += [blob.pk, manifest.pk, tag.pk]
            with repository.new_version() as version:
                version.add_content(Blob.objects.filter(pk__in=units[0::3]))
                version.add_content(Manifest.objects.filter(pk__in=units[1::3]))
                version.add_content(Tag.objects.filter(pk__in=units[2::3]))


def target():
    """The repository the requests read: one image tagged latest, with its blob stored."""
    blob, manifest = make_image("target", with_artifact=True)
    tag = Tag.objects.create(name="latest", tagged_manifest=manifest)
    repository = ContainerRepository.objects.create(name=f"target-{RUN}")
    with repository.new_version() as version:
        version.add_content(Blob.objects.filter(pk=blob.pk))
        version.add_content(Manifest.objects.filter(pk=manifest.pk))
        version.add_content(Tag.objects.filter(pk=tag.pk))
    public = ContainerDistribution.objects.create(
        name=f"public-{RUN}", base_path=f"q/public-{RUN}", repository=repository)
    private = ContainerDistribution.objects.create(
        name=f"private-{RUN}", base_path=f"q/private-{RUN}", repository=repository, private=True)
    user = get_user_model().objects.create_user(f"puller-{RUN}", password="puller-password")
    assign_role("container.containerdistribution_consumer", user, private)
    return blob, manifest, public, private, user


async def measure(client, requests):
    counts = {}
    for name, (method, path, headers, status) in requests.items():
        for attempt in range(3):  # the first ones warm caches (credentials, permissions)
            # count a lookup, not the per-version manifest cache
            process_state.reset("registry.manifests")
            QUERIES["count"] = 0
            response = await client.request(method, path, headers=headers)
            await response.read()
            assert response.status == status, (name, response.status, await response.text())
        counts[name] = QUERIES["count"]
    return counts


def basic(username, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


async def credentials(client, name, headers):
    """The headers a client sends: Basic ones, or a Bearer token fetched with them."""
    if not token_auth_enabled():
        return headers
    response = await client.get("/token", headers=headers, params={
        "service": registry_service(), "scope": f"repository:{name}:pull"})
    assert response.status == 200, await response.text()
    return {"Authorization": "Bearer " + (await response.json())["token"]}


async def requests_to_measure(client, public, private, manifest, blob, puller):
    anonymous = {"Authorization": "Basic Og=="}
    requests = {}
    for label, distribution, auth in (("public", public, anonymous),
                                      ("private", private, puller)):
        name = distribution.base_path
        headers = await credentials(client, name, auth)
        requests.update({
            f"{label} manifest by tag": ("GET", f"/v2/{name}/manifests/latest", headers, 200),
            f"{label} manifest by digest": ("GET", f"/v2/{name}/manifests/{manifest.digest}",
                                            headers, 200),
            f"{label} blob GET": ("GET", f"/v2/{name}/blobs/{blob.digest}", headers, 200),
            f"{label} blob HEAD": ("HEAD", f"/v2/{name}/blobs/{blob.digest}", headers, 200),
            f"{label} tags list": ("GET", f"/v2/{name}/tags/list", headers, 200),
        })
    return requests


def main():
    blob, manifest, public, private, user = target()
    fill("base", 2, 2, 2)
    puller = basic(user.username, "puller-password")
    sizes = [int(arg) for arg in sys.argv[1:4]]

    async def both():
        async with TestClient(TestServer(app)) as client:
            requests = await requests_to_measure(client, public, private, manifest, blob, puller)
            small = await measure(client, requests)
            await sync_to_async(fill)("grow", *sizes)
            large = await measure(client, requests)
        return {"small": small, "large": large}

    print("RESULT " + json.dumps(asyncio.run(both())))


main()
'''


@pytest.fixture(params=["token", "basic"])
def server(request, pulp_server, pulp_server_basic):
    """Both ways of authenticating: registry tokens (the default) and HTTP Basic."""
    return pulp_server if request.param == "token" else pulp_server_basic


def run_in_pulp(server, path, script, *args):
    """Run `script` (written to `path`) in `server`'s environment; what its RESULT line says."""
    path.write_text(script)
    data = server.data_dir
    env = dict(
        os.environ,
        PULP_SETTINGS=f"{data / 'settings.py'},{data / 'run' / 'settings.py'}",
        DJANGO_SETTINGS_MODULE="pulpcore.app.settings",
        WORKDIR=str(data / "tmp"),
        **server.extra_env,
    )
    result = subprocess.run(
        [sys.executable, str(path), *args],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-6000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_queries_per_request_do_not_grow_with_the_database(server, tmp_path):
    counts = run_in_pulp(server, tmp_path / "count_queries.py", SCRIPT, *GROWTH)
    assert counts["large"] == counts["small"]
    tokens = "PULP_TOKEN_AUTH_DISABLED" not in server.extra_env
    for name, count in counts["small"].items():
        limit = MAX_PUBLIC if name.startswith("public") or tokens else MAX_PRIVATE
        assert count <= limit, (name, count)


# Every query a pull makes on each request, as its call site makes it: compiled once per
# process (db/compiled.py). A query the ORM folds its values into is not kept and costs
# the ORM's CPU on every request again; the counts above cannot tell (the same one statement).
KEPT_SCRIPT = """
import json
import uuid

import django

django.setup()

from pulpcore.plugin.util import get_domain  # noqa: E402

from pulp_container.app.oci import names  # noqa: E402
from pulp_container.app.pullthrough import index, resolver  # noqa: E402
from pulp_container.app.stores import served  # noqa: E402

NAME = "cache/library/busybox"
DIGEST = "sha256:" + "a" * 64
domain = get_domain().pk
prefixes = names.ancestors(NAME)

served.find(NAME)
resolver.find(NAME)
resolver._cache_of("cache", "library/busybox")
index.CacheIndex.holds_bytes_now(DIGEST)
index._blob_query.rows((domain,), relative_path=DIGEST, digest=DIGEST, remote=uuid.uuid4())

kept = {
    "served.find": served._query.kept((domain, len(prefixes))),
    "resolver.find": resolver._distribution_query.kept((domain, len(prefixes))),
    "resolver.cache_of": resolver._cache_query.kept((domain,)),
    "index.blob_now": index._blob_query.kept((domain,)),
    "index.holds_bytes_now": index._artifact_queries["sha256"].kept((domain,)),
}
print("RESULT " + json.dumps(kept))
"""


def test_the_queries_of_every_pull_stay_compiled(pulp_server, tmp_path):
    kept = run_in_pulp(pulp_server, tmp_path / "kept.py", KEPT_SCRIPT)
    assert kept == dict.fromkeys(kept, True) and len(kept) == 5, kept
