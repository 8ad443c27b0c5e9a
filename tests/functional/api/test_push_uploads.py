"""Blob uploads over raw HTTP: sessions, chunks, monolithic uploads, mounts, the push target.

Runs against the session's HTTP Basic server (``TOKEN_AUTH_DISABLED``) as the admin, plus
content app processes the tests start themselves (several processes, a restart, a sweep).
"""

import base64
import hashlib
import json
import os
import socket
import threading
import time
import uuid

import pytest
import requests

from tests.functional.api.test_pull import new_name, serve
from tests.functional.content_app import ContentApp
from tests.functional.pulp import PulpAPI
from tests.functional.upstream import push_docker_image
from tests.functional.upstream.images import digest_of


@pytest.fixture(scope="module")
def pulp_server(pulp_server_basic):
    return pulp_server_basic


@pytest.fixture(scope="module")
def api(pulp_server_basic):
    return PulpAPI(pulp_server_basic.api_url, auth=("admin", pulp_server_basic.admin_password))


@pytest.fixture(scope="module")
def origin(pulp_server):
    return f"http://{pulp_server.registry_host}"


@pytest.fixture(scope="module")
def http(pulp_server):
    session = requests.Session()
    session.auth = ("admin", pulp_server.admin_password)
    return session


@pytest.fixture(scope="module")
def upload_dir(pulp_server):
    return pulp_server.data_dir / "tmp" / "container-uploads"


@pytest.fixture
def name():
    return f"push/{uuid.uuid4().hex[:10]}"


def error_code(response):
    return response.json()["errors"][0]["code"]


def start(http, origin, name):
    response = http.post(f"{origin}/v2/{name}/blobs/uploads/", timeout=60)
    assert response.status_code == 202, response.text
    return response


def patch(http, origin, location, data, content_range=None):
    headers = {"Content-Type": "application/octet-stream"}
    if content_range is not None:
        headers["Content-Range"] = content_range
    return http.patch(f"{origin}{location}", data=data, headers=headers, timeout=60)


def finish(http, origin, location, digest, data=b""):
    headers = {"Content-Type": "application/octet-stream"}
    return http.put(
        f"{origin}{location}", params={"digest": digest}, data=data, headers=headers, timeout=60
    )


def artifact_count(api, data):
    found = api.ok(api.get("artifacts/", params={"sha256": hashlib.sha256(data).hexdigest()}))
    return found["count"]


def assert_served(http, origin, name, data):
    response = http.get(f"{origin}/v2/{name}/blobs/{digest_of(data)}", timeout=60)
    assert response.status_code == 200, response.text
    assert response.content == data


