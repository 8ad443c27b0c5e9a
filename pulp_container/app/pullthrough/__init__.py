"""Pull-through caching: serve ``<base_path>/<name>`` from a remote registry, keeping a copy.

``resolver`` maps a requested name to its pull-through distribution and creates the per-name
repository, remote and distribution; ``store`` is the PullThroughStore the registry handlers
read from (cached copy first, then upstream); ``upstream`` talks to the remote registry;
``failures`` turns what went wrong upstream into registry errors; ``index`` and ``ingest`` read
and write the cache in the database; ``lease`` and ``flights`` make concurrent requests for the
same thing share one upstream fetch; ``blob_fetch`` streams a blob to many clients while it
is fetched once.

``store``, ``failures``, ``freshness`` and ``flights`` import nothing from Django, so they are
unit-tested with fakes.
"""
