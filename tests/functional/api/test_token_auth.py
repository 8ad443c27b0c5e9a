"""Registry token authentication: the token endpoint, challenges, verification, who may pull.

`make run` serves with token authentication on; so does the session's `pulp_server`.
"""

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.functional.api.test_pull import new_name, serve
from tests.functional.pulp import PulpProcess
from tests.functional.registry_client import Challenge, RegistryClient, bearer
from tests.functional.upstream import CommandFailed, push_docker_image, skopeo_copy


@pytest.fixture(scope="module")
def images(api, upstream_registry):
    """One image served by a public and by a private distribution."""
    name = f"token/{uuid.uuid4().hex[:8]}"
    image = push_docker_image(upstream_registry.client(), name, ["latest"], layer_size=64 * 1024)
    repository, _, public = serve(api, upstream_registry, name, "immediate", f"{name}/public")
    private = api.create_distribution(
        new_name("private-"), f"{name}/private", repository=repository["pulp_href"], private=True
    )
    return {"image": image, "public": public["base_path"], "private": private}


@pytest.fixture(scope="module")
def users(users, user_factory, images):
    """A user with no role, and one given the consumer role on the private distribution."""
    user_factory.grant(
        users["puller"], "container.containerdistribution_consumer", images["private"]
    )
    return users


@pytest.fixture(scope="module")
def origin(pulp_server):
    return f"http://{pulp_server.registry_host}"


@pytest.fixture(scope="module")
def service(pulp_server):
    return pulp_server.registry_host


def token_for(origin, service, *scopes, auth=None):
    response = RegistryClient(origin).get(
        "/token", params=[("service", service)] + [("scope", s) for s in scopes], auth=auth
    )
    assert response.status_code == 200, response.text
    return response.json()


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def get(origin, path, token=None, **kwargs):
    """One request as it is: with `token`, or without any Authorization."""
    headers = bearer(token) if token else {}
    return RegistryClient(origin).get(path, headers=headers, authenticate=False, **kwargs)


def assert_challenge(response, scope=None, error=None):
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["code"] == "UNAUTHORIZED"
    challenge = Challenge.of(response)
    assert challenge.scheme == "bearer", response.headers["WWW-Authenticate"]
    params = challenge.params
    assert params["realm"].endswith("/token")
    assert params.get("scope") == scope
    assert params.get("error") == error
    return params


# --- the token endpoint ------------------------------------------------------------------------


def test_token_response_and_claims(origin, service, images, pulp_server):
    scope = f"repository:{images['public']}:pull"
    body = token_for(origin, service, scope, auth=("admin", pulp_server.admin_password))
    assert set(body) >= {"token", "access_token", "expires_in", "issued_at"}
    assert body["token"] == body["access_token"]
    assert body["expires_in"] == 300
    assert body["issued_at"].endswith("Z")
    header = jwt.get_unverified_header(body["token"])
    assert header["alg"] == "ES256"
    claims = claims_of(body["token"])
    assert {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "access"} <= set(claims)
    assert claims["sub"] == "admin"
    assert claims["aud"] == service
    assert claims["exp"] - claims["iat"] == 300
    assert claims["access"] == [
        {"type": "repository", "name": images["public"], "actions": ["pull"]}
    ]


def test_nothing_more_than_asked(origin, service, images, pulp_server):
    """Pushes and who gets them: test_push_auth.py."""
    body = token_for(
        origin,
        service,
        f"repository:{images['public']}:pull,frobnicate",
        auth=("admin", pulp_server.admin_password),
    )
    assert claims_of(body["token"])["access"] == [
        {"type": "repository", "name": images["public"], "actions": ["pull"]}
    ]
    assert claims_of(token_for(origin, service)["token"])["access"] == []


def test_token_endpoint_bad_requests(origin, service, images):
    missing = get(origin, "/token", params={"scope": "repository:a:pull"})
    assert missing.status_code == 400
    assert "service" in missing.json()["errors"][0]["message"]
    other = get(origin, "/token", params={"service": "elsewhere"})
    assert other.status_code == 400
    bad_scope = get(origin, "/token", params={"service": service, "scope": "nonsense"})
    assert bad_scope.status_code == 400
    registry = RegistryClient(origin)
    wrong = registry.get("/token", params={"service": service}, auth=("admin", "nope"))
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Basic ")
    nul_scope = get(origin, "/token", params={"service": service, "scope": "repository:a\x00:pull"})
    assert nul_scope.status_code == 400
    assert nul_scope.json()["errors"][0]["code"] == "TOKEN_REQUEST_INVALID"
    nul_user = registry.get("/token", params={"service": service}, auth=("ad\x00min", "x"))
    assert nul_user.status_code == 401
    assert nul_user.json()["errors"][0]["code"] == "UNAUTHORIZED"


