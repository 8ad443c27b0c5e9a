"""The plugin reaches pulpcore only through its plugin API (``pulpcore.plugin.*``)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pulp_container"
# Migrations are generated: Django writes the module where it found each class.
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _pulpcore_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return [n for n in names if n == "pulpcore" or n.startswith("pulpcore.")]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_plugin_api_is_imported(path):
    outside = [n for n in _pulpcore_imports(path) if not n.startswith("pulpcore.plugin")]
    assert outside == [], f"{path.name} imports {outside}; use pulpcore.plugin.* instead"