def wait_for(condition, timeout=30):
    """Wait until `condition()` holds (a positive outcome that takes the server a moment)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.2)


# --- Sessions ---------------------------------------------------------------------------------


def test_post_starts_a_session_and_get_reports_it(http, origin, name):
    response = start(http, origin, name)
    location = response.headers["Location"]
    session_id = response.headers["Docker-Upload-UUID"]
    assert location == f"/v2/{name}/blobs/uploads/{session_id}"
    assert response.headers["Range"] == "0-0"
    assert response.headers["Content-Length"] == "0"

    status = http.get(f"{origin}{location}", timeout=60)
    assert status.status_code == 204
    assert status.headers["Range"] == "0-0"
    assert status.headers["Docker-Upload-UUID"] == session_id


def test_first_push_creates_push_repository_and_distribution(http, origin, api, name):
    start(http, origin, name)
    found = api.ok(api.get("distributions/container/container/", params={"base_path": name}))
    assert found["count"] == 1
    distribution = found["results"][0]
    assert "/repositories/container/container-push/" in distribution["repository"]
    assert distribution["private"] is False
    namespace = api.ok(api.get(distribution["namespace"]))
    assert namespace["name"] == "push"


@pytest.mark.parametrize("label, private", [("true", True), ("false", False)])
def test_the_namespace_label_decides_whether_a_pushed_distribution_is_private(
    http, origin, api, label, private
):
    namespace = f"ns{uuid.uuid4().hex[:10]}"
    api.ok(
        api.post(
            "pulp_container/namespaces/",
            {"name": namespace, "pulp_labels": {"pulp_container.push_private": label}},
        )
    )
    start(http, origin, f"{namespace}/app")
    found = api.ok(
        api.get("distributions/container/container/", params={"base_path": f"{namespace}/app"})
    )
    assert found["results"][0]["private"] is private


def test_chunked_upload_with_and_without_content_range(http, origin, name):
    data = os.urandom(3 * 1024 * 1024 + 17)
    location = start(http, origin, name).headers["Location"]

    first = patch(http, origin, location, data[:1_000_000], "0-999999")
    assert first.status_code == 202, first.text
    assert first.headers["Range"] == "0-999999"
    location = first.headers["Location"]
    second = patch(http, origin, location, data[1_000_000:2_500_000])
    assert second.status_code == 202, second.text
    assert second.headers["Range"] == "0-2499999"
    status = http.get(f"{origin}{location}", timeout=60)
    assert status.headers["Range"] == "0-2499999"

    done = finish(http, origin, location, digest_of(data), data[2_500_000:])
    assert done.status_code == 201, done.text
    assert done.headers["Location"] == f"/v2/{name}/blobs/{digest_of(data)}"
    assert done.headers["Docker-Content-Digest"] == digest_of(data)
    assert_served(http, origin, name, data)
    gone = http.get(f"{origin}{location}", timeout=60)
    assert gone.status_code == 404
    assert error_code(gone) == "BLOB_UPLOAD_UNKNOWN"


def test_put_without_a_last_chunk_finishes_what_the_patches_sent(http, origin, name):
    data = os.urandom(200_000)
    location = start(http, origin, name).headers["Location"]
    location = patch(http, origin, location, data).headers["Location"]
    done = finish(http, origin, location, digest_of(data))
    assert done.status_code == 201, done.text
    assert_served(http, origin, name, data)


def test_monolithic_post_with_digest(http, origin, name):
    data = os.urandom(500_000)
    response = http.post(
        f"{origin}/v2/{name}/blobs/uploads/",
        params={"digest": digest_of(data)},
        data=data,
        headers={"Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v2/{name}/blobs/{digest_of(data)}"
    assert response.headers["Docker-Content-Digest"] == digest_of(data)
    assert_served(http, origin, name, data)


def test_chunk_out_of_order_is_416_with_the_range_so_far(http, origin, name):
    data = os.urandom(100_000)
    location = start(http, origin, name).headers["Location"]
    location = patch(http, origin, location, data[:40_000], "0-39999").headers["Location"]

    skipped = patch(http, origin, location, data[50_000:], "50000-99999")
    assert skipped.status_code == 416
    assert skipped.headers["Range"] == "0-39999"
    repeated = patch(http, origin, location, data[:40_000], "0-39999")
    assert repeated.status_code == 416
    assert repeated.headers["Range"] == "0-39999"

    rest = patch(http, origin, location, data[40_000:], "40000-99999")
    assert rest.status_code == 202, rest.text
    assert finish(http, origin, location, digest_of(data)).status_code == 201
    assert_served(http, origin, name, data)


def test_cancel_removes_the_session_and_its_file(http, origin, name, upload_dir):
    response = start(http, origin, name)
    location, session_id = response.headers["Location"], response.headers["Docker-Upload-UUID"]
    patch(http, origin, location, b"x" * 1000)
    assert (upload_dir / session_id).exists()

    cancelled = http.delete(f"{origin}{location}", timeout=60)
    assert cancelled.status_code == 204
    assert not (upload_dir / session_id).exists()
    for method in ("GET", "PATCH", "DELETE"):
        answer = http.request(method, f"{origin}{location}", timeout=60)
        assert answer.status_code == 404, method
        assert error_code(answer) == "BLOB_UPLOAD_UNKNOWN"
    put = finish(http, origin, location, digest_of(b"x" * 1000))
    assert put.status_code == 404
    assert error_code(put) == "BLOB_UPLOAD_UNKNOWN"


@pytest.mark.parametrize("session_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_session_is_404(http, origin, name, session_id):
    start(http, origin, name)
    answer = http.get(f"{origin}/v2/{name}/blobs/uploads/{session_id}", timeout=60)
    assert answer.status_code == 404
    assert error_code(answer) == "BLOB_UPLOAD_UNKNOWN"


def test_a_session_is_unknown_under_another_name(http, origin, name):
    location = start(http, origin, name).headers["Location"]
    other = f"{name}-other"
    start(http, origin, other)
    answer = http.get(f"{origin}{location.replace(name, other, 1)}", timeout=60)
    assert answer.status_code == 404
    assert error_code(answer) == "BLOB_UPLOAD_UNKNOWN"


def test_digest_mismatch_keeps_nothing(http, origin, api, name, upload_dir):
    data = os.urandom(300_000)
    response = start(http, origin, name)
    location, session_id = response.headers["Location"], response.headers["Docker-Upload-UUID"]
    patch(http, origin, location, data)
    wrong = digest_of(b"something else")

    refused = finish(http, origin, location, wrong)
    assert refused.status_code == 400
    assert error_code(refused) == "DIGEST_INVALID"
    assert refused.json()["errors"][0]["detail"]["actual"] == digest_of(data)
    assert http.get(f"{origin}{location}", timeout=60).status_code == 404
    assert not (upload_dir / session_id).exists()
    assert artifact_count(api, data) == 0
    unknown = http.head(f"{origin}/v2/{name}/blobs/{digest_of(data)}", timeout=60)
    assert unknown.status_code == 404


@pytest.fixture
def pushed_blob_refused(pulp_server):
    """A PostgreSQL trigger that makes recording a pushed blob fail for one digest: the last
    statement of finishing an upload, after its file moved into artifact storage."""
    refused = {}

    def refuse(digest):
        refused["digest"] = digest
        _sql(
            pulp_server,
            "CREATE FUNCTION test_refuse_pushed_blob() RETURNS trigger AS $$ BEGIN "
            "IF (SELECT digest FROM container_blob WHERE content_ptr_id = NEW.blob_id) = "
            f"'{digest}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END "
            "$$ LANGUAGE plpgsql",
            "CREATE TRIGGER test_refuse_pushed_blob BEFORE INSERT ON "
            "container_containerpushedblob FOR EACH ROW EXECUTE FUNCTION "
            "test_refuse_pushed_blob()",
        )

    yield refuse
    if refused:
        _sql(
            pulp_server,
            "DROP TRIGGER test_refuse_pushed_blob ON container_containerpushedblob",
            "DROP FUNCTION test_refuse_pushed_blob()",
        )


def _sql(pulp_server, *statements):
    pulp_server.manage(
        "shell",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        + "".join(f"    cursor.execute({statement!r})\n" for statement in statements),
    )


def test_a_finish_failing_after_the_move_leaves_no_file(
    http, origin, api, pulp_server, name, upload_dir, pushed_blob_refused
):
    data = os.urandom(300_000)
    sha256 = hashlib.sha256(data).hexdigest()
    pushed_blob_refused(f"sha256:{sha256}")
    response = start(http, origin, name)
    location, session_id = response.headers["Location"], response.headers["Docker-Upload-UUID"]
    patch(http, origin, location, data)

    failed = finish(http, origin, location, digest_of(data))
    assert failed.status_code == 500
    assert error_code(failed) == "UNKNOWN"
    assert artifact_count(api, data) == 0
    assert not (pulp_server.data_dir / "media" / "artifact" / sha256[:2] / sha256[2:]).exists()
    assert not (upload_dir / session_id).exists()
    unknown = http.head(f"{origin}/v2/{name}/blobs/{digest_of(data)}", timeout=60)
    assert unknown.status_code == 404


def test_monolithic_digest_mismatch_keeps_nothing(http, origin, api, name):
    data = os.urandom(300_000)
    refused = http.post(
        f"{origin}/v2/{name}/blobs/uploads/",
        params={"digest": digest_of(b"other bytes")},
        data=data,
        timeout=60,
    )
    assert refused.status_code == 400
    assert error_code(refused) == "DIGEST_INVALID"
    assert artifact_count(api, data) == 0


@pytest.mark.parametrize("digest", ["", "sha256:short", "md5:0123"])
def test_put_without_a_valid_digest_is_400(http, origin, name, digest):
    location = start(http, origin, name).headers["Location"]
    refused = http.put(f"{origin}{location}", params={"digest": digest}, timeout=60)
    assert refused.status_code == 400
    assert error_code(refused) == "DIGEST_INVALID"
    assert http.get(f"{origin}{location}", timeout=60).status_code == 204


# --- Mounts -----------------------------------------------------------------------------------


def _monolithic(http, origin, name, data):
    response = http.post(
        f"{origin}/v2/{name}/blobs/uploads/", params={"digest": digest_of(data)}, data=data
    )
    assert response.status_code == 201, response.text


def test_mount_from_a_name_holding_the_blob(http, origin, name):
    data = os.urandom(70_000)
    _monolithic(http, origin, name, data)
    target = f"{name}-mounted"
    mounted = http.post(
        f"{origin}/v2/{target}/blobs/uploads/",
        params={"mount": digest_of(data), "from": name},
        timeout=60,
    )
    assert mounted.status_code == 201, mounted.text
    assert mounted.headers["Location"] == f"/v2/{target}/blobs/{digest_of(data)}"
    assert mounted.headers["Docker-Content-Digest"] == digest_of(data)
    assert_served(http, origin, target, data)


@pytest.mark.parametrize("source", ["missing", "unknown-name"])
def test_mount_of_a_blob_not_there_starts_a_session(http, origin, name, source):
    data = os.urandom(1000)
    _monolithic(http, origin, name, os.urandom(1000))  # the source exists, without `data`
    source_name = name if source == "missing" else f"{name}/nothing/here"
    answer = http.post(
        f"{origin}/v2/{name}-m/blobs/uploads/",
        params={"mount": digest_of(data), "from": source_name},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    assert answer.headers["Range"] == "0-0"
    assert "Docker-Upload-UUID" in answer.headers


# --- Concurrency and disconnects -----------------------------------------------------------


def test_two_clients_finishing_the_same_blob_store_one_artifact(http, origin, api, name):
    data = os.urandom(8 * 1024 * 1024)
    locations = []
    for index in range(2):
        location = start(http, origin, f"{name}-{index}").headers["Location"]
        locations.append(patch(http, origin, location, data[:-100]).headers["Location"])
    barrier = threading.Barrier(2)
    answers = [None, None]

    def finish_one(index):
        barrier.wait()
        answers[index] = finish(http, origin, locations[index], digest_of(data), data[-100:])

    threads = [threading.Thread(target=finish_one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert artifact_count(api, data) == 1
    for index in range(2):
        assert_served(http, origin, f"{name}-{index}", data)


def test_two_monolithic_uploads_of_the_same_blob_at_once(http, origin, api, name):
    data = os.urandom(4 * 1024 * 1024)
    answers = [None, None]

    def upload(index):
        answers[index] = http.post(
            f"{origin}/v2/{name}-{index}/blobs/uploads/",
            params={"digest": digest_of(data)},
            data=data,
            timeout=120,
        )

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert artifact_count(api, data) == 1


def _send_part_and_hang_up(origin, method, path, total, sent, auth):
    """Send a request announcing `total` bytes of body, send `sent` of them, and close."""
    host, port = origin.removeprefix("http://").split(":")
    credentials = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Basic {credentials}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Length: {total}\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(head.encode() + os.urandom(sent))
        time.sleep(0.5)  # let the server read the part before the connection goes


def test_a_monolithic_upload_cut_off_leaves_nothing(pulp_server, origin, api, name, upload_dir):
    data = os.urandom(200)
    _send_part_and_hang_up(
        origin,
        "POST",
        f"/v2/{name}/blobs/uploads/?digest={digest_of(data)}",
        4 * 1024 * 1024,
        2 * 1024 * 1024,
        ("admin", pulp_server.admin_password),
    )
    wait_for(lambda: not any(p.name.startswith("monolithic-") for p in upload_dir.iterdir()))
    assert artifact_count(api, data) == 0


def test_a_chunk_cut_off_leaves_the_session_as_it_was(pulp_server, http, origin, name):
    data = os.urandom(600_000)
    location = start(http, origin, name).headers["Location"]
    location = patch(http, origin, location, data[:100_000]).headers["Location"]
    _send_part_and_hang_up(
        origin,
        "PATCH",
        location,
        2 * 1024 * 1024,
        1024 * 1024,
        ("admin", pulp_server.admin_password),
    )
    status = http.get(f"{origin}{location}", timeout=60)
    assert status.headers["Range"] == "0-99999"
    location = patch(http, origin, location, data[100_000:], "100000-599999").headers["Location"]
    assert finish(http, origin, location, digest_of(data)).status_code == 201
    assert_served(http, origin, name, data)


# --- Several processes, restarts, expiry ------------------------------------------------------


@pytest.fixture(scope="module")
def second_app(pulp_server):
    app = ContentApp(pulp_server).start()
    yield app
    app.stop()


def test_a_session_continues_in_another_process(http, origin, second_app, name):
    data = os.urandom(2 * 1024 * 1024 + 5)
    location = start(http, origin, name).headers["Location"]
    location = patch(http, second_app.origin, location, data[:1_000_000]).headers["Location"]
    location = patch(http, origin, location, data[1_000_000:1_500_000]).headers["Location"]
    done = finish(http, second_app.origin, location, digest_of(data), data[1_500_000:])
    assert done.status_code == 201, done.text
    assert_served(http, origin, name, data)


def test_a_put_without_a_body_finishes_in_another_process(http, origin, second_app, name):
    # skopeo, podman and docker send one PATCH, then a PUT on a new connection, which may reach
    # another process: it finishes with the digests the PATCH recorded with the session.
    data = os.urandom(3 * 1024 * 1024 + 1)
    location = start(http, origin, name).headers["Location"]
    location = patch(http, origin, location, data).headers["Location"]
    done = finish(http, second_app.origin, location, digest_of(data))
    assert done.status_code == 201, done.text
    assert_served(http, origin, name, data)
    location = start(http, origin, name).headers["Location"]
    location = patch(http, origin, location, data[:100]).headers["Location"]
    wrong = finish(http, second_app.origin, location, digest_of(data))
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["code"] == "DIGEST_INVALID"


def test_a_session_survives_a_content_app_restart(http, origin, pulp_server, name):
    data = os.urandom(1_500_000)
    app = ContentApp(pulp_server).start()
    try:
        location = start(http, app.origin, name).headers["Location"]
        location = patch(http, app.origin, location, data[:700_000]).headers["Location"]
        app.stop()
        app.start()
        location = patch(http, app.origin, location, data[700_000:]).headers["Location"]
        done = finish(http, app.origin, location, digest_of(data))
        assert done.status_code == 201, done.text
    finally:
        app.stop()
    assert_served(http, origin, name, data)


def _backdate(pulp_server, session_id, seconds):
    pulp_server.manage(
        "shell",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from pulp_container.app.models import ContainerUploadSession as S; "
        f"S.objects.filter(pk={session_id!r}).update("
        f"last_activity=timezone.now() - timedelta(seconds={seconds}))",
    )


def test_an_expired_session_is_unknown_and_its_file_removed(
    http, origin, pulp_server, name, upload_dir
):
    response = start(http, origin, name)
    location, session_id = response.headers["Location"], response.headers["Docker-Upload-UUID"]
    patch(http, origin, location, b"y" * 5000)
    _backdate(pulp_server, session_id, 2 * 24 * 3600)

    answer = patch(http, origin, location, b"z" * 10)
    assert answer.status_code == 404
    assert error_code(answer) == "BLOB_UPLOAD_UNKNOWN"
    assert not (upload_dir / session_id).exists()


def _backdate_pushed_blob(pulp_server, digest, seconds):
    pulp_server.manage(
        "shell",
        "-c",
        "from datetime import timedelta; from django.utils import timezone; "
        "from pulp_container.app.models import ContainerPushedBlob as P; "
        f"P.objects.filter(blob__digest={digest!r}).update("
        f"pulp_last_updated=timezone.now() - timedelta(seconds={seconds}))",
    )


def test_a_post_sweeps_expired_sessions_and_pushed_blobs(
    http, origin, pulp_server, name, upload_dir
):
    response = start(http, origin, name)
    location, session_id = response.headers["Location"], response.headers["Docker-Upload-UUID"]
    patch(http, origin, location, b"y" * 5000)
    _backdate(pulp_server, session_id, 2 * 24 * 3600)
    forgotten = os.urandom(4000)
    _monolithic(http, origin, name, forgotten)
    _backdate_pushed_blob(pulp_server, digest_of(forgotten), 2 * 24 * 3600)
    fresh = ContentApp(pulp_server).start()  # a process that has not swept yet
    try:
        start(http, fresh.origin, f"{name}-other")
    finally:
        fresh.stop()
    assert not (upload_dir / session_id).exists()
    assert http.get(f"{origin}{location}", timeout=60).status_code == 404
    gone = http.head(f"{origin}/v2/{name}/blobs/{digest_of(forgotten)}", timeout=60)
    assert gone.status_code == 404


# --- Read-only names --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synced(api, upstream_registry):
    """A synced repository's distribution, and one pinned to its version 1."""
    upstream_name = f"pushro/{uuid.uuid4().hex[:8]}"
    push_docker_image(upstream_registry.client(), upstream_name, ["latest"], layer_size=1024)
    repository, _, distribution = serve(
        api, upstream_registry, upstream_name, "immediate", f"ro/{uuid.uuid4().hex[:8]}"
    )
    pinned = api.create_distribution(
        new_name("pinned-"),
        f"ro/{uuid.uuid4().hex[:8]}",
        repository_version=repository["latest_version_href"],
    )
    return {"synced": distribution["base_path"], "pinned": pinned["base_path"]}


