"""Django system checks of the plugin: run by `migrate` (and so by `make run`) and `check`."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from pulp_container.app.auth.keys import token_auth_enabled, token_config


@register()
def token_keys(app_configs, **kwargs):
    """With token authentication on, the signing key pair must be there and usable."""
    if not token_auth_enabled():
        return []
    try:
        token_config()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="make run writes a key pair on the first start of a data directory; "
                "restore the file, or name another pair in settings.py.",
                id="container.E001",
            )
        ]
    return []
