"""The first sync stage's decisions, made on upstream answers alone."""

import hashlib
import json

import pytest

from pulp_container import constants
from pulp_container.app.oci.exceptions import DigestMismatch, ManifestInvalid
from pulp_container.app.oci.manifest import parse_manifest
from pulp_container.app.upstream import plan
from tests.unit.oci import manifests as m

HEX = "ab" * 32
OTHER = "cd" * 32
SELECTED = f"sha256:{HEX}"


def _parsed(document, content_type=None):
    return parse_manifest(m.encode(document), content_type)


def _sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- tag list ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, tags",
    [
        ({"name": "a", "tags": ["latest", "v1"]}, ["latest", "v1"]),
        ({"name": "a", "tags": None}, []),
        ({"name": "a", "tags": []}, []),
        ({"name": "a"}, []),
    ],
)
def test_parse_tag_page(body, tags):
    assert plan.parse_tag_page(json.dumps(body).encode()) == tags


@pytest.mark.parametrize("body", [b"<html>", b"[]", b'{"tags": "latest"}', b'{"tags": [1]}'])
def test_malformed_tag_pages_are_refused(body):
    with pytest.raises(plan.TagListInvalid):
        plan.parse_tag_page(body)


@pytest.mark.parametrize(
    "includes, excludes, expected",
    [
        (None, None, ["latest", "v1.0", "v1.1", "v2.0-rc"]),
        ([], [], ["latest", "v1.0", "v1.1", "v2.0-rc"]),
        (["v1.*"], None, ["v1.0", "v1.1"]),
        (["v*"], ["*-rc"], ["v1.0", "v1.1"]),
        (None, ["latest"], ["v1.0", "v1.1", "v2.0-rc"]),
        (["nothing*"], None, []),
        (["v1.?", "latest"], None, ["latest", "v1.0", "v1.1"]),
    ],
)
def test_select_tags_applies_the_filters(includes, excludes, expected):
    tags = ["v1.1", "latest", "v2.0-rc", "v1.0", "v1.0"]

    assert plan.select_tags(tags, includes, excludes) == expected


def test_select_tags_drops_invalid_tags():
    assert plan.select_tags(["ok", "-bad", "a" * 129, ""]) == ["ok"]


@pytest.mark.parametrize(
    "includes, expected",
    [
        ([SELECTED], []),  # only digests: no tag by name
        ([SELECTED, "v1.*"], ["v1.0"]),
    ],
)
def test_digests_among_includes_select_no_tag(includes, expected):
    assert plan.select_tags(["v1.0", "latest", f"sha256-{HEX}.sig"], includes) == expected


# --- companion tags -----------------------------------------------------------------------------


def test_select_companions_takes_the_listed_ones():
    tags = ["v1", f"sha256-{HEX}.sig", f"sha256-{HEX}.att", f"sha256-{HEX}", f"sha256-{OTHER}.sig"]

    assert plan.select_companions([SELECTED], tags, selected=["v1"]) == [
        f"sha256-{HEX}",
        f"sha256-{HEX}.att",
        f"sha256-{HEX}.sig",
    ]


def test_select_companions_gives_no_tag_twice():
    tags = [f"sha256-{HEX}.sig", f"sha256-{HEX}.sbom"]

    assert plan.select_companions([SELECTED, SELECTED], tags, selected=[f"sha256-{HEX}.sig"]) == [
        f"sha256-{HEX}.sbom"
    ]


@pytest.mark.parametrize(
    "excludes, expected",
    [
        (["*.sig"], [f"sha256-{HEX}.att"]),
        (["sha256-*"], []),
        (["v*"], [f"sha256-{HEX}.att", f"sha256-{HEX}.sig"]),
    ],
)
def test_excludes_leave_out_companions(excludes, expected):
    tags = [f"sha256-{HEX}.sig", f"sha256-{HEX}.att"]

    assert plan.select_companions([SELECTED], tags, excludes=excludes) == expected


def test_select_companions_without_selected_manifests():
    assert plan.select_companions([], [f"sha256-{HEX}.sig"]) == []


# --- reading a fetched manifest ----------------------------------------------------------------


