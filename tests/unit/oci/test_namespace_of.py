"""The namespace of a repository name is its first path component."""

import pytest

from pulp_container.app.oci.reference import namespace_of


@pytest.mark.parametrize(
    "name, namespace",
    [
        ("team/app", "team"),
        ("team/tools/cli", "team"),
        ("single", "single"),
        ("docker.io/library/alpine", "docker.io"),
        ("a-b_c.d/x", "a-b_c.d"),
    ],
)
def test_first_path_component(name, namespace):
    assert namespace_of(name) == namespace
