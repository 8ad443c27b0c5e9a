import pytest

from pulp_container.app.upstream.urls import LinkInvalid, RegistryURLs, next_page

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "base",
    [
        "https://registry.example.com",
        "https://registry.example.com/",
        "https://registry.example.com/v2",
        "https://registry.example.com/v2/",
        " https://registry.example.com ",
    ],
)
def test_base_is_normalized(base):
    urls = RegistryURLs(base, "library/busybox")

    assert urls.version() == "https://registry.example.com/v2/"
    assert urls.manifest("latest") == (
        "https://registry.example.com/v2/library/busybox/manifests/latest"
    )


def test_manifest_blob_and_tags_urls():
    urls = RegistryURLs("http://127.0.0.1:5000", "team/app")

    assert urls.manifest(DIGEST) == f"http://127.0.0.1:5000/v2/team/app/manifests/{DIGEST}"
    assert urls.blob(DIGEST) == f"http://127.0.0.1:5000/v2/team/app/blobs/{DIGEST}"
    assert urls.tags() == "http://127.0.0.1:5000/v2/team/app/tags/list"
    assert urls.tags(page_size=100) == "http://127.0.0.1:5000/v2/team/app/tags/list?n=100"


def test_a_path_prefix_is_kept():
    urls = RegistryURLs("https://example.com/mirror/", "app")

    assert urls.blob(DIGEST) == f"https://example.com/mirror/v2/app/blobs/{DIGEST}"


def test_for_remote_reads_url_and_upstream_name():
    class Remote:
        url = "https://r.example.com/"
        upstream_name = "a/b"

    assert RegistryURLs.for_remote(Remote()).tags() == "https://r.example.com/v2/a/b/tags/list"


CURRENT = "http://127.0.0.1:5000/v2/app/tags/list?n=2"


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("", None),
        (
            '</v2/app/tags/list?last=b&n=2>; rel="next"',
            "http://127.0.0.1:5000/v2/app/tags/list?last=b&n=2",
        ),
        (
            "<http://127.0.0.1:5000/v2/app/tags/list?last=b&n=2>; rel=next",
            "http://127.0.0.1:5000/v2/app/tags/list?last=b&n=2",
        ),
        (
            '</v2/app/tags/list?n=2>; rel="prev", </v2/app/tags/list?last=d&n=2>; rel="next"',
            "http://127.0.0.1:5000/v2/app/tags/list?last=d&n=2",
        ),
        ('</v2/app/tags/list?n=2>; rel="prev"', None),
        (
            '</v2/app/tags/list?last=z>; type="x"; rel="next other"',
            "http://127.0.0.1:5000/v2/app/tags/list?last=z",
        ),
    ],
)
def test_next_page(header, expected):
    assert next_page(header, CURRENT) == expected


@pytest.mark.parametrize(
    "target", ["https://127.0.0.1:5000/v2/x", "http://elsewhere:5000/v2/x", "//other/v2/x"]
)
def test_next_page_on_another_origin_is_refused(target):
    with pytest.raises(LinkInvalid, match="another origin"):
        next_page(f'<{target}>; rel="next"', CURRENT)
