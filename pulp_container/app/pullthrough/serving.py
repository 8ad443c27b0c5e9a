"""The PullThroughStore of a requested name, wired to the database and the upstream.

Called once per request, from ``registry/base.py``, after the name was found under a
pull-through distribution and the caller was allowed to pull it.
"""

from django.conf import settings

from pulp_container.app import errors
from pulp_container.app.fetch import flights
from pulp_container.app.oci.reference import matches_filters
from pulp_container.app.pullthrough.blobs import PendingBlob
from pulp_container.app.pullthrough.index import CacheIndex
from pulp_container.app.pullthrough.store import PullThroughStore
from pulp_container.app.pullthrough.upstream import Upstream, load_remote

TAG_TTL_SETTING = "CONTAINER_PULL_THROUGH_TAG_TTL"
MISS_TTL_SETTING = "CONTAINER_PULL_THROUGH_MISS_TTL"


def check_name(target):
    """Refuse, without asking upstream, a name the remote's filters leave out.

    Raises:
        RegistryError: NAME_UNKNOWN.
    """
    if target.remote_pk is None:
        raise errors.RegistryError(
            errors.NAME_UNKNOWN,
            detail={"name": target.name},
            message=f"the pull-through distribution {target.base_path!r} has no remote",
        )
    if not target.upstream_name or not matches_filters(
        target.upstream_name, target.includes, target.excludes
    ):
        raise errors.RegistryError(
            errors.NAME_UNKNOWN,
            detail={"name": target.name},
            message=(
                f"{target.upstream_name!r} is not among the names {target.base_path!r} "
                "pulls through (see its remote's includes and excludes)"
            ),
        )


def store_for(target, local=None):
    """The PullThroughStore of `target` (a resolver.PullThrough), composing `local`, the Store
    of the name's cache (None while it has none). Blocking (may load the remote).

    Raises:
        RegistryError: NAME_UNKNOWN for a name the filters leave out.
    """
    check_name(target)
    remote = load_remote(target.remote_pk, target.remote_updated)
    return PullThroughStore(
        key=f"{target.pk}:{target.upstream_name}",
        local=local,
        index=CacheIndex(target),
        upstream=Upstream(remote, target.upstream_name),
        flights=flights,
        pending_blob=PendingBlob,
        tag_ttl=float(getattr(settings, TAG_TTL_SETTING, 300)),
        miss_ttl=float(getattr(settings, MISS_TTL_SETTING, 30)),
    )
