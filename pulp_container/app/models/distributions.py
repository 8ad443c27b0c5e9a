"""Distributions: a repository or version served to registry clients, and pull-through prefixes."""

import time

from django.db import models
from django_lifecycle import AFTER_UPDATE, BEFORE_SAVE, hook
from pulpcore.plugin.models import (
    AutoAddObjPermsMixin,
    Distribution,
)

from pulp_container.constants import LABEL_PULL_THROUGH

from .. import served_versions
from ..namespaces import ContainerNamespace, ensure_namespace
from ..oci.reference import namespace_of


class InNamespace:
    """Mixed into the distribution models: saving one links it to the namespace of its path.

    Creating the namespace costs the one statement of ``ensure_namespace``, made only when the
    distribution is created or its path changes.
    """

    NAMESPACE_PATH = "base_path"

    @hook(BEFORE_SAVE)
    def _link_namespace(self):
        path_field = self.NAMESPACE_PATH
        if self.namespace_id is not None and not self.has_changed(path_field):
            return
        name = namespace_of(getattr(self, path_field))
        self.namespace_id = ensure_namespace(self.pulp_domain_id, name)


def _namespace_field():
    return models.ForeignKey(
        ContainerNamespace,
        null=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s",
        help_text="The namespace of the first path component; set on save.",
    )


class ContainerDistribution(InNamespace, Distribution, AutoAddObjPermsMixin):
    """Serves a repository (its latest version) or one repository version to registry clients."""

    TYPE = "container"
    SERVE_FROM_PUBLICATION = False

    private = models.BooleanField(
        default=False, help_text="Restrict pulls to users with permission on this distribution."
    )
    description = models.TextField(null=True)
    namespace = _namespace_field()

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("pull_containerdistribution", "Can pull from a registry repo"),
            ("push_containerdistribution", "Can push to a registry repo"),
            ("manage_roles_containerdistribution", "Can manage roles on container distributions"),
        ]

    @hook(AFTER_UPDATE, when_any=["repository", "repository_version"], has_changed=True)
    def _remember_served_version(self):
        """Pulls begun before the switch finish from the version served until now."""
        before = served_versions.served_version_pk(
            self.initial_value("repository"), self.initial_value("repository_version")
        )
        now = served_versions.served_version_pk(self.repository_id, self.repository_version_id)
        if before is not None and before != now:
            served_versions.record_switch(self.pk, before, time.time())


# --- Pull-through caching ---------------------------------------------------------------------


class ContainerPullThroughDistribution(InNamespace, Distribution, AutoAddObjPermsMixin):
    """Serves ``<name_prefix>/<upstream name>`` from its remote's registry, keeping a copy.

    The first pull of a name creates a PullThroughCache: a repository, a ContainerRemote and a
    ContainerDistribution at ``<name_prefix>/<upstream name>`` (see ``pullthrough/resolver.py``).

    pulpcore refuses (with a database trigger) any distribution whose base_path lies under
    another's, so the prefix the REST API calls ``base_path`` is kept in ``name_prefix``, and
    pulpcore's ``base_path`` holds ``<name_prefix>@pull-through``: unique like the prefix,
    under no distribution the prefix may not be under, and the prefix of nothing.
    """

    TYPE = "pull-through"
    SERVE_FROM_PUBLICATION = False
    BASE_PATH_SUFFIX = "@pull-through"
    NAMESPACE_PATH = "name_prefix"

    name_prefix = models.TextField(
        db_index=True, help_text="Names under it are pulled through: <name_prefix>/<upstream name>."
    )
    private = models.BooleanField(
        default=False,
        help_text="Restrict pulls (through the cache and from it) to users with permission.",
    )
    description = models.TextField(null=True)
    namespace = _namespace_field()

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("pull_containerpullthroughdistribution", "Can pull through the cache"),
            (
                "manage_roles_containerpullthroughdistribution",
                "Can manage roles on container pull-through distributions",
            ),
        ]

    @hook(BEFORE_SAVE)
    def _label_path(self):
        """Its path prefix goes into the label that clients written for 2.30 read it from.

        Set on every save, so it follows the prefix; a value given for it is replaced.
        """
        self.pulp_labels = {**(self.pulp_labels or {}), LABEL_PULL_THROUGH: self.name_prefix}

    @property
    def cache_distributions(self):
        """The distributions its caches created (the REST field ``distributions``)."""
        return ContainerDistribution.objects.filter(pull_through_cache__distribution=self)

    @hook(AFTER_UPDATE, when="private", has_changed=True)
    def _share_private_flag(self):
        """Its caches' distributions follow its private flag (the catalog reads theirs)."""
        ContainerDistribution.objects.filter(pull_through_cache__distribution=self).update(
            private=self.private
        )

    @hook(AFTER_UPDATE, when="hidden", has_changed=True)
    def _share_hidden_flag(self):
        """Its caches' distributions follow its hidden flag (the catalog leaves hidden out)."""
        ContainerDistribution.objects.filter(pull_through_cache__distribution=self).update(
            hidden=self.hidden
        )