def test_read_manifest_accepts_matching_digests():
    raw = m.encode(m.DOCKER_V2)
    digest = _sha256(raw)

    manifest = plan.read_manifest(
        raw, constants.MEDIA_TYPE_DOCKER_MANIFEST_V2, claimed=digest, requested=digest
    )

    assert manifest.digest == digest
    assert manifest.raw == raw


def test_read_manifest_without_claims_computes_the_digest():
    raw = m.encode(m.OCI_INDEX)

    assert plan.read_manifest(raw, None).digest == _sha256(raw)


@pytest.mark.parametrize("which", ["claimed", "requested"])
def test_read_manifest_refuses_a_digest_mismatch(which):
    raw = m.encode(m.DOCKER_V2)
    wrong = m.fake_digest("something else")

    with pytest.raises(DigestMismatch) as error:
        plan.read_manifest(raw, None, **{which: wrong})

    assert error.value.expected == wrong
    assert error.value.actual == _sha256(raw)


def test_read_manifest_checks_a_sha512_claim():
    raw = m.encode(m.DOCKER_V2)
    claimed = "sha512:" + hashlib.sha512(raw).hexdigest()

    assert plan.read_manifest(raw, None, claimed=claimed).digest == _sha256(raw)
    with pytest.raises(DigestMismatch):
        plan.read_manifest(raw, None, claimed="sha512:" + "0" * 128)


def test_read_manifest_checks_schema1_against_the_signed_payload():
    manifest = plan.read_manifest(
        m.SCHEMA1_SIGNED,
        constants.MEDIA_TYPE_DOCKER_MANIFEST_V1_SIGNED,
        claimed=m.SCHEMA1_PAYLOAD_DIGEST,
    )

    assert manifest.raw == m.SCHEMA1_SIGNED
    assert manifest.digest == m.SCHEMA1_PAYLOAD_DIGEST


def test_read_manifest_refuses_what_is_not_a_manifest():
    with pytest.raises(ManifestInvalid):
        plan.read_manifest(b'{"hello": "world"}', constants.MEDIA_TYPE_DOCKER_MANIFEST_V2)


# --- what a manifest brings --------------------------------------------------------------------


def test_blobs_of_a_docker_image_config_first():
    refs = plan.blobs_to_declare(_parsed(m.DOCKER_V2))

    assert refs == (
        plan.BlobRef(m.CONFIG, 1469, constants.MEDIA_TYPE_DOCKER_CONFIG),
        plan.BlobRef(m.LAYER_1, 2811478, constants.MEDIA_TYPE_DOCKER_LAYER),
        plan.BlobRef(m.LAYER_2, 93, constants.MEDIA_TYPE_DOCKER_LAYER),
    )


def test_foreign_and_nondistributable_layers_are_not_declared():
    docker = plan.blobs_to_declare(_parsed(m.DOCKER_V2_FOREIGN))
    oci = plan.blobs_to_declare(_parsed(m.OCI_MANIFEST))

    assert [ref.digest for ref in docker] == [m.CONFIG, m.LAYER_1]
    assert [ref.digest for ref in oci] == [m.CONFIG, m.LAYER_1]  # LAYER_1 listed twice: once


def test_schema1_blobs_have_no_size():
    refs = plan.blobs_to_declare(parse_manifest(m.SCHEMA1_SIGNED))

    assert refs == (plan.BlobRef(m.SCHEMA1_LAYER_TOP), plan.BlobRef(m.SCHEMA1_LAYER_BASE))


@pytest.mark.parametrize("document", [m.OCI_INDEX, m.DOCKER_LIST])
def test_lists_bring_no_blobs(document):
    assert plan.blobs_to_declare(_parsed(document)) == ()


def test_an_artifact_manifest_brings_its_config_and_layers():
    refs = plan.blobs_to_declare(_parsed(m.OCI_ARTIFACT))

    assert [ref.digest for ref in refs] == [m.fake_digest("{}"), m.LAYER_1]


def test_listed_manifests_of_an_index():
    entries = plan.listed_to_fetch(_parsed(m.OCI_INDEX))

    assert [entry.digest for entry in entries] == [m.AMD64, m.ARM64, m.WINDOWS]


