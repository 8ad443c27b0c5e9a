"""A remote's includes name manifests by digest too, and selected images bring their companions.

Upstream is the session's docker-registry, filled by each test with the images it needs; the
synced version's tags, manifests and blobs are compared with what was pushed, exactly.
"""

import hashlib

import pytest

from tests.functional.api.test_sync import (
    REMOTES,
    content,
    digests,
    latest,
    synced_repository,
    tags_of,
)
from tests.functional.upstream import (
    companion_tag,
    push_companion,
    push_oci_image,
    push_oci_index,
    push_tagged_images,
)

SMALL = {"layer_size": 2048}


def _absent_digest():
    return "sha256:" + hashlib.sha256(b"nothing upstream has").hexdigest()


def blobs_of(*pushed):
    return {blob.digest for image in pushed for blob in image.blobs}


# --- digests among the includes --------------------------------------------------------------


def test_included_digests_are_synced_untagged_with_what_they_need(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    tagged = push_tagged_images(client, upstream_repository, tags=("a", "b"))
    index = push_oci_index(client, upstream_repository, (), **SMALL)  # pushed by digest only
    image = push_oci_image(client, upstream_repository, (), seed="untagged image", **SMALL)

    repository, _, task = synced_repository(
        api,
        unique,
        upstream_registry,
        upstream_repository,
        includes=[index.digest, "a", image.digest],
        policy="on_demand",
    )

    version = latest(api, repository)
    assert tags_of(api, version) == {"a": tagged["a"].digest}
    assert digests(content(api, "manifests", version)) == {
        tagged["a"].digest,
        index.digest,
        *index.child_digests.values(),
        image.digest,
    }
    assert digests(content(api, "blobs", version)) == blobs_of(tagged["a"], index, image)
    codes = {report["code"] for report in task["progress_reports"]}
    assert "sync.skipped.digests" not in codes


def test_only_digests_sync_no_tag(api, unique, upstream_registry, upstream_repository):
    client = upstream_registry.client()
    tagged = push_tagged_images(client, upstream_repository, tags=("a",))

    repository, _, _ = synced_repository(
        api,
        unique,
        upstream_registry,
        upstream_repository,
        includes=[tagged["a"].digest],
        policy="on_demand",
    )

    version = latest(api, repository)
    assert tags_of(api, version) == {}
    assert digests(content(api, "manifests", version)) == {tagged["a"].digest}
    assert digests(content(api, "blobs", version)) == blobs_of(tagged["a"])


def test_a_digest_upstream_lacks_is_skipped_and_reported(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    tagged = push_tagged_images(client, upstream_repository, tags=("a",))
    missing = _absent_digest()

    repository, _, task = synced_repository(
        api,
        unique,
        upstream_registry,
        upstream_repository,
        includes=["a", missing],
        policy="on_demand",
    )

    version = latest(api, repository)
    assert tags_of(api, version) == {"a": tagged["a"].digest}
    assert digests(content(api, "manifests", version)) == {tagged["a"].digest}
    skipped = [r for r in task["progress_reports"] if r["code"] == "sync.skipped.digests"]
    assert len(skipped) == 1
    assert missing in skipped[0]["message"]
    assert (skipped[0]["total"], skipped[0]["done"], skipped[0]["state"]) == (1, 1, "completed")


# --- companions --------------------------------------------------------------------------------


def test_companions_of_selected_images_come_along_unless_excluded(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    images = push_tagged_images(client, upstream_repository, tags=("v1", "v2"))
    v1, v2 = images["v1"], images["v2"]
    pinned = push_oci_image(client, upstream_repository, (), seed="pinned", **SMALL)
    v1_companions = {
        suffix: push_companion(client, upstream_repository, v1.digest, suffix)
        for suffix in ("", ".sig", ".att", ".sbom")
    }
    pinned_signature = push_companion(client, upstream_repository, pinned.digest, ".sig")
    v2_signature = push_companion(client, upstream_repository, v2.digest, ".sig")

    repository, _, task = synced_repository(
        api,
        unique,
        upstream_registry,
        upstream_repository,
        includes=["v1", pinned.digest],
        excludes=["*.sbom"],
        policy="on_demand",
    )

    version = latest(api, repository)
    expected_tags = {
        "v1": v1.digest,
        companion_tag(v1.digest): v1_companions[""].digest,
        companion_tag(v1.digest, ".sig"): v1_companions[".sig"].digest,
        companion_tag(v1.digest, ".att"): v1_companions[".att"].digest,
        companion_tag(pinned.digest, ".sig"): pinned_signature.digest,
    }
    assert tags_of(api, version) == expected_tags
    assert digests(content(api, "manifests", version)) == {
        *expected_tags.values(),
        pinned.digest,
    }
    kept = [v1, pinned, pinned_signature, *(v1_companions[s] for s in ("", ".sig", ".att"))]
    assert digests(content(api, "blobs", version)) == blobs_of(*kept)
    assert v2_signature.digest not in digests(content(api, "manifests", version))
    tags_report = next(r for r in task["progress_reports"] if r["code"] == "sync.processing.tags")
    assert (tags_report["total"], tags_report["done"]) == (5, 5)


def test_companions_of_an_index_come_along(api, unique, upstream_registry, upstream_repository):
    client = upstream_registry.client()
    index = push_oci_index(client, upstream_repository, ("multi",), **SMALL)
    signature = push_companion(client, upstream_repository, index.digest, ".sig")
    push_tagged_images(client, upstream_repository, tags=("other",))

    repository, _, _ = synced_repository(
        api, unique, upstream_registry, upstream_repository, includes=["multi"],
        policy="on_demand",
    )  # fmt: skip

    version = latest(api, repository)
    assert tags_of(api, version) == {
        "multi": index.digest,
        companion_tag(index.digest, ".sig"): signature.digest,
    }
    assert digests(content(api, "manifests", version)) == {
        index.digest,
        *index.child_digests.values(),
        signature.digest,
    }


def test_mirror_keeps_only_the_selected_images_and_companions(
    api, unique, upstream_registry, upstream_repository
):
    client = upstream_registry.client()
    images = push_tagged_images(client, upstream_repository, tags=("v1", "v2"))
    signature = push_companion(client, upstream_repository, images["v1"].digest, ".sig")
    repository, remote, _ = synced_repository(
        api, unique, upstream_registry, upstream_repository, policy="on_demand"
    )
    assert set(tags_of(api, latest(api, repository))) == {
        "v1",
        "v2",
        companion_tag(images["v1"].digest, ".sig"),
    }

    api.run("PATCH", remote["pulp_href"], {"includes": ["v1"]})
    api.run("POST", f"{repository['pulp_href']}sync/", {"mirror": True})

    version = latest(api, repository)
    assert tags_of(api, version) == {
        "v1": images["v1"].digest,
        companion_tag(images["v1"].digest, ".sig"): signature.digest,
    }
    assert digests(content(api, "manifests", version)) == {images["v1"].digest, signature.digest}


# --- the remote's filter values ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, bad_field",
    [
        ({"includes": ["sha256:abc"]}, "includes"),
        ({"includes": ["v1", "sha256:" + "A" * 64]}, "includes"),
        ({"include_tags": ["md5:" + "0" * 32]}, "include_tags"),
        ({"includes": [""]}, "includes"),
        ({"excludes": ["sha256:" + "a" * 64]}, "excludes"),
        ({"exclude_tags": ["a:b"]}, "exclude_tags"),
    ],
)
def test_bad_filter_values_name_the_field_and_create_nothing(api, unique, fields, bad_field):
    name = unique("remote")
    body = {"name": name, "url": "http://127.0.0.1:5000", "upstream_name": "busybox", **fields}

    response = api.post(REMOTES, body)

    assert response.status_code == 400, response.text
    assert bad_field in response.json()
    assert api.ok(api.get(REMOTES, params={"name": name}))["count"] == 0


def test_a_bad_filter_value_changes_nothing_on_update(api, unique):
    remote = api.ok(
        api.post(
            REMOTES,
            {"name": unique("remote"), "url": "http://127.0.0.1:5000", "upstream_name": "a",
             "includes": ["v1"]},
        )
    )  # fmt: skip

    response = api.patch(remote["pulp_href"], {"includes": ["v2", "sha256:short"]})

    assert response.status_code == 400, response.text
    assert "includes" in response.json()
    assert api.ok(api.get(remote["pulp_href"]))["pulp_last_updated"] == remote["pulp_last_updated"]


def test_digest_values_are_accepted(api, unique):
    digest = "sha256:" + "a" * 64
    response = api.post(
        REMOTES,
        {"name": unique("remote"), "url": "http://127.0.0.1:5000", "upstream_name": "a",
         "includes": ["v1.*", digest], "excludes": ["*.sbom"]},
    )  # fmt: skip

    assert response.status_code == 201, response.text
    shown = response.json()
    assert shown.get("includes", shown.get("include_tags")) == ["v1.*", digest]
