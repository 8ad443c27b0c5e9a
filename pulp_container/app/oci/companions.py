"""Tags that travel with a manifest: its cosign companions and its OCI referrers fallback tag.

Registries without the referrers API keep what refers to a manifest under tags derived from the
manifest's digest ``<algorithm>:<hex>``:

- cosign: ``<algorithm>-<hex>.sig`` (signatures), ``.att`` (attestations), ``.sbom`` (SBOMs);
- the OCI distribution spec's referrers tag schema: ``<algorithm>-<hex>``, the hex cut to 64
  characters, naming an index of the manifest's referrers.
"""

from pulp_container.app.oci.reference import is_valid_tag, parse_digest

COSIGN_SUFFIXES = (".sig", ".att", ".sbom")
# The referrers tag schema keeps at most this many characters of the encoded digest.
REFERRERS_TAG_HEX_LIMIT = 64


def referrers_tag(digest):
    """The referrers fallback tag of manifest `digest`: ``sha256:ab..`` -> ``sha256-ab..``.

    Raises:
        DigestInvalid: `digest` is not a valid digest.
    """
    parsed = parse_digest(digest)
    return f"{parsed.algorithm}-{parsed.encoded[:REFERRERS_TAG_HEX_LIMIT]}"


def companion_tags(digest):
    """Every tag that may hold a companion of manifest `digest`, fallback tag first.

    Only names inside the tag grammar are given: a sha512 digest is too long for cosign's.

    Raises:
        DigestInvalid: `digest` is not a valid digest.
    """
    parsed = parse_digest(digest)
    cosign_base = f"{parsed.algorithm}-{parsed.encoded}"
    names = (referrers_tag(digest), *(cosign_base + suffix for suffix in COSIGN_SUFFIXES))
    return tuple(name for name in names if is_valid_tag(name))
