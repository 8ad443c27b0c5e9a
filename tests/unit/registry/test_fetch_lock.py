from pulp_container.app.registry.fetch_lock import FetchLock

DIGEST = "sha256:" + "a" * 64


def test_one_holder_at_a_time(tmp_path):
    first, second = FetchLock(tmp_path, DIGEST), FetchLock(tmp_path, DIGEST)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_release_removes_the_lock_file(tmp_path):
    lock = FetchLock(tmp_path, DIGEST)
    assert lock.acquire()
    assert lock.path.exists()
    lock.release()
    assert not lock.path.exists()
    assert not lock.held


def test_different_digests_do_not_conflict(tmp_path):
    first, other = FetchLock(tmp_path, DIGEST), FetchLock(tmp_path, "sha256:" + "b" * 64)
    assert first.acquire() and other.acquire()
    first.release()
    other.release()


def test_a_lock_on_an_unlinked_file_is_not_held(tmp_path):
    holder, late = FetchLock(tmp_path, DIGEST), FetchLock(tmp_path, DIGEST)
    assert holder.acquire()
    holder.path.unlink()
    holder.path.write_text("")  # someone else's new lock file at the same path
    holder.release()
    assert late.acquire()  # the new file is free
    late.release()


def test_release_without_acquire_is_harmless(tmp_path):
    FetchLock(tmp_path, DIGEST).release()
