from base64 import b64encode

import pytest

from pulp_container.app.auth.basic import (
    Credentials,
    CredentialsInvalid,
    challenge,
    parse_basic,
    scheme_of,
)


def _basic(text):
    return "Basic " + b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "header, expected",
    [
        (_basic("alice:secret"), Credentials("alice", "secret")),
        (_basic("alice:pa:ss"), Credentials("alice", "pa:ss")),
        (_basic("alice:"), Credentials("alice", "")),
        (_basic(":"), Credentials("", "")),
        ("Basic Og==", Credentials("", "")),
        ("basic " + b64encode(b"bob:x").decode(), Credentials("bob", "x")),
        ("Basic", Credentials("", "")),
        (_basic("j\u00fcrgen:\u00fc"), Credentials("j\u00fcrgen", "\u00fc")),
    ],
)
def test_parse_basic(header, expected):
    assert parse_basic(header) == expected


@pytest.mark.parametrize("header", [None, "", "Bearer abc", "Digest x=y"])
def test_other_schemes_are_not_basic(header):
    assert parse_basic(header) is None


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!",
        "Basic " + b64encode(b"nocolon").decode(),
        "Basic " + b64encode(b"\xff\xfe:x").decode(),
        "Basic " + b64encode(b"ad\x00min:x").decode(),
        "Basic " + b64encode(b"admin:pass\x00").decode(),
    ],
)
def test_malformed_basic_is_invalid(header):
    with pytest.raises(CredentialsInvalid):
        parse_basic(header)


@pytest.mark.parametrize(
    "credentials, anonymous",
    [(Credentials("", ""), True), (Credentials("a", ""), False), (Credentials("", "p"), False)],
)
def test_only_empty_credentials_are_anonymous(credentials, anonymous):
    assert credentials.anonymous is anonymous


def test_password_is_not_in_repr():
    assert "secret" not in repr(Credentials("alice", "secret"))


def test_scheme_of():
    assert scheme_of("BASIC abc") == "basic"
    assert scheme_of(None) == ""


def test_challenge_quotes_the_realm():
    assert challenge('a "b"') == 'Basic realm="a \\"b\\""'
