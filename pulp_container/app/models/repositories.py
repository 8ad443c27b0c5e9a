"""Container repositories, and the push repositories of the REST contract."""

import time

from pulpcore.plugin.models import (
    AutoAddObjPermsMixin,
    Repository,
)
from pulpcore.plugin.repo_version_utils import remove_duplicates, validate_repo_version

from .. import served_versions
from .content import Blob, Manifest, ManifestSignature, Tag
from .remotes import ContainerRemote


class ContainerRepository(Repository, AutoAddObjPermsMixin):
    """A versioned set of tags, manifests and blobs."""

    TYPE = "container"
    CONTENT_TYPES = [Blob, Manifest, Tag, ManifestSignature]
    REMOTE_TYPES = [ContainerRemote]

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("sync_containerrepository", "Can start a sync task"),
            ("modify_containerrepository", "Can modify content of the repository"),
            ("manage_roles_containerrepository", "Can manage roles on container repositories"),
            ("repair_containerrepository", "Can repair repository versions"),
        ]

    def finalize_new_version(self, new_version):
        """Keep one tag per name (the newest wins) and refuse versions with duplicates."""
        remove_duplicates(new_version)
        validate_repo_version(new_version)

    def cleanup_old_versions(self):
        """pulpcore's ``retain_repo_versions`` cleanup, which also spares the versions a
        distribution was switched away from within the grace period: pulls begun before the
        switch still read them (``served_versions.py``). Deleting one by hand is not refused."""
        self._sparing_switched_away = True
        try:
            super().cleanup_old_versions()
        finally:
            self._sparing_switched_away = False

    def protected_versions(self):
        """The versions distributions serve; during retention cleanup, also those a
        distribution was switched away from within the grace period."""
        protected = super().protected_versions()
        if not getattr(self, "_sparing_switched_away", False):
            return protected
        recent = served_versions.switched_away_recently(self.pk, time.time())
        return protected | self.versions.filter(pk__in=recent)


class ContainerPushRepository(Repository, AutoAddObjPermsMixin):
    """A repository registry clients push to (the REST contract's ``container-push``).

    The first push to a repository name creates one (``push/target.py``); each manifest PUT
    and registry DELETE writes a version of it (``push/versions.py``).
    """

    TYPE = "container-push"
    CONTENT_TYPES = [Blob, Manifest, Tag, ManifestSignature]

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("modify_containerpushrepository", "Can modify content of the repository"),
            (
                "manage_roles_containerpushrepository",
                "Can manage roles on container push repositories",
            ),
            ("repair_containerpushrepository", "Can repair repository versions"),
        ]

    def finalize_new_version(self, new_version):
        """Keep one tag per name (the newest wins) and refuse versions with duplicates."""
        remove_duplicates(new_version)
        validate_repo_version(new_version)