def test_anonymous_tokens(origin, service, images):
    public = f"repository:{images['public']}:pull"
    private = f"repository:{images['private']['base_path']}:pull"
    unknown = f"repository:{images['public']}-nothing-here:pull"
    claims = claims_of(token_for(origin, service, public, private, unknown)["token"])
    assert claims["sub"] == ""
    assert [entry["name"] for entry in claims["access"]] == [images["public"]]


# --- challenges and verification on /v2/ -------------------------------------------------------


def test_every_request_without_a_token_is_challenged(origin, images):
    assert_challenge(get(origin, "/v2/"))
    name = images["public"]
    assert_challenge(get(origin, f"/v2/{name}/manifests/latest"), f"repository:{name}:pull")
    assert_challenge(get(origin, f"/v2/{name}/tags/list"), f"repository:{name}:pull")
    assert_challenge(get(origin, "/v2/_catalog"), "registry:catalog:*")
    basic = RegistryClient(origin).get(f"/v2/{name}/tags/list", auth=("admin", "x"))
    assert_challenge(basic, f"repository:{name}:pull")


def test_anonymous_pull_of_a_public_distribution_without_authorization(origin, images):
    """What docker does: no Authorization header, then the token dance, anonymously."""
    name = images["public"]
    response = RegistryClient(origin).manifest(name, "latest", accept=[images["image"].media_type])
    assert response.status_code == 200
    assert response.headers["Docker-Content-Digest"] == images["image"].digest
    assert response.history[0].status_code == 401


def test_private_distribution(origin, service, images, users, pulp_server):
    name = images["private"]["base_path"]
    path = f"/v2/{name}/manifests/latest"
    scope = f"repository:{name}:pull"
    assert_challenge(RegistryClient(origin).get(path), scope, "insufficient_scope")
    stranger = RegistryClient(origin, users["stranger"]["auth"])
    assert_challenge(stranger.get(path), scope, "insufficient_scope")
    for auth in (users["puller"]["auth"], ("admin", pulp_server.admin_password)):
        assert RegistryClient(origin, auth).get(path).status_code == 200


def test_a_token_for_one_name_is_refused_on_another(origin, service, images, pulp_server):
    token = token_for(
        origin,
        service,
        f"repository:{images['public']}:pull",
        auth=("admin", pulp_server.admin_password),
    )["token"]
    private = images["private"]["base_path"]
    assert_challenge(
        get(origin, f"/v2/{private}/tags/list", token),
        f"repository:{private}:pull",
        "insufficient_scope",
    )
    assert get(origin, f"/v2/{images['public']}/tags/list", token).status_code == 200


def test_catalog_is_filtered_per_user(origin, images, users, pulp_server):
    def names(*auth):
        response = RegistryClient(origin, auth or None).get("/v2/_catalog?n=100000")
        assert response.status_code == 200, response.text
        return set(response.json()["repositories"])

    private = images["private"]["base_path"]
    assert images["public"] in names()
    assert private not in names()
    assert private not in names(*users["stranger"]["auth"])
    assert private in names(*users["puller"]["auth"])
    assert private in names("admin", pulp_server.admin_password)


def _b64(data):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _forgeries(token, public_pem, service):
    claims = claims_of(token)
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_pem = other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    hmac_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}"
    hmac_signature = hmac.new(public_pem, hmac_input.encode(), hashlib.sha256).digest()
    now = int(time.time())
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "HMAC with the public key": f"{hmac_input}.{_b64(hmac_signature)}",
        "another key": jwt.encode(claims, other_pem, algorithm="ES256"),
        "expired": jwt.encode(
            {**claims, "iat": now - 900, "nbf": now - 900, "exp": now - 600},
            other_pem,
            algorithm="ES256",
        ),
        "garbage": "not-a-token",
        "tampered access": token.rsplit(".", 2)[0][:-4] + "AAAA." + token.rsplit(".", 1)[1],
    }


def test_forged_and_malformed_tokens_are_refused(origin, service, images, pulp_server):
    name = images["public"]
    token = token_for(origin, service, f"repository:{name}:pull")["token"]
    public_pem = (pulp_server.data_dir / "certs" / "token_public_key.pem").read_bytes()
    for label, forged in _forgeries(token, public_pem, service).items():
        response = get(origin, f"/v2/{name}/tags/list", forged)
        assert_challenge(response, f"repository:{name}:pull", "invalid_token"), label


