"""Fetching from upstream once for everyone who asks, across processes and hosts.

``lease`` holds, in the database, who fetches a key right now and how it ended; ``flights`` is
the single flight built on it (one run per key, its result returned to the leader and every
follower alike); ``blobs`` is the one upstream blob fetcher (on_demand, streamed and
pull-through blobs), streaming a blob to every client while it is fetched once; ``received``
and ``streaming`` are its in-process helpers. Nothing here imports the stores, the pull-through
package or the registry: they call in, and get results back.
"""
