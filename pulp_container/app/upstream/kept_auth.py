"""Upstream tokens kept per remote in a content app process, while the remote is unchanged.

The content app reads a fresh remote object for every blob it fetches on demand, and pulpcore
closes that object's HTTP session once the blob is streamed. A fresh object also came with a
fresh ``RegistryAuth`` (``credentials.py``), so from an upstream with token authentication
every blob cost a 401 and a token request before the blob itself. The RegistryAuth is kept
here instead and handed to each new object of the same remote, until the remote is edited (its
``pulp_last_updated`` moves) and a new one takes over.
"""


class KeptRegistryAuth:
    """The RegistryAuth of each remote, by primary key. Use it from one thread (the content
    app's ORM thread) and one event loop (its tokens' locks belong to the loop)."""

    def __init__(self):
        self._kept = {}

    def detail_with_kept_auth(self, remote):
        """`remote` (just read, a master or detail instance) as its detail type, using the
        RegistryAuth kept for it. Blocking: casting a master instance reads the detail row."""
        detail = remote.cast()
        known = self._kept.get(detail.pk)
        if known is None or known[0] != detail.pulp_last_updated:
            known = self._kept[detail.pk] = (detail.pulp_last_updated, detail.registry_auth)
        detail.registry_auth = known[1]
        return detail
