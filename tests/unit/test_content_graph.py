"""The closures of recursive add and remove, on a multi-arch index sharing layers with an image.

tag:multi -> index -> amd64 (config-a, layer-shared, layer-a)
                   -> arm64 (config-b, layer-b)
tag:solo  -> solo (config-s, layer-shared)
"""

import pytest

from pulp_container.app.content_graph import ContentGraph

EDGES = {
    "tag:multi": ["index"],
    "index": ["amd64", "arm64"],
    "amd64": ["config-a", "layer-shared", "layer-a"],
    "arm64": ["config-b", "layer-b"],
    "tag:solo": ["solo"],
    "solo": ["config-s", "layer-shared"],
}
MULTI = {"tag:multi", "index", "amd64", "arm64", "config-a", "config-b"}
MULTI |= {"layer-shared", "layer-a", "layer-b"}
SOLO = {"tag:solo", "solo", "config-s", "layer-shared"}
EVERYTHING = MULTI | SOLO


@pytest.fixture
def graph():
    graph = ContentGraph()
    for unit, needed in EDGES.items():
        graph.link(unit, needed)
    return graph


@pytest.mark.parametrize(
    "roots, expected",
    [
        (["tag:multi"], MULTI),
        (["index"], MULTI - {"tag:multi"}),
        (["arm64"], {"arm64", "config-b", "layer-b"}),
        (["layer-a"], {"layer-a"}),
        (["tag:multi", "tag:solo"], EVERYTHING),
        ([], set()),
    ],
)
def test_reachable_brings_everything_needed(graph, roots, expected):
    assert graph.reachable(roots) == expected


@pytest.mark.parametrize(
    "requested, expected",
    [
        # the shared layer stays for solo
        (["tag:multi"], MULTI - {"layer-shared"}),
        (["tag:solo"], {"tag:solo", "solo", "config-s"}),
        # a manifest a remaining tag points at stays, and so do its blobs
        (["index"], set()),
        (["solo"], set()),
        # a manifest the remaining index lists stays
        (["arm64"], set()),
        # a blob a remaining manifest uses stays
        (["layer-a", "config-s"], set()),
        (["tag:multi", "tag:solo"], EVERYTHING),
        (["not-present"], set()),
    ],
)
def test_removable_keeps_what_remaining_content_needs(graph, requested, expected):
    assert graph.removable(EVERYTHING, requested) == expected


def test_removable_takes_an_untagged_manifest_and_its_blobs(graph):
    present = EVERYTHING - {"tag:solo"}
    assert graph.removable(present, ["solo"]) == {"solo", "config-s"}


def test_removable_never_leaves_the_version(graph):
    present = {"tag:solo", "solo", "config-s"}  # the shared layer is not in this version
    assert graph.removable(present, ["tag:solo"]) == present
