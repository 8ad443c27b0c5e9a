"""Content endpoints list and filter blobs, manifests and tags."""

import pytest


@pytest.mark.parametrize("kind", ["blobs", "manifests", "tags"])
def test_content_endpoints_list(api, kind):
    page = api.ok(api.get(f"content/container/{kind}/"))
    assert {"count", "next", "previous", "results"} <= set(page)


@pytest.mark.parametrize(
    "kind, params",
    [
        ("blobs", {"digest": "sha256:" + "0" * 64}),
        ("manifests", {"digest": "sha256:" + "0" * 64}),
        ("manifests", {"media_type": "application/vnd.example.none+json"}),
        ("tags", {"name": "no-such-tag"}),
        ("tags", {"name__startswith": "no-such-prefix-"}),
    ],
)
def test_content_filters(api, kind, params):
    """Each filter applies: values no content has (other tests run first) match nothing."""
    page = api.ok(api.get(f"content/container/{kind}/", params=params))
    assert page["count"] == 0


@pytest.mark.parametrize("kind", ["blobs", "manifests", "tags"])
def test_repository_version_filters(api, unique, kind):
    repo = api.create_repository(unique("repo"))
    for name in ("repository_version", "repository_version_added", "repository_version_removed"):
        page = api.ok(
            api.get(f"content/container/{kind}/", params={name: repo["latest_version_href"]})
        )
        assert page["count"] == 0