def test_listed_skips_non_manifests_and_repeats():
    index = dict(m.OCI_INDEX_NO_PLATFORM)
    index["manifests"] = [
        *index["manifests"],
        {"mediaType": "application/vnd.example.thing", "size": 1, "digest": m.LAYER_1},
        {"mediaType": constants.MEDIA_TYPE_OCI_INDEX, "size": 300, "digest": m.AMD64},
    ]

    assert [entry.digest for entry in plan.listed_to_fetch(_parsed(index))] == [m.AMD64]


def test_list_entry_fields_carry_the_platform():
    windows = plan.listed_to_fetch(_parsed(m.OCI_INDEX))[2]
    arm = plan.listed_to_fetch(_parsed(m.OCI_INDEX))[1]

    assert plan.list_entry_fields(windows) == {
        "architecture": "amd64",
        "os": "windows",
        "os_version": "10.0.17763.5830",
        "os_features": ["win32k"],
        "features": [],
        "variant": "",
        "annotations": {},
    }
    assert plan.list_entry_fields(arm)["variant"] == "v8"
    assert plan.list_entry_fields(arm)["annotations"] == {
        "org.opencontainers.image.ref.name": "arm"
    }


def test_list_entry_without_platform():
    (entry,) = plan.listed_to_fetch(_parsed(m.OCI_INDEX_NO_PLATFORM))

    fields = plan.list_entry_fields(entry)

    assert (fields["architecture"], fields["os"], fields["variant"]) == ("", "", "")


# --- the Manifest row --------------------------------------------------------------------------

CONFIG_BYTES = json.dumps(
    {"architecture": "arm64", "os": "linux", "config": {"Labels": {"a": "b"}}}
).encode()


def test_wants_config_for_image_configs_only():
    assert plan.wants_config(_parsed(m.DOCKER_V2))
    assert plan.wants_config(_parsed(m.OCI_MANIFEST))
    assert not plan.wants_config(_parsed(m.OCI_ARTIFACT))  # empty config
    assert not plan.wants_config(_parsed(m.OCI_INDEX))
    assert not plan.wants_config(parse_manifest(m.SCHEMA1_SIGNED))


def test_wants_config_not_for_huge_ones():
    document = json.loads(json.dumps(m.DOCKER_V2))
    document["config"]["size"] = plan.CONFIG_READ_LIMIT + 1

    assert not plan.wants_config(_parsed(document))


def test_manifest_fields_keep_the_bytes_and_read_the_config():
    parsed = _parsed(m.OCI_MANIFEST)

    fields = plan.manifest_fields(parsed, CONFIG_BYTES)

    assert fields["data"].encode("utf-8") == parsed.raw
    assert fields["digest"] == parsed.digest
    assert fields["media_type"] == constants.MEDIA_TYPE_OCI_MANIFEST
    assert fields["schema_version"] == 2
    assert fields["annotations"] == {"org.opencontainers.image.created": "2024-01-02T03:04:05Z"}
    assert (fields["labels"], fields["architecture"], fields["os"]) == (
        {"a": "b"},
        "arm64",
        "linux",
    )


def test_manifest_fields_without_config():
    fields = plan.manifest_fields(_parsed(m.OCI_INDEX))

    assert fields["labels"] == {}
    assert fields["architecture"] is None
    assert fields["annotations"] == {"com.example.key1": "value1"}


def test_manifest_fields_of_schema1_take_its_architecture():
    fields = plan.manifest_fields(parse_manifest(m.SCHEMA1_SIGNED))

    assert fields["architecture"] == "amd64"
    assert fields["schema_version"] == 1
    assert fields["data"].encode() == m.SCHEMA1_SIGNED


@pytest.mark.parametrize(
    "config", [b"not json", b"[]", b'{"config": {"Labels": {"a": 1}}}', b'{"architecture": 5}']
)
def test_unreadable_configs_give_empty_values(config):
    fields = plan.config_fields(config)

    assert fields["labels"] == {}
    assert fields["os"] is None
