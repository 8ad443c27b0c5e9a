"""The switch records of a repository version, and the order versions are looked in."""

import pytest

from pulp_container.app.switch_records import newest_first, with_switch


def test_a_switch_is_added_to_the_records():
    assert with_switch({"a": 100.0}, "b", 150.0, keep=86400) == {"a": 100.0, "b": 150.0}


def test_a_second_switch_of_one_distribution_replaces_its_record():
    assert with_switch({"a": 100.0}, "a", 150.0, keep=86400) == {"a": 150.0}


def test_records_older_than_keep_go():
    assert with_switch({"old": 10.0, "new": 90.0}, "c", 100.0, keep=50) == {
        "new": 90.0,
        "c": 100.0,
    }


@pytest.mark.parametrize("records", [None, {}])
def test_a_version_without_records_gets_its_first(records):
    assert with_switch(records, 7, 1.0, keep=10) == {"7": 1.0}


def test_versions_of_the_followed_repository_come_first_then_switches_newest_first():
    switched = [("s1", 100.0), ("s3", 300.0), ("s2", 200.0)]
    assert newest_first(["f2", "f1"], switched, "now", limit=10) == ["f2", "f1", "s3", "s2", "s1"]


def test_the_current_version_and_repeats_are_left_out():
    switched = [("f1", 100.0), ("now", 300.0)]
    assert newest_first(["now", "f1"], switched, "now", limit=10) == ["f1"]


def test_at_most_limit_versions():
    switched = [(f"s{n}", float(n)) for n in range(20)]
    assert newest_first([], switched, "now", limit=3) == ["s19", "s18", "s17"]


def test_nothing_served_recently_means_nothing_to_look_in():
    assert newest_first([], [], "now", limit=10) == []
