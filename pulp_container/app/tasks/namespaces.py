"""Deleting a namespace with the distributions in it."""

from logging import getLogger

from django.db import transaction

from pulp_container.app.models import (
    ContainerDistribution,
    ContainerNamespace,
    ContainerPullThroughDistribution,
)

log = getLogger(__name__)


def distributions_in(namespace):
    """The distributions (both kinds) in `namespace`, as a list."""
    return [
        *ContainerPullThroughDistribution.objects.filter(namespace=namespace),
        *ContainerDistribution.objects.filter(namespace=namespace),
    ]


def delete_namespace(namespace_pk):
    """Delete the namespace and its distributions, in one transaction; repositories stay.

    The namespace's row is locked first: a distribution being created in it meanwhile either
    committed before (and is deleted here) or waits, then creates the namespace afresh.
    """
    with transaction.atomic():
        namespace = ContainerNamespace.objects.select_for_update().filter(pk=namespace_pk).first()
        if namespace is None:
            return
        # Pull-through distributions first: a cached name's distribution is in the namespace too.
        for distribution in distributions_in(namespace):
            distribution.delete()
        namespace.delete()
    log.info("Namespace %s deleted with its distributions", namespace.name)
