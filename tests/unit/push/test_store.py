"""PushStore (``push/store.py``): reads go to the name's read store, found on the first read
and found again after a write; writes go to their blocking function with the push target.

``push/store.py`` imports pulpcore's models, which need its Django settings, which the other
unit tests must not see: the scenarios run in a fresh interpreter (no database: the read store
and the blocking writes are stand-ins recording what they were asked), and the tests read what
it reports.
"""

import pytest

from tests.unit.fresh_interpreter import run_script

SCRIPT = r"""
import asyncio
import json

import django

django.setup()

# handler first: it imports the store, which must not import it back
from pulp_container.app.push import handler, manifest_writes, store  # noqa: E402, F401
from pulp_container.app.push.target import PushTarget  # noqa: E402
from pulp_container.app.stores import local, served  # noqa: E402

TARGET = PushTarget("r1", "d1", "lib/app")
asked = []


class ReadStore:
    def __init__(self, number):
        self.number = number

    async def manifest_by_tag(self, tag):
        asked.append(["manifest_by_tag", self.number, tag])
        return f"manifest {tag}"

    async def manifest_by_digest(self, digest):
        asked.append(["manifest_by_digest", self.number, digest])
        return None

    async def blob(self, digest):
        asked.append(["blob", self.number, digest])
        return None

    async def tags(self, page_request):
        asked.append(["tags", self.number, page_request])
        return ["a", "b"]


found = []


def read_store_of(target):
    found.append(target.name)
    return ReadStore(len(found))


def delete_reference(repository_pk, name, reference):
    asked.append(["delete_reference", repository_pk, name, reference])


manifest_writes.delete_reference = delete_reference


async def scenario():
    push_store = store.PushStore(TARGET, read_store_of)
    made = len(found)
    answers = [
        await push_store.manifest_by_tag("latest"),
        await push_store.manifest_by_digest("sha256:0"),
        await push_store.blob("sha256:1"),
        await push_store.tags("page"),
    ]
    await push_store.delete_reference("latest")
    await push_store.blob("sha256:2")
    return made, answers


made, answers = asyncio.run(scenario())
results = {"found_when_made": made, "found": found, "asked": asked, "answers": answers}


def served_store(distribution):
    served.find = lambda name: (distribution, False)
    try:
        kind = type(store.served_store(TARGET))
        return "ServedStore" if kind is local.ServedStore else kind.__name__
    except Exception as exc:
        return exc.code.code


results["served_store"] = {
    "same": served_store(served.Served("d1", "lib/app", False, None, "v1", "r1")),
    "replaced": served_store(served.Served("d9", "lib/app", False, None, "v9", "r9")),
    "no_version": served_store(served.Served("d1", "lib/app", False, None, None, "r1")),
    "gone": served_store(None),
}
print("RESULT " + json.dumps(results))
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    return run_script(SCRIPT, tmp_path_factory.mktemp("push_store"))


def test_making_a_push_store_reads_nothing(outcome):
    assert outcome["found_when_made"] == 0


def test_reads_go_to_one_read_store_until_a_write(outcome):
    assert outcome["answers"] == ["manifest latest", None, None, ["a", "b"]]
    assert outcome["asked"][:4] == [
        ["manifest_by_tag", 1, "latest"],
        ["manifest_by_digest", 1, "sha256:0"],
        ["blob", 1, "sha256:1"],
        ["tags", 1, "page"],
    ]


def test_a_write_goes_to_its_function_with_the_target(outcome):
    assert outcome["asked"][4] == ["delete_reference", "r1", "lib/app", "latest"]


def test_a_read_after_a_write_finds_the_read_store_again(outcome):
    assert outcome["found"] == ["lib/app", "lib/app"]
    assert outcome["asked"][5] == ["blob", 2, "sha256:2"]


@pytest.mark.parametrize(
    "case, expected",
    [
        ("same", "ServedStore"),
        # the name's distribution was deleted and made again: not the one written to
        ("replaced", "NAME_UNKNOWN"),
        ("no_version", "NAME_UNKNOWN"),
        ("gone", "NAME_UNKNOWN"),
    ],
)
def test_the_read_store_is_what_the_targets_distribution_serves(outcome, case, expected):
    assert outcome["served_store"][case] == expected