def test_expired_token_signed_by_the_server_key_is_refused(origin, images, pulp_server):
    name = images["public"]
    private_pem = (pulp_server.data_dir / "certs" / "token_private_key.pem").read_bytes()
    now = int(time.time())
    claims = {
        "iss": pulp_server.registry_host,
        "sub": "",
        "aud": pulp_server.registry_host,
        "iat": now - 900,
        "nbf": now - 900,
        "exp": now - 600,
        "jti": "x",
        "access": [{"type": "repository", "name": name, "actions": ["pull"]}],
    }
    expired = jwt.encode(claims, private_pem, algorithm="ES256")
    response = get(origin, f"/v2/{name}/tags/list", expired)
    assert_challenge(response, f"repository:{name}:pull", "invalid_token")
    assert "expired" in response.json()["errors"][0]["message"]
    valid = jwt.encode(
        {**claims, "iat": now, "nbf": now, "exp": now + 60}, private_pem, algorithm="ES256"
    )
    assert get(origin, f"/v2/{name}/tags/list", valid).status_code == 200
    wrong_audience = jwt.encode(
        {**claims, "aud": "elsewhere", "iat": now, "nbf": now, "exp": now + 60},
        private_pem,
        algorithm="ES256",
    )
    assert_challenge(
        get(origin, f"/v2/{name}/tags/list", wrong_audience),
        f"repository:{name}:pull",
        "invalid_token",
    )


# --- real clients ------------------------------------------------------------------------------


def test_skopeo_with_and_without_credentials(images, users, pulp_server, tmp_path):
    host = pulp_server.registry_host
    skopeo_copy(f"{host}/{images['public']}:latest", f"dir:{tmp_path / 'anonymous'}")
    private = f"{host}/{images['private']['base_path']}:latest"
    skopeo_copy(private, f"dir:{tmp_path / 'puller'}", creds=users["puller"]["auth"])
    with pytest.raises(CommandFailed):
        skopeo_copy(private, f"dir:{tmp_path / 'refused'}")
    with pytest.raises(CommandFailed):
        skopeo_copy(private, f"dir:{tmp_path / 'stranger'}", creds=users["stranger"]["auth"])
    copied = (tmp_path / "puller" / "manifest.json").read_bytes()
    assert "sha256:" + hashlib.sha256(copied).hexdigest() == images["image"].digest


def test_podman_login_then_pull_of_a_private_distribution(
    images, users, pulp_server, podman, tmp_path
):
    login = ("--tls-verify=false", "--authfile", str(tmp_path / "auth.json"))
    host = pulp_server.registry_host
    reference = f"{host}/{images['private']['base_path']}:latest"
    assert podman("pull", *login, reference, check=False).returncode != 0
    username, password = users["puller"]["auth"]
    podman("login", *login, "-u", username, "-p", password, host)
    podman("pull", *login, reference)
    assert podman.image_inspect(reference)["Digest"] == images["image"].digest
    wrong = podman("login", *login, "-u", username, "-p", "wrong-password", host, check=False)
    assert wrong.returncode != 0


def test_server_refuses_to_start_without_keys(tmp_path):
    server = PulpProcess(tmp_path / "data")
    server.start()
    server.stop()
    private_key = server.data_dir / "certs" / "token_private_key.pem"
    private_key.unlink()
    with pytest.raises(RuntimeError) as refused:
        server.start()
    assert "PRIVATE_KEY_PATH" in str(refused.value)
    assert str(private_key) in str(refused.value)
    assert not private_key.exists()


def _token_from(source_ip, origin, service, username, password):
    """A token request sent from `source_ip` (a loopback address of its own, so the address's
    failure count is this test's alone); returns (status, headers, seconds it took)."""
    host, port = urlsplit(origin).hostname, urlsplit(origin).port
    connection = http.client.HTTPConnection(
        "127.0.0.1" if host == "localhost" else host,
        port,
        timeout=60,
        source_address=(source_ip, 0),
    )
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    started = time.monotonic()
    try:
        connection.request(
            "GET", f"/token?service={service}", headers={"Authorization": f"Basic {credentials}"}
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.headers, time.monotonic() - started
    finally:
        connection.close()


def test_password_guessing_is_slowed_per_user_without_locking_the_user_out(
    origin, service, user_factory
):
    """After 10 failures a user name's wrong passwords are answered 429 after a delay, from
    any address; the right password still works."""
    username, password = user_factory.create("guessed")["auth"]
    for attempt in range(10):
        status, _, _ = _token_from(f"127.0.3.{attempt + 1}", origin, service, username, "x")
        assert status == 401, attempt
    status, headers, took = _token_from("127.0.3.50", origin, service, username, "wrong")
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    assert took >= 1.9  # CONTAINER_LOGIN_FAILURE_DELAY, 2 s by default
    status, _, _ = _token_from("127.0.3.51", origin, service, username, password)
    assert status == 200


def test_an_address_that_fails_too_often_is_refused_for_a_while(
    origin, service, pulp_server, user_factory
):
    """20 failures from one address, whatever the user names: that address is refused 429
    with Retry-After, even with right credentials; other addresses are not."""
    username, password = user_factory.create("victim")["auth"]
    for attempt in range(20):
        status, _, _ = _token_from("127.0.4.1", origin, service, new_name(f"nobody{attempt}-"), "x")
        assert status == 401, attempt
    status, headers, _ = _token_from("127.0.4.1", origin, service, username, password)
    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 60
    status, _, _ = _token_from("127.0.4.2", origin, service, username, password)
    assert status == 200
    assert f"login of '{username}' from 127.0.4.1 refused" in pulp_server.log("content")