@pytest.fixture(scope="module")
def pull_through(api, upstream_registry):
    remote = api.ok(
        api.post(
            "remotes/container/pull-through/",
            {"name": new_name("ptr-"), "url": upstream_registry.url},
        )
    )
    prefix = f"ptc{uuid.uuid4().hex[:8]}"
    api.run(
        "POST",
        "distributions/container/pull-through/",
        {"name": new_name("ptd-"), "base_path": prefix, "remote": remote["pulp_href"]},
    )
    return prefix


@pytest.mark.parametrize(
    "which, reason",
    [
        ("synced", "container repository"),
        ("pinned", "fixed repository version"),
        ("pull_through", "pull-through"),
        ("pull_through_prefix", "pull-through"),
    ],
)
def test_read_only_names_are_denied(http, origin, synced, pull_through, which, reason):
    names = {
        **synced,
        "pull_through": f"{pull_through}/library/thing",
        "pull_through_prefix": pull_through,
    }
    name = names[which]
    refused = http.post(f"{origin}/v2/{name}/blobs/uploads/", timeout=60)
    assert refused.status_code == 403, refused.text
    error = refused.json()["errors"][0]
    assert error["code"] == "DENIED"
    assert reason in error["message"]


# --- Blob DELETE ------------------------------------------------------------------------------


