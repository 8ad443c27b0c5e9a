"""process_state: values kept until a reset, resets by name or all at once; thread_pools: each
pool starts on first use and a reset stops its threads after their jobs."""

import ast
import os
import threading
from pathlib import Path

import pytest

from pulp_container.app import process_state
from pulp_container.app.thread_pools import Pool


def test_a_kept_value_is_made_once_then_again_after_a_reset():
    made = []
    value = process_state.kept("tests.made", lambda: made.append(object()) or made[-1])
    first = value.get()
    assert value.get() is first
    process_state.reset("tests.made")
    assert value.get() is not first
    assert len(made) == 2


def test_reset_without_names_resets_everything_registered():
    calls = []
    process_state.register("tests.one", lambda: calls.append("one"))
    process_state.register("tests.two", lambda: calls.append("two"))
    process_state.reset()
    assert {"one", "two"} <= set(calls)


def test_reset_of_an_unknown_name_is_refused_and_resets_nothing():
    calls = []
    process_state.register("tests.known", lambda: calls.append("known"))
    with pytest.raises(KeyError, match="tests.unknown"):
        process_state.reset("tests.known", "tests.unknown")
    assert calls == []


def test_registering_a_name_again_replaces_its_reset():
    calls = []
    process_state.register("tests.again", lambda: calls.append("old"))
    process_state.register("tests.again", lambda: calls.append("new"))
    process_state.reset("tests.again")
    assert calls == ["new"]


def test_a_kept_value_is_made_once_by_threads_asking_at_once():
    made, start = [], threading.Barrier(8)

    def make():
        made.append(object())
        return made[-1]

    value = process_state.kept("tests.threads", make)
    seen = []

    def ask():
        start.wait()
        seen.append(value.get())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and all(got is made[0] for got in seen)


def test_a_pool_starts_on_first_use_and_a_reset_stops_it_after_its_jobs():
    pool = Pool("tests-pool", max_workers=2)
    done = []
    first = pool.executor
    assert pool.executor is first
    first.submit(done.append, 1)
    process_state.reset("threads.tests-pool")
    assert done == [1]
    assert pool.executor is not first
    assert pool.executor.submit(lambda: "again").result() == "again"


def test_a_low_priority_pool_runs_its_jobs_niced():
    pool = Pool("tests-niced", max_workers=1, low_priority=True)
    base = os.getpriority(os.PRIO_PROCESS, 0)
    niceness = pool.executor.submit(
        lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    ).result()
    pool.shutdown()
    assert niceness == min(base + 10, 19)


# Module-level containers that hold what belongs to requests in flight, not state to reset.
IN_FLIGHT = {
    ("fetch/flights.py", "_leading"),
    ("fetch/flights.py", "_running"),
    ("fetch/blobs.py", "_fetches"),
    ("fetch/blobs.py", "_progress"),
    ("fetch/streaming.py", "_later"),
    ("pullthrough/index.py", "_artifact_queries"),  # its CompiledQuery objects reset with the rest
}
PACKAGE = Path(__file__).resolve().parents[2] / "pulp_container" / "app"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _is_call_of(node, *names):
    func = getattr(node, "func", None)
    return (getattr(func, "id", None) or getattr(func, "attr", None)) in names


def _unowned_state(path):
    """Module-level caches, containers and pools of `path` that no owner registers."""
    tree = ast.parse(path.read_text(), filename=str(path))
    text = path.read_text()
    relative = str(path.relative_to(PACKAGE))
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            value, targets = node.value, [getattr(t, "id", "?") for t in node.targets]
            mutable = isinstance(value, (ast.Dict, ast.List, ast.Set)) or _is_call_of(
                value, "dict", "set", "list", "defaultdict", "OrderedDict"
            )
            pool = _is_call_of(value, "ThreadPoolExecutor", "ProcessPoolExecutor")
            if pool and relative != "thread_pools.py":
                found += [f"{name}: a pool outside thread_pools.py" for name in targets]
            elif mutable:
                found += [
                    f"{name}: a module-level container"
                    for name in targets
                    if name.startswith("_")
                    and not name.startswith("__")
                    and not name.isupper()
                    and (relative, name) not in IN_FLIGHT
                    and "register(" not in text
                ]
        elif isinstance(node, ast.FunctionDef):
            cached = any(
                getattr(d, "id", None) in ("cache", "lru_cache") or _is_call_of(d, "lru_cache")
                for d in node.decorator_list
            )
            if cached and f"{node.name}.cache_clear)" not in text:
                found.append(f"{node.name}: a cached function not registered with process_state")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_level_state_has_an_owner(path):
    assert _unowned_state(path) == [], (
        "keep per-process state with process_state.kept/register (pools in thread_pools.py)"
    )
