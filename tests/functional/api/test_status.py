"""The plugin shows in pulpcore's status as the `container` component."""

from packaging.version import Version


def test_status_lists_container_component(api):
    status = api.ok(api.get("status/"))
    components = {c["component"]: c["version"] for c in status["versions"]}
    assert Version(components["container"]) >= Version("3.0.0.dev0")
    assert Version(components["container"]) >= Version("2.19")
    assert status["online_workers"] and status["online_content_apps"]
