"""oci/ is pure format logic: it imports no web framework, no ORM and nothing above it."""

import ast
from pathlib import Path

import pytest

import pulp_container.app.oci

OCI_DIR = Path(pulp_container.app.oci.__file__).parent
FORBIDDEN = ("django", "rest_framework", "aiohttp", "pulpcore", "asgiref", "requests", "httpx")
ALLOWED_OWN = ("pulp_container.constants", "pulp_container.app.oci")


def _imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("path", sorted(OCI_DIR.glob("*.py")), ids=lambda p: p.name)
def test_oci_module_imports_stay_in_their_layer(path):
    for module in _imported_modules(path):
        top = module.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {module}"
        if top == "pulp_container":
            assert module.startswith(ALLOWED_OWN), f"{path.name} imports {module}"
