import pytest

from pulp_container.app.auth import bearer


@pytest.mark.parametrize(
    "header, token",
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer   abc ", "abc"),
        ("Bearer", None),
        ("Bearer ", None),
        ("Basic dXNlcjpwYXNz", None),
        ("", None),
        (None, None),
    ],
)
def test_token_of(header, token):
    assert bearer.token_of(header) == token


def test_challenge_names_realm_service_and_scope():
    value = bearer.challenge(
        "http://localhost:24816/token", "localhost:24816", scope="repository:foo:pull"
    )
    assert value == (
        'Bearer realm="http://localhost:24816/token",service="localhost:24816",'
        'scope="repository:foo:pull"'
    )


@pytest.mark.parametrize("error", [bearer.INVALID_TOKEN, bearer.INSUFFICIENT_SCOPE])
def test_challenge_carries_the_error(error):
    assert bearer.challenge("r", "s", scope="x", error=error).endswith(f',error="{error}"')


def test_challenge_without_scope_and_with_quotes_escaped():
    assert bearer.challenge('r"1', "s") == 'Bearer realm="r\\"1",service="s"'
