"""Sync follows the tag list's ``Link: <...>; rel="next"`` pagination.

Debian's docker-registry (distribution 2.8) answers ``tags/list`` in one page whatever ``n``
asks, while registries such as ghcr.io and Quay page it. So the upstream here is the session's
docker-registry behind a small HTTP front on loopback that pages ``tags/list`` the way the
distribution spec describes (``n`` tags after ``last``, sorted, with a ``Link`` to the next page;
a page of two tags when the client asks no ``n``) and passes every other request through as it is.
"""

import http.server
import json
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.functional.api.test_sync import REMOTES, latest, sync, tags_of
from tests.functional.upstream import push_tagged_images

PAGE = 2
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class PagingFront:
    """An HTTP server in front of `upstream_url` that pages tag lists; counts the pages asked."""

    def __init__(self, upstream_url):
        self.upstream_url = upstream_url
        self.tag_pages = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urlsplit(self.path).path
                if path.startswith("/v2/") and path.endswith("/tags/list"):
                    front.tag_pages.append(self.path)
                    return self._tag_page(path)
                return self._pass()

            def do_HEAD(self):
                return self._pass()

            def _upstream(self, path_and_query):
                headers = {
                    key: value
                    for key, value in self.headers.items()
                    if key.lower() not in _HOP_BY_HOP | {"host"}
                }
                return requests.request(
                    self.command,
                    front.upstream_url + path_and_query,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=60,
                )

            def _tag_page(self, path):
                query = parse_qs(urlsplit(self.path).query)
                size = int(query.get("n", [PAGE])[0])
                last = query.get("last", [None])[0]
                answer = self._upstream(path)
                if answer.status_code != 200:
                    return self._send(answer)
                document = answer.json()
                tags = sorted(document.get("tags") or [])
                if last is not None:
                    tags = [tag for tag in tags if tag > last]
                page, more = tags[:size], len(tags) > size
                body = json.dumps({"name": document["name"], "tags": page}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if more:
                    following = urlencode({"n": size, "last": page[-1]})
                    self.send_header("Link", f'<{path}?{following}>; rel="next"')
                self.end_headers()
                self.wfile.write(body)

            def _pass(self):
                self._send(self._upstream(self.path))

            def _send(self, answer):
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    for chunk in answer.raw.stream(64 * 1024, decode_content=False):
                        self.wfile.write(chunk)
                answer.close()

        return Handler


@pytest.fixture
def paging_front(upstream_registry):
    with PagingFront(upstream_registry.url) as front:
        yield front


def test_sync_follows_tag_list_pages(
    api, unique, upstream_registry, upstream_repository, paging_front
):
    tags = ["a1", "a2", "b1", "b2", "c1"]
    pushed = push_tagged_images(upstream_registry.client(), upstream_repository, tags)

    remote = api.ok(
        api.post(
            REMOTES,
            {"name": unique("remote"), "url": paging_front.url,
             "upstream_name": upstream_repository, "policy": "on_demand",
             "exclude_tags": ["b*"]},
        )
    )  # fmt: skip
    repository = api.create_repository(unique("repo"), remote=remote["pulp_href"])
    sync(api, repository)

    expected = {tag: pushed[tag].digest for tag in ("a1", "a2", "c1")}
    assert tags_of(api, latest(api, repository)) == expected
    # Five tags, two a page: three pages, each asked once, the filter applied to all of them.
    assert len(paging_front.tag_pages) == 3, paging_front.tag_pages
    assert paging_front.tag_pages[1].endswith("?n=2&last=a2")
    assert paging_front.tag_pages[2].endswith("?n=2&last=b2")
