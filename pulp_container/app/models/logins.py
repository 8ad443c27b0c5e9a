"""Failed registry logins, counted by ``auth/throttle.py``."""

from django.db import models


class RegistryLoginFailures(models.Model):
    """Failed registry logins of one user name or client address in its current window.

    Written and read by ``auth/throttle.py``; ``key`` is ``user:<name>`` or ``address:<ip>``.
    """

    key = models.TextField(primary_key=True)
    failures = models.IntegerField()
    window_start = models.DateTimeField()
