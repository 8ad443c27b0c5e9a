"""Strict JSON decoding for manifests and image configs.

Manifests are content-addressed: two parsers reading one document differently would let the
same digest name different content. So duplicate keys and the non-standard constants NaN and
Infinity are rejected rather than resolved in some parser-specific way.
"""

import json

from pulp_container.app.oci.exceptions import ManifestInvalid


def _reject_duplicate_keys(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def load_object(raw, what, error=ManifestInvalid):
    """Decode `raw` (bytes or str) as a JSON object.

    Args:
        raw: the document.
        what: how to name the document in error messages, e.g. "manifest".
        error: the FormatError subclass to raise.

    Raises:
        error: the document is not valid JSON, or not an object.
    """
    try:
        document = json.loads(
            raw, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant
        )
    except (ValueError, TypeError) as exc:
        raise error(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise error(f"{what} is not a JSON object")
    return document
