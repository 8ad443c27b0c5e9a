import pytest

from pulp_container.app.auth.credential_cache import CredentialCache, RecentGrants


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(clock):
    return CredentialCache(ttl=30, max_entries=3, clock=clock)


def test_a_verified_key_is_remembered(cache):
    key = cache.key("alice", "secret", "pbkdf2$hash")
    cache.put(key, 7)
    assert cache.get(cache.key("alice", "secret", "pbkdf2$hash")) == 7


@pytest.mark.parametrize(
    "username, password, stored_hash",
    [
        ("alice", "wrong", "pbkdf2$hash"),  # wrong password
        ("alice", "secret", "pbkdf2$new"),  # password changed since
        ("bob", "secret", "pbkdf2$hash"),  # other user
        ("alice", "secret\0", "pbkdf2$hash"),
        ("alice\0secret", "", "pbkdf2$hash"),  # fields cannot run into each other
    ],
)
def test_anything_else_misses(cache, username, password, stored_hash):
    cache.put(cache.key("alice", "secret", "pbkdf2$hash"), 7)
    assert cache.get(cache.key(username, password, stored_hash)) is None


def test_entries_expire(cache, clock):
    key = cache.key("alice", "secret", "h")
    cache.put(key, 7)
    clock.now += 29.9
    assert cache.get(key) == 7
    clock.now += 0.2
    assert cache.get(key) is None
    assert len(cache) == 0


def test_oldest_entries_are_evicted(cache):
    keys = [cache.key(f"user{i}", "p", "h") for i in range(4)]
    for number, key in enumerate(keys):
        cache.put(key, number)
    assert cache.get(keys[0]) is None
    assert [cache.get(key) for key in keys[1:]] == [1, 2, 3]


def test_zero_ttl_disables_the_cache(clock):
    cache = CredentialCache(ttl=0, clock=clock)
    key = cache.key("alice", "secret", "h")
    cache.put(key, 7)
    assert cache.get(key) is None


def test_keys_differ_between_processes():
    assert CredentialCache().key("a", "b", "c") != CredentialCache().key("a", "b", "c")


def test_clear(cache):
    key = cache.key("alice", "secret", "h")
    cache.put(key, 7)
    cache.clear()
    assert cache.get(key) is None


def test_recent_grants_expire(clock):
    grants = RecentGrants(ttl=10, clock=clock)
    grants.add((1, "d"))
    assert (1, "d") in grants
    assert (2, "d") not in grants
    clock.now += 10
    assert (1, "d") not in grants


def test_recent_grants_are_bounded(clock):
    grants = RecentGrants(ttl=10, max_entries=2, clock=clock)
    for key in ("a", "b", "c"):
        grants.add(key)
    assert "a" not in grants
    assert "b" in grants and "c" in grants


def test_zero_ttl_keeps_no_grants(clock):
    grants = RecentGrants(ttl=0, clock=clock)
    grants.add("a")
    assert "a" not in grants
