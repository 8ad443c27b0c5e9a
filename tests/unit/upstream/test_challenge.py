import base64
import json

import pytest

from pulp_container.app.upstream.challenge import (
    Challenge,
    ChallengeInvalid,
    Token,
    TokenRequest,
    TokenResponseInvalid,
    basic_authorization,
    bearer_authorization,
    choose,
    parse_challenges,
    parse_token_response,
    pull_scope,
    token_request,
)

DOCKER_HUB = (
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
    'scope="repository:library/busybox:pull"'
)


def _params(challenge):
    return dict(challenge.params)


@pytest.mark.parametrize(
    "header, expected",
    [
        (DOCKER_HUB, [("bearer", {
            "realm": "https://auth.docker.io/token",
            "service": "registry.docker.io",
            "scope": "repository:library/busybox:pull",
        })]),
        ('Basic realm="upstream-registry"', [("basic", {"realm": "upstream-registry"})]),
        ("basic realm=registry", [("basic", {"realm": "registry"})]),
        ('BEARER Realm="http://h/token" , Service = "s"',
         [("bearer", {"realm": "http://h/token", "service": "s"})]),
        ('Bearer realm="http://h/token",scope="repository:a:pull,push"',
         [("bearer", {"realm": "http://h/token", "scope": "repository:a:pull,push"})]),
        ('Bearer realm="r",error="insufficient_scope",scope="repository:a/b:pull"',
         [("bearer", {"realm": "r", "error": "insufficient_scope",
                      "scope": "repository:a/b:pull"})]),
        ('Bearer realm="say \\"hi\\""', [("bearer", {"realm": 'say "hi"'})]),
        ('Negotiate, Basic realm="x"', [("negotiate", {}), ("basic", {"realm": "x"})]),
        ('Basic realm="x", Bearer realm="http://t", service="s"',
         [("basic", {"realm": "x"}), ("bearer", {"realm": "http://t", "service": "s"})]),
        ("Negotiate abc123==", [("negotiate", {"token68": "abc123=="})]),
        ("", []),
    ],
)  # fmt: skip
def test_parse_challenges(header, expected):
    parsed = parse_challenges(header)

    assert [(c.scheme, _params(c)) for c in parsed] == expected


@pytest.mark.parametrize("header", ['Bearer realm="unterminated', 'Bearer realm="a" junk'])
def test_malformed_challenges_are_refused(header):
    with pytest.raises(ChallengeInvalid):
        parse_challenges(header)


def test_challenge_properties():
    (challenge,) = parse_challenges(DOCKER_HUB)

    assert challenge.realm == "https://auth.docker.io/token"
    assert challenge.service == "registry.docker.io"
    assert challenge.scope == "repository:library/busybox:pull"
    assert challenge.error is None


@pytest.mark.parametrize(
    "header, scheme",
    [
        ('Basic realm="x", Bearer realm="http://t"', "bearer"),
        ('Basic realm="x"', "basic"),
        ('Bearer service="no-realm", Basic realm="x"', "basic"),
        ('Bearer service="no-realm"', None),
        ("Negotiate", None),
    ],
)
def test_choose_prefers_bearer_with_a_realm(header, scheme):
    chosen = choose(parse_challenges(header))

    assert (chosen.scheme if chosen else None) == scheme


def test_token_request_carries_service_and_scope():
    (challenge,) = parse_challenges(DOCKER_HUB)

    assert token_request(challenge) == TokenRequest(
        "https://auth.docker.io/token",
        (("service", "registry.docker.io"), ("scope", "repository:library/busybox:pull")),
    )


def test_token_request_uses_the_default_scope_when_the_challenge_has_none():
    (challenge,) = parse_challenges('Bearer realm="http://t/token",service="s"')

    request = token_request(challenge, default_scope=pull_scope("a/b"))

    assert request.params == (("service", "s"), ("scope", "repository:a/b:pull"))


def test_token_request_splits_several_scopes():
    (challenge,) = parse_challenges(
        'Bearer realm="http://t",scope="repository:a:pull repository:b:pull"'
    )

    assert token_request(challenge).params == (
        ("scope", "repository:a:pull"),
        ("scope", "repository:b:pull"),
    )


def test_token_request_without_service_or_scope():
    assert token_request(Challenge("bearer", {"realm": "http://t"})).params == ()


@pytest.mark.parametrize("challenge", [Challenge("basic", {"realm": "x"}), Challenge("bearer")])
def test_token_request_needs_a_bearer_realm(challenge):
    with pytest.raises(ChallengeInvalid):
        token_request(challenge)


@pytest.mark.parametrize(
    "body, value, lifetime",
    [
        ({"token": "abc", "expires_in": 300}, "abc", 300),
        ({"access_token": "xyz", "expires_in": 120}, "xyz", 120),
        ({"token": "abc", "access_token": "xyz"}, "abc", 60),
        ({"token": "abc", "expires_in": 5}, "abc", 60),
        ({"token": "abc", "expires_in": "300"}, "abc", 60),
        ({"token": "abc", "expires_in": True}, "abc", 60),
        ({"token": "abc", "issued_at": "1999-01-01T00:00:00Z", "expires_in": 600}, "abc", 600),
    ],
)
def test_parse_token_response(body, value, lifetime):
    token = parse_token_response(json.dumps(body).encode(), now=1000.0)

    assert token == Token(value, 1000.0 + lifetime)


@pytest.mark.parametrize("body", [b"not json", b"[]", b"{}", b'{"token": ""}', b'{"token": 5}'])
def test_token_response_without_a_token_is_refused(body):
    with pytest.raises(TokenResponseInvalid):
        parse_token_response(body, now=0)


def test_token_freshness_keeps_a_margin():
    token = Token("s3cr3t", expires_at=100.0)

    assert token.is_fresh(80.0)
    assert not token.is_fresh(95.0)
    assert not token.is_fresh(95.0, margin=10)
    assert token.is_fresh(95.0, margin=1)
    assert "s3cr3t" not in repr(token)


def test_authorization_values():
    assert (
        basic_authorization("user", "secret")
        == "Basic " + base64.b64encode(b"user:secret").decode()
    )
    assert basic_authorization("user", None) == "Basic " + base64.b64encode(b"user:").decode()
    assert bearer_authorization(Token("abc", 1.0)) == "Bearer abc"


def test_pull_scope():
    assert pull_scope("library/busybox") == "repository:library/busybox:pull"
