"""The switch records a repository version keeps in its ``info``, as plain data (no Django).

``info[KEY]`` maps a distribution's pk (a string) to the epoch seconds at which it stopped
serving the version. ``served_versions.py`` reads and writes them.
"""

KEY = "container_served_by"


def with_switch(records, distribution_pk, at, keep):
    """`records` plus "`distribution_pk` stopped at `at`", without records older than `keep`
    seconds before `at`."""
    kept = {pk: stopped for pk, stopped in (records or {}).items() if stopped >= at - keep}
    kept[str(distribution_pk)] = at
    return kept


def newest_first(following_pks, switched, current_pk, limit):
    """The versions to look in after the current one, most recently served first.

    Args:
        following_pks: versions of the followed repository, newest first (the distribution
            served each while it was the latest).
        switched: (version pk, when the distribution stopped serving it) pairs.
        current_pk: the version served now (left out).
        limit: at most this many.
    """
    by_time = [pk for pk, _ in sorted(switched, key=lambda row: row[1], reverse=True)]
    ordered = dict.fromkeys(pk for pk in [*following_pks, *by_time] if pk != current_pk)
    return list(ordered)[:limit]
