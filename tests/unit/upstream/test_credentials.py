"""RegistryAuth: which Authorization a downloader sends first, and how a 401 is answered."""

import asyncio

import pytest

from pulp_container.app.upstream.challenge import (
    Token,
    basic_authorization,
    pull_scope,
)
from pulp_container.app.upstream.credentials import RegistryAuth

SCOPE = pull_scope("team/app")
BEARER = 'Bearer realm="http://127.0.0.1:1/token",service="registry"'
BASIC = basic_authorization("user", "secret")


class FakeTokenEndpoint:
    """Answers token requests with token-1, token-2, ... living `lifetime` seconds."""

    def __init__(self, clock, lifetime=300):
        self.clock = clock
        self.lifetime = lifetime
        self.requests = []

    async def __call__(self, request, basic):
        self.requests.append((request, basic))
        await asyncio.sleep(0)  # let concurrent callers pile up
        return Token(f"token-{len(self.requests)}", self.clock() + self.lifetime)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def endpoint(clock):
    return FakeTokenEndpoint(clock)


def run(coroutine):
    return asyncio.run(coroutine)


def test_nothing_is_sent_before_a_challenge(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)

    assert run(auth.authorization(SCOPE, endpoint)) is None
    assert endpoint.requests == []


def test_bearer_challenge_fetches_a_token_with_the_credentials(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)

    answer = run(auth.answer(BEARER, SCOPE, None, endpoint))

    assert answer == "Bearer token-1"
    ((request, basic),) = endpoint.requests
    assert request.url == "http://127.0.0.1:1/token"
    assert request.params == (("service", "registry"), ("scope", SCOPE))
    assert basic == BASIC


def test_anonymous_token_request_has_no_credentials(clock, endpoint):
    auth = RegistryAuth(clock=clock)

    assert run(auth.answer(BEARER, SCOPE, None, endpoint)) == "Bearer token-1"
    assert endpoint.requests[0][1] is None


def test_the_token_is_reused_for_the_scope(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)
    run(auth.answer(BEARER, SCOPE, None, endpoint))

    assert run(auth.authorization(SCOPE, endpoint)) == "Bearer token-1"
    assert run(auth.authorization(pull_scope("other"), endpoint)) is None
    assert len(endpoint.requests) == 1


def test_a_token_about_to_expire_is_renewed_before_use(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)
    run(auth.answer(BEARER, SCOPE, None, endpoint))

    clock.now += 295  # 5 s left: inside the margin

    assert run(auth.authorization(SCOPE, endpoint)) == "Bearer token-2"
    assert len(endpoint.requests) == 2


def test_a_refused_token_is_renewed_once(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)
    first = run(auth.answer(BEARER, SCOPE, None, endpoint))

    second = run(auth.answer(BEARER, SCOPE, first, endpoint))

    assert second == "Bearer token-2"


def test_concurrent_challenges_fetch_one_token(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)

    async def many():
        return await asyncio.gather(
            *(auth.answer(BEARER, SCOPE, None, endpoint) for _ in range(10))
        )

    assert set(run(many())) == {"Bearer token-1"}
    assert len(endpoint.requests) == 1


def test_the_challenge_scope_wins_over_the_default(clock, endpoint):
    auth = RegistryAuth(clock=clock)
    header = BEARER + ',scope="repository:team/app:pull,push"'

    run(auth.answer(header, SCOPE, None, endpoint))

    assert endpoint.requests[0][0].params[-1] == ("scope", "repository:team/app:pull,push")


def test_basic_challenge_answers_with_the_credentials_then_sends_them_first(clock, endpoint):
    auth = RegistryAuth("user", "secret", clock=clock)

    assert run(auth.answer('Basic realm="r"', SCOPE, None, endpoint)) == BASIC
    assert run(auth.authorization(SCOPE, endpoint)) == BASIC
    assert endpoint.requests == []


def test_basic_credentials_refused_are_not_sent_again(clock, endpoint):
    auth = RegistryAuth("user", "wrong", clock=clock)
    sent = run(auth.answer('Basic realm="r"', SCOPE, None, endpoint))

    assert run(auth.answer('Basic realm="r"', SCOPE, sent, endpoint)) is None


@pytest.mark.parametrize("header", [None, "", "Negotiate", 'Bearer service="no realm"', '"broken'])
def test_unanswerable_challenges_give_up(clock, endpoint, header):
    auth = RegistryAuth("user", "secret", clock=clock)

    assert run(auth.answer(header, SCOPE, None, endpoint)) is None


def test_basic_challenge_without_credentials_gives_up(clock, endpoint):
    assert run(RegistryAuth(clock=clock).answer('Basic realm="r"', SCOPE, None, endpoint)) is None


def test_from_basic_auth():
    class BasicAuth:
        login, password = "user", "secret"

    auth = RegistryAuth.from_basic_auth(BasicAuth())

    assert run(auth.answer('Basic realm="r"', SCOPE, None, None)) == BASIC
    assert (
        run(RegistryAuth.from_basic_auth(None).answer('Basic realm="r"', SCOPE, None, None)) is None
    )
