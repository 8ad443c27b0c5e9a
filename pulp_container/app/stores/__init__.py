"""Stores: what the registry's handlers read a repository name from.

``protocol`` defines the Store (one calling convention: coroutines) and the Blob it returns;
``local`` is the local store of a distribution's repository version; ``deferred`` the blobs of
on_demand and streamed repositories not stored yet (fetched through ``fetch/blobs.py`` when
opened); ``served`` finds what a name's distribution serves; ``stored`` holds the values a
store returns. The pull-through store (``pullthrough/store.py``) composes the local store.

A cold on_demand blob GET, top to bottom: ``registry/blobs.py`` -> ``local.ServedStore.blob``
-> ``deferred.RemoteBlob.open`` -> ``fetch/blobs.open_blob`` (see ``docs/architecture.md``).
"""