def test_delete_of_a_pushed_blob(http, origin, name):
    data = os.urandom(3000)
    _monolithic(http, origin, name, data)
    deleted = http.delete(f"{origin}/v2/{name}/blobs/{digest_of(data)}", timeout=60)
    assert deleted.status_code == 202, deleted.text
    assert http.head(f"{origin}/v2/{name}/blobs/{digest_of(data)}", timeout=60).status_code == 404
    again = http.delete(f"{origin}/v2/{name}/blobs/{digest_of(data)}", timeout=60)
    assert again.status_code == 404
    assert error_code(again) == "BLOB_UNKNOWN"


def test_delete_of_a_blob_the_repository_does_not_hold(http, origin, name):
    _monolithic(http, origin, name, os.urandom(100))
    other = os.urandom(100)
    _monolithic(http, origin, f"{name}-elsewhere", other)
    refused = http.delete(f"{origin}/v2/{name}/blobs/{digest_of(other)}", timeout=60)
    assert refused.status_code == 404
    assert error_code(refused) == "BLOB_UNKNOWN"
    assert_served(http, origin, f"{name}-elsewhere", other)


def test_delete_under_a_name_never_pushed(http, origin, name):
    refused = http.delete(f"{origin}/v2/{name}/blobs/{digest_of(b'x')}", timeout=60)
    assert refused.status_code == 404
    assert error_code(refused) == "NAME_UNKNOWN"


