"""Pull-through caching: serve ``<base_path>/<name>`` from a remote registry, keeping a copy.

``resolver`` maps a requested name to its pull-through distribution and creates the per-name
repository, remote and distribution; ``store`` is the PullThroughStore the registry handlers
read from: it composes the local store of the name's cache (``stores/local.py``), then asks
upstream, then keeps what it got; ``upstream`` talks to the remote registry; ``index`` and
``ingest`` read and write the cache in the database; ``blobs`` is the pending blob of a name,
fetched by the one upstream blob fetcher (``fetch/blobs.py``); ``serving`` wires a store for a
request. Upstream failures become registry errors in ``upstream/failures.py``; concurrent
requests share one upstream request through ``fetch/flights.py``.

A cold manifest GET, top to bottom: ``registry/manifests.py`` -> ``store.manifest_by_tag`` ->
``fetch/flights.once`` -> ``upstream`` (then ``flights.keep`` -> ``index`` -> ``ingest``); see
``docs/architecture.md``.

``store`` imports nothing from Django, so it is unit-tested with fakes.
"""
