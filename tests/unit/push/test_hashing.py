import hashlib

import pytest

from pulp_container.app.push.hashing import Digests, FinalDigests, RunningDigests, rebuild

ALGORITHMS = ("sha224", "sha256", "sha384", "sha512")


def test_digests_cover_every_algorithm_fed_in_pieces():
    digests = Digests(ALGORITHMS)
    for piece in (b"abc", b"", b"def" * 1000):
        digests.update(piece)
    data = b"abc" + b"def" * 1000
    assert digests.size == len(data)
    assert digests.hexdigests() == {a: hashlib.new(a, data).hexdigest() for a in ALGORITHMS}
    assert digests.digest("sha256") == f"sha256:{hashlib.sha256(data).hexdigest()}"
    assert digests.digest("md5") is None


def test_a_copy_goes_its_own_way():
    digests = Digests(ALGORITHMS)
    digests.update(b"head")
    copy = digests.copy()
    copy.update(b"tail")
    assert digests.digest("sha256") == f"sha256:{hashlib.sha256(b'head').hexdigest()}"
    assert copy.digest("sha256") == f"sha256:{hashlib.sha256(b'headtail').hexdigest()}"
    assert (digests.size, copy.size) == (4, 8)


def test_final_digests_answer_as_the_digests_they_were_taken_from():
    digests = Digests(ALGORITHMS)
    digests.update(b"layer bytes")
    final = FinalDigests(digests.hexdigests(), digests.size)
    assert final.hexdigests() == digests.hexdigests()
    assert final.digest("sha384") == digests.digest("sha384")
    assert final.digest("md5") is None
    assert final.size == 11


def test_rebuild_reads_only_the_bytes_that_count(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"x" * 10_000 + b"cut-off write")
    digests = rebuild(path, 10_000, ALGORITHMS)
    assert digests.size == 10_000
    assert digests.digest("sha512") == f"sha512:{hashlib.sha512(b'x' * 10_000).hexdigest()}"


def test_rebuild_of_a_short_file_fails(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(b"x" * 10)
    with pytest.raises(OSError):
        rebuild(path, 11, ALGORITHMS)


def test_running_digests_are_given_only_for_the_offset_they_cover():
    running = RunningDigests()
    digests = Digests(ALGORITHMS)
    digests.update(b"12345")
    running.keep("s", digests)
    assert running.take("s", 4) is None
    taken = running.take("s", 5)
    assert taken.digest("sha256") == digests.digest("sha256")
    taken.update(b"6")
    assert running.take("s", 5).size == 5  # the kept state did not move with the copy
    running.forget("s")
    assert running.take("s", 5) is None


def test_running_digests_keep_the_most_recent_sessions():
    running = RunningDigests(capacity=2)
    for session in ("a", "b", "c"):
        running.keep(session, Digests(ALGORITHMS))
    assert len(running) == 2
    assert running.take("a", 0) is None
    assert running.take("c", 0) is not None


def test_large_pieces_are_hashed_in_parallel_with_the_same_result():
    data = bytes(range(256)) * 4096  # 1 MiB
    digests = Digests(ALGORITHMS)
    digests.update(data)
    digests.update(data[:100])
    whole = data + data[:100]
    assert digests.hexdigests() == {a: hashlib.new(a, whole).hexdigest() for a in ALGORITHMS}
