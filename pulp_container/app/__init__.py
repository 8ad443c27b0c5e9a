from pulpcore.plugin import PulpPluginAppConfig


class PulpContainerPluginAppConfig(PulpPluginAppConfig):
    """Entry point for the container plugin."""

    name = "pulp_container.app"
    label = "container"
    version = "3.0.0.dev0"
    python_package_name = "pulp-container"
    domain_compatible = True

    def ready(self):
        super().ready()
        from pulp_container.app import (
            checks,  # noqa: F401, PLC0415 -- registers the checks
            content_cleanup,  # noqa: F401, PLC0415 -- its receiver
        )
