"""The packages of ``pulp_container/app`` import each other one way only: no cycles.

Each subpackage (``registry``, ``pullthrough``, ``auth``...) and each top-level module
(``errors``, ``targets``...) is one node; an import from one node of another is an edge. The
layering is drawn in ``pulp_container/app/targets.py``.
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "pulp_container" / "app"
ROOT = APP.parents[1]
# Modules that belong to another node than the folder they are in.
MOVED = {}


def _module_of(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _node(module):
    """The node of a dotted module under pulp_container.app, or None for anything else."""
    parts = module.split(".")
    if parts[:2] != ["pulp_container", "app"] or len(parts) < 3:
        return None
    rest = parts[2:]
    return MOVED.get(".".join(rest[:2]), rest[0])


def _exists(module):
    relative = Path(*module.split("."))
    return (ROOT / relative).with_suffix(".py").exists() or (ROOT / relative).is_dir()


def _imported(path):
    """The pulp_container.app modules `path` imports (relative imports resolved)."""
    package = _module_of(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            for alias in node.names:
                if _exists(f"{module}.{alias.name}"):
                    found.add(f"{module}.{alias.name}")
    return found


def import_graph():
    """{node: {node it imports}} over pulp_container/app (migrations left out)."""
    graph = {}
    for path in APP.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = _node(_module_of(path))
        if source is None:
            continue
        edges = graph.setdefault(source, set())
        for module in _imported(path):
            target = _node(module)
            if target is not None and target != source:
                edges.add(target)
    return graph


def cycles(graph):
    """The strongly connected components of `graph` with more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, ()):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycles_are_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_packages_of_the_app_import_each_other_one_way():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(
    "lower, upper",
    [
        ("pullthrough", "registry"),
        ("pullthrough", "auth"),
        ("auth", "registry"),
        ("targets", "registry"),
        ("targets", "auth"),
        ("fetch", "pullthrough"),
        ("fetch", "registry"),
        ("stores", "pullthrough"),
        ("stores", "registry"),
        ("fetch", "stores"),
    ],
)
def test_a_lower_layer_does_not_import_a_higher_one(lower, upper):
    assert upper not in import_graph().get(lower, set())


def test_auth_reaches_pull_through_only_through_the_name_resolver():
    assert "pullthrough" not in import_graph()["auth"]
