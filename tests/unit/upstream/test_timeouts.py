"""The ClientTimeout of upstream requests: the remote's own values win, the defaults fill the
null ones, and nothing limits a whole answer unless the remote says so."""

from types import SimpleNamespace

import pytest

from pulp_container.app.upstream.timeouts import TimeoutDefaults, client_timeout

DEFAULTS = TimeoutDefaults(connect=10, read=30)


def remote(**fields):
    values = dict.fromkeys(
        ("connect_timeout", "sock_connect_timeout", "sock_read_timeout", "total_timeout")
    )
    values.update(fields)
    return SimpleNamespace(**values)


def test_null_fields_take_the_defaults_and_no_total():
    timeout = client_timeout(remote(), DEFAULTS)
    assert (timeout.sock_connect, timeout.sock_read) == (10, 30)
    assert timeout.total is None
    assert timeout.connect is None  # waiting for a pooled connection is not a dead upstream


@pytest.mark.parametrize(
    "fields, attribute, expected",
    [
        ({"sock_connect_timeout": 2.5}, "sock_connect", 2.5),
        ({"sock_read_timeout": 600.0}, "sock_read", 600.0),
        ({"total_timeout": 3600.0}, "total", 3600.0),
        ({"connect_timeout": 7.0}, "connect", 7.0),
    ],
)
def test_the_remotes_own_values_win(fields, attribute, expected):
    assert getattr(client_timeout(remote(**fields), DEFAULTS), attribute) == expected


def test_the_other_fields_keep_their_defaults_when_one_is_set():
    timeout = client_timeout(remote(sock_read_timeout=5.0), DEFAULTS)
    assert timeout.sock_connect == 10
    assert timeout.total is None
