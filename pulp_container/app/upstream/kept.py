"""Things a content app process keeps per remote while the remote is unchanged.

A remote object owns its downloaders' HTTP session (pulpcore's DownloaderFactory) and the
upstream's tokens (``credentials.RegistryAuth``). Reading a fresh object for every request would
cost a new connection and, from an upstream with token authentication, a 401 and a token
request before each fetch. What is kept here serves every request of the process until the
remote is edited (its ``pulp_last_updated`` moves) and a new one takes over.
"""

from pulp_container.app import process_state


class KeptPerRemote:
    """One value per remote primary key, made again when the remote's ``pulp_last_updated``
    moves. Use it from one thread (the content app's ORM thread).

    Args:
        name: its name in ``process_state``, whose reset forgets every value.
    """

    def __init__(self, name):
        self._kept = {}
        process_state.register(name, self._kept.clear)

    def get(self, pk, updated, make):
        """The value kept for remote `pk` as of `updated`, else ``make()``, kept from now on."""
        known = self._kept.get(pk)
        if known is None or known[0] != updated:
            known = self._kept[pk] = (updated, make())
        return known[1]


_registry_auths = KeptPerRemote("upstream.registry_auths")


def with_kept_auth(remote):
    """`remote` (just read, a master or detail instance) as its detail type, using the
    upstream tokens this process keeps for it.

    For blobs fetched on demand: pulpcore's content app closes the remote object's HTTP session
    once a blob is streamed, so only the tokens (``RegistryAuth``, whose locks belong to the
    process's one event loop) are kept. Blocking: casting a master instance reads the detail row.
    """
    detail = remote.cast()
    detail.registry_auth = _registry_auths.get(
        detail.pk, detail.pulp_last_updated, lambda: detail.registry_auth
    )
    return detail
