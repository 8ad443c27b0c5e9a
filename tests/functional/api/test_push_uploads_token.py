"""Blob uploads with token authentication (the default): who gets to upload and to mount.

Raw HTTP against the session's token server; the upload protocol itself is in
test_push_uploads.py.
"""

import os
import uuid

import pytest
import requests

from tests.functional.registry_client import (
    TokenAuth,
    challenge_params,
    fetch_token,
    monolithic_upload,
)
from tests.functional.upstream.images import digest_of

PASSWORD = "uploads-pass-123"


@pytest.fixture(scope="module")
def origin(pulp_server):
    return f"http://{pulp_server.registry_host}"


@pytest.fixture(scope="module")
def alice(api):
    """A user with no role: by their user name, they may push under their own namespace."""
    username = f"alice{uuid.uuid4().hex[:8]}"
    user = api.ok(api.post("users/", {"username": username, "password": PASSWORD}))
    return {"username": username, "auth": (username, PASSWORD), "href": user["pulp_href"]}


def test_anonymous_upload_is_challenged_for_push(origin):
    name = f"anon{uuid.uuid4().hex[:8]}/app"
    response = requests.post(f"{origin}/v2/{name}/blobs/uploads/", timeout=60)
    assert response.status_code == 401
    params = challenge_params(response.headers["WWW-Authenticate"])
    assert params["scope"] == f"repository:{name}:pull,push"


def test_anonymous_token_does_not_upload(origin):
    name = f"anon{uuid.uuid4().hex[:8]}/app"
    response = monolithic_upload(origin, name, b"data", TokenAuth())
    assert response.status_code == 401


def test_a_user_uploads_under_their_own_name_and_owns_what_the_push_created(origin, api, alice):
    name = f"{alice['username']}/app"
    data = os.urandom(50_000)
    response = monolithic_upload(origin, name, data, TokenAuth(*alice["auth"]))
    assert response.status_code == 201, response.text

    served = requests.get(
        f"{origin}/v2/{name}/blobs/{digest_of(data)}", auth=TokenAuth(*alice["auth"]), timeout=60
    )
    assert served.status_code == 200 and served.content == data
    roles = api.ok(api.get(f"{alice['href']}roles/"))["results"]
    assert {role["role"] for role in roles} >= {
        "container.containerdistribution_owner",
        "container.containerpushrepository_owner",
        "container.containernamespace_owner",
    }


def test_a_user_may_not_upload_under_another_namespace(origin, alice):
    name = f"someone{uuid.uuid4().hex[:6]}/app"
    response = monolithic_upload(origin, name, b"x", TokenAuth(*alice["auth"]))
    assert response.status_code == 401
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def _token(pulp_server, origin, auth, *scopes):
    params = {"realm": f"{origin}/token", "service": pulp_server.registry_host}
    token = fetch_token({**params, "scope": " ".join(scopes)}, auth)
    return {"Authorization": f"Bearer {token}"}


def test_mount_needs_pull_on_the_source(pulp_server, origin, api, alice):
    """A blob of a private distribution alice may not pull is not mounted for her: she gets an
    upload session instead; the admin, who may pull it, gets it mounted."""
    source = f"private{uuid.uuid4().hex[:8]}/src"
    data = os.urandom(20_000)
    admin = ("admin", pulp_server.admin_password)
    assert monolithic_upload(origin, source, data, TokenAuth(*admin)).status_code == 201
    distribution = api.ok(
        api.get("distributions/container/container/", params={"base_path": source})
    )["results"][0]
    api.run("PATCH", distribution["pulp_href"], {"private": True})

    target = f"{alice['username']}/mounted"
    scopes = (f"repository:{target}:pull,push", f"repository:{source}:pull")
    refused = requests.post(
        f"{origin}/v2/{target}/blobs/uploads/",
        params={"mount": digest_of(data), "from": source},
        headers=_token(pulp_server, origin, alice["auth"], *scopes),
        timeout=60,
    )
    assert refused.status_code == 202, refused.text
    assert "Docker-Upload-UUID" in refused.headers

    target = f"{source}-copy"
    scopes = (f"repository:{target}:pull,push", f"repository:{source}:pull")
    mounted = requests.post(
        f"{origin}/v2/{target}/blobs/uploads/",
        params={"mount": digest_of(data), "from": source},
        headers=_token(pulp_server, origin, admin, *scopes),
        timeout=60,
    )
    assert mounted.status_code == 201, mounted.text
    assert mounted.headers["Docker-Content-Digest"] == digest_of(data)
