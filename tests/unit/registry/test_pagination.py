import pytest

from pulp_container.app import errors
from pulp_container.app.registry.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PageRequest,
    link_header,
    paginate,
    parse_page_request,
)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, PageRequest(DEFAULT_PAGE_SIZE, None)),
        ({"n": ""}, PageRequest(DEFAULT_PAGE_SIZE, None)),
        ({"n": "2"}, PageRequest(2, None)),
        ({"n": "0"}, PageRequest(0, None)),
        ({"n": "3", "last": "b"}, PageRequest(3, "b")),
        ({"last": ""}, PageRequest(DEFAULT_PAGE_SIZE, None)),
        ({"n": str(MAX_PAGE_SIZE + 5)}, PageRequest(MAX_PAGE_SIZE, None)),
    ],
)
def test_parse_page_request(query, expected):
    assert parse_page_request(query) == expected


@pytest.mark.parametrize("n", ["-1", "abc", "1.5", "²", " 2", "0x10"])
def test_invalid_n_is_pagination_number_invalid(n):
    with pytest.raises(errors.RegistryError) as caught:
        parse_page_request({"n": n})
    assert caught.value.code is errors.PAGINATION_NUMBER_INVALID
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "rows, n, items, next_last",
    [
        (["a", "b", "c"], 2, ["a", "b"], "b"),
        (["a", "b"], 2, ["a", "b"], None),
        (["a"], 2, ["a"], None),
        ([], 2, [], None),
        (["a"], 0, [], None),
    ],
)
def test_paginate(rows, n, items, next_last):
    page = paginate(rows, PageRequest(n))
    assert (page.items, page.next_last) == (items, next_last)


@pytest.mark.parametrize("code", [errors.NAME_INVALID, errors.TAG_INVALID])
@pytest.mark.parametrize("last", ["a\x00b", "\x00", "a\r\nb"])
def test_a_last_with_control_characters_is_refused_with_the_given_code(last, code):
    with pytest.raises(errors.RegistryError) as caught:
        parse_page_request({"last": last}, last_invalid=code)
    assert caught.value.code is code
    assert caught.value.status == 400


def test_fetch_is_one_more_than_the_page():
    assert PageRequest(5).fetch == 6


def test_link_header_points_at_the_next_page():
    page = paginate(["a/b", "c", "d"], PageRequest(2))
    link = link_header("/v2/_catalog", PageRequest(2), page)
    assert link == '</v2/_catalog?n=2&last=c>; rel="next"'


def test_link_header_quotes_the_last_value():
    page = paginate(["team/tools", "x", "y"], PageRequest(1))
    assert link_header("/v2/_catalog", PageRequest(1), page) == (
        '</v2/_catalog?n=1&last=team%2Ftools>; rel="next"'
    )


def test_no_link_on_the_last_page():
    page = paginate(["a"], PageRequest(2))
    assert link_header("/v2/x/tags/list", PageRequest(2), page) is None
