"""An upstream registry that answers what a test scripts: for what Debian's docker-registry
will not do (serve a 10 MiB manifest, say). Runs ``http.server`` in a thread on a free loopback
port; ``/v2/`` answers 200 and every other path not scripted 404 with the error body.

An Answer may also misbehave, as a failing upstream does: cut its body after some bytes and
close the connection (``truncate_after``), stop sending after some bytes and hold the
connection open (``stall_after``), or take the request and never answer (``hang``). A held
connection is let go when the registry is closed."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    truncate_after: int | None = None
    """Send the whole body's Content-Length, then only this many bytes, and close."""
    stall_after: int | None = None
    """Send the whole body's Content-Length, then only this many bytes, then nothing more."""
    hang: bool = False
    """Read the request and never answer."""


# The longest a misbehaving answer holds its connection, should the registry never be closed.
HOLD_AT_MOST = 600


class ScriptedRegistry:
    """Use as a context manager; `answers` maps request paths to Answers."""

    def __init__(self):
        self.answers = {"/v2/": Answer(headers={"Content-Type": "application/json"}, body=b"{}")}
        self.requests = []
        self._server = None
        self._closing = threading.Event()

    def count(self, method, path):
        """How many `method` requests of `path` (query left out) were made."""
        return sum(
            1 for made, asked in self.requests if made == method and asked.split("?")[0] == path
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def manifest(self, name, reference, raw, media_type):
        """Serve `raw` as the manifest `name:reference`, and list `reference` as a tag."""
        self.answers[f"/v2/{name}/manifests/{reference}"] = Answer(
            headers={"Content-Type": media_type}, body=raw
        )
        tags = f"/v2/{name}/tags/list"
        listed = json.loads(self.answers[tags].body)["tags"] if tags in self.answers else []
        self.answers[tags] = Answer(
            headers={"Content-Type": "application/json"},
            body=json.dumps({"name": name, "tags": [*listed, reference]}).encode(),
        )

    def __enter__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()


def _handler_for(registry):
    missing = json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": "unknown"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, with_body):
            registry.requests.append((self.command, self.path))
            answer = registry.answers.get(self.path.split("?", 1)[0])
            if answer is None:
                answer = Answer(404, {"Content-Type": "application/json"}, missing)
            if answer.hang:
                registry._closing.wait(HOLD_AT_MOST)
                self.close_connection = True
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if not with_body:
                return
            cut = answer.truncate_after if answer.truncate_after is not None else answer.stall_after
            self.wfile.write(answer.body if cut is None else answer.body[:cut])
            if cut is None:
                return
            self.wfile.flush()
            if answer.stall_after is not None:
                registry._closing.wait(HOLD_AT_MOST)
            self.close_connection = True

        def do_GET(self):  # noqa: N802 -- http.server's naming
            self._answer(with_body=True)

        def do_HEAD(self):  # noqa: N802
            self._answer(with_body=False)

        def log_message(self, *args):
            pass

    return Handler