def _push_image(http, origin, name):
    """Push a config, a layer and an OCI manifest of them; their bytes and the manifest's
    digest."""
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer = os.urandom(2048)
    for blob in (config, layer):
        _monolithic(http, origin, name, blob)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": digest_of(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": digest_of(layer),
                "size": len(layer),
            }
        ],
    }
    body = json.dumps(manifest).encode()
    pushed = http.put(
        f"{origin}/v2/{name}/manifests/latest",
        data=body,
        headers={"Content-Type": manifest["mediaType"]},
        timeout=60,
    )
    assert pushed.status_code == 201, pushed.text
    return config, layer, digest_of(body)


def test_delete_of_a_blob_a_manifest_needs_is_denied(http, origin, api, name):
    config, layer, manifest_digest = _push_image(http, origin, name)
    distribution = api.ok(
        api.get("distributions/container/container/", params={"base_path": name})
    )["results"][0]
    repository = api.ok(api.get(distribution["repository"]))
    for blob in (config, layer):
        refused = http.delete(f"{origin}/v2/{name}/blobs/{digest_of(blob)}", timeout=60)
        assert refused.status_code == 403, refused.text
        error = refused.json()["errors"][0]
        assert error["code"] == "DENIED"
        assert error["detail"]["manifests"] == [manifest_digest]
        assert_served(http, origin, name, blob)
    assert (
        api.ok(api.get(distribution["repository"]))["latest_version_href"]
        == (repository["latest_version_href"])
    )

    deleted = http.delete(f"{origin}/v2/{name}/manifests/{manifest_digest}", timeout=60)
    assert deleted.status_code == 202, deleted.text
    removed = http.delete(f"{origin}/v2/{name}/blobs/{digest_of(layer)}", timeout=60)
    assert removed.status_code == 202, removed.text
    assert http.head(f"{origin}/v2/{name}/blobs/{digest_of(layer)}", timeout=60).status_code == 404
    latest = api.ok(api.get(api.ok(api.get(distribution["repository"]))["latest_version_href"]))
    assert latest["number"] >= 3
