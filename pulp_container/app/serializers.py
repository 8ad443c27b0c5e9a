"""REST serializers for the container plugin's repositories, remotes, distributions and content."""

from gettext import gettext as _
from urllib.parse import urlparse

from django.conf import settings
from django.db.models import Q
from rest_framework import serializers

from pulpcore.plugin.models import Remote
from pulpcore.plugin.util import get_domain
from pulpcore.plugin.serializers import (
    DetailRelatedField,
    DistributionSerializer,
    NoArtifactContentSerializer,
    RemoteSerializer,
    RepositorySerializer,
    RepositorySyncURLSerializer,
    SingleArtifactContentSerializer,
)

from . import models
from .oci import reference
from .pullthrough import names

TAG_FILTER_ALIASES = {"includes": "include_tags", "excludes": "exclude_tags"}


def registry_host() -> str:
    """The host:port of the registry: the content app's origin, as settings name it."""
    return urlparse(settings.CONTENT_ORIGIN).netloc


def validate_registry_url(url):
    """A remote's url must be a registry's address: http(s)://host[:port][/prefix]."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise serializers.ValidationError(
            _("Enter the registry's address as http(s)://host[:port], got '{}'.").format(url)
        )
    try:
        parsed.port
    except ValueError:
        raise serializers.ValidationError(_("'{}' has an invalid port.").format(url))
    return url


class BlobSerializer(SingleArtifactContentSerializer):
    """A blob: a config or a layer, addressed by its digest."""

    digest = serializers.CharField(read_only=True, help_text=_("sha256 digest of the blob."))

    class Meta:
        fields = SingleArtifactContentSerializer.Meta.fields + ("digest",)
        model = models.Blob


class ManifestSerializer(NoArtifactContentSerializer):
    """An image manifest, OCI index or Docker manifest list."""

    digest = serializers.CharField(read_only=True, help_text=_("sha256 digest of the manifest."))
    media_type = serializers.CharField(read_only=True)
    schema_version = serializers.IntegerField(read_only=True)
    config_blob = DetailRelatedField(
        view_name_pattern=r"contents(-.*/.*)-detail", read_only=True, allow_null=True
    )
    blobs = DetailRelatedField(
        many=True, view_name_pattern=r"contents(-.*/.*)-detail", read_only=True
    )
    listed_manifests = DetailRelatedField(
        many=True, view_name_pattern=r"contents(-.*/.*)-detail", read_only=True
    )
    platforms = serializers.SerializerMethodField(
        help_text=_("For an index or manifest list: each listed manifest's digest and platform.")
    )
    annotations = serializers.JSONField(read_only=True)
    labels = serializers.JSONField(read_only=True)
    architecture = serializers.CharField(read_only=True, allow_null=True)
    os = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        fields = NoArtifactContentSerializer.Meta.fields + (
            "digest",
            "media_type",
            "schema_version",
            "config_blob",
            "blobs",
            "listed_manifests",
            "platforms",
            "annotations",
            "labels",
            "architecture",
            "os",
        )
        model = models.Manifest

    def get_platforms(self, manifest) -> list[dict]:
        return [
            {
                "digest": link.image_manifest.digest,
                "architecture": link.architecture,
                "os": link.os,
                "os_version": link.os_version,
                "os_features": link.os_features,
                "features": link.features,
                "variant": link.variant,
            }
            for link in manifest.manifest_list_links.all()
        ]


class TagSerializer(NoArtifactContentSerializer):
    """A tag: a name pointing at one manifest."""

    name = serializers.CharField(read_only=True)
    tagged_manifest = DetailRelatedField(
        view_name_pattern=r"contents(-.*/.*)-detail", read_only=True
    )

    class Meta:
        fields = NoArtifactContentSerializer.Meta.fields + ("name", "tagged_manifest")
        model = models.Tag


class ContainerRepositorySerializer(RepositorySerializer):
    """A versioned repository of container images."""

    class Meta:
        fields = RepositorySerializer.Meta.fields
        model = models.ContainerRepository


class ContainerRemoteSerializer(RemoteSerializer):
    """An upstream registry and the repository on it that a sync reads."""

    upstream_name = serializers.CharField(
        help_text=_("Name of the repository on the upstream registry, e.g. 'library/busybox'.")
    )
    include_tags = serializers.ListField(
        child=serializers.CharField(max_length=255),
        allow_null=True,
        required=False,
        help_text=_("Tags to sync; shell-style wildcards ('v1.*'). Null or empty: all tags."),
    )
    exclude_tags = serializers.ListField(
        child=serializers.CharField(max_length=255),
        allow_null=True,
        required=False,
        help_text=_("Tags to leave out; shell-style wildcards ('*-rc')."),
    )
    includes = serializers.ListField(
        child=serializers.CharField(max_length=255),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("Newer name of include_tags, accepted on writes."),
    )
    excludes = serializers.ListField(
        child=serializers.CharField(max_length=255),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("Newer name of exclude_tags, accepted on writes."),
    )
    policy = serializers.ChoiceField(
        help_text=_(
            "immediate: download every blob on sync; on_demand: fetch a blob on its first pull "
            "and keep it; streamed: fetch a blob on every pull and never keep it."
        ),
        choices=Remote.POLICY_CHOICES,
        default=Remote.IMMEDIATE,
    )

    class Meta:
        fields = RemoteSerializer.Meta.fields + (
            "upstream_name",
            "include_tags",
            "exclude_tags",
            "includes",
            "excludes",
        )
        model = models.ContainerRemote

    def get_hidden_fields(self, obj):
        """Secrets only: the alias names of the tag filters are not hidden values."""
        return [f for f in super().get_hidden_fields(obj) if f["name"] not in TAG_FILTER_ALIASES]

    def validate(self, data):
        """Fold the newer names ``includes``/``excludes`` into the tag filters."""
        for alias, field in TAG_FILTER_ALIASES.items():
            if alias in data:
                if field in data:
                    raise serializers.ValidationError(
                        {alias: _("Give either '{}' or '{}', not both.").format(alias, field)}
                    )
                data[field] = data.pop(alias)
        return super().validate(data)

    def validate_url(self, url):
        return validate_registry_url(super().validate_url(url))

    def validate_upstream_name(self, name):
        try:
            return reference.validate_name(name)
        except ValueError as error:
            raise serializers.ValidationError(str(error))


class ContainerRepositorySyncURLSerializer(RepositorySyncURLSerializer):
    """Body of a sync request: which remote, and whether to mirror it."""

    remote = DetailRelatedField(
        required=False,
        view_name_pattern=r"remotes(-.*/.*)-detail",
        queryset=models.ContainerRemote.objects.all(),
        help_text=_("The container remote to sync from; defaults to the repository's remote."),
    )
    mirror = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "True: the new version holds exactly the upstream's tags (within the remote's "
            "filters) and what they need; content upstream no longer has is removed. "
            "False: content is only added."
        ),
    )


class ContainerDistributionSerializer(DistributionSerializer):
    """Serves a repository, or one of its versions, to registry clients at ``registry_path``."""

    registry_path = serializers.SerializerMethodField(
        help_text=_("The address registry clients pull from: <registry host:port>/<base_path>.")
    )
    repository = DetailRelatedField(
        required=False,
        help_text=_("Repository whose latest version is served."),
        view_name_pattern=r"repositories(-.*/.*)?-detail",
        queryset=models.ContainerRepository.objects.all(),
        allow_null=True,
    )
    private = serializers.BooleanField(
        default=False,
        help_text=_("Only users with pull permission on this distribution may pull from it."),
    )
    description = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text=_("Free text.")
    )

    class Meta:
        model = models.ContainerDistribution
        fields = tuple(
            f for f in DistributionSerializer.Meta.fields if f != "base_url"
        ) + ("registry_path", "private", "description")

    def get_registry_path(self, distribution) -> str:
        return f"{registry_host()}/{distribution.base_path}"

    def validate_base_path(self, path):
        try:
            reference.validate_name(path)
        except ValueError as error:
            raise serializers.ValidationError(
                _("base_path is the repository name clients pull: {}").format(error)
            )
        unchanged = self.instance is not None and path == self.instance.base_path
        if not unchanged and pull_through_overlap(path, exclude=self.instance) is not None:
            raise serializers.ValidationError(
                _("Lies under a pull-through distribution, whose names are pulled through.")
            )
        try:
            return super().validate_base_path(path)
        except serializers.ValidationError as error:
            # pulpcore nests its overlap message under the field name once more; keep the
            # usual shape {"base_path": ["..."]}.
            if isinstance(error.detail, dict) and "base_path" in error.detail:
                raise serializers.ValidationError(error.detail["base_path"])
            raise

    def validate(self, data):
        data = super().validate(data)
        version = data.get("repository_version")
        if version is not None and not isinstance(
            version.repository.cast(), models.ContainerRepository
        ):
            raise serializers.ValidationError(
                {"repository_version": _("Must be a version of a container repository.")}
            )
        return data


def _name_patterns(help_text):
    return serializers.ListField(
        child=serializers.CharField(max_length=255, allow_blank=False),
        allow_null=True,
        required=False,
        help_text=help_text,
    )


class ContainerPullThroughRemoteSerializer(RemoteSerializer):
    """An upstream registry that a pull-through distribution fetches from on demand."""

    includes = _name_patterns(
        _(
            "Upstream repository names that may be pulled through, as shell-style wildcards "
            "('library/*'). Null or empty: every name."
        )
    )
    excludes = _name_patterns(
        _("Upstream repository names that may not be pulled through; shell-style wildcards.")
    )
    policy = serializers.ChoiceField(
        help_text=_(
            "Always on_demand: a blob is fetched on its first pull and kept; manifests are "
            "kept as they are fetched."
        ),
        choices=[(Remote.ON_DEMAND, Remote.ON_DEMAND)],
        default=Remote.ON_DEMAND,
    )

    class Meta:
        fields = RemoteSerializer.Meta.fields + ("includes", "excludes")
        model = models.ContainerPullThroughRemote

    def validate_url(self, url):
        return validate_registry_url(super().validate_url(url))


def pull_through_overlap(path, nested=False, exclude=None):
    """The pull-through distribution whose names `path` would be among (its prefix is `path`
    or an ancestor of it), or with `nested` also one whose prefix lies under `path`; or None.
    """
    overlap = Q(name_prefix__in=[path, *names.ancestors(path)])
    if nested:
        overlap |= Q(name_prefix__startswith=f"{path}/")
    queryset = models.ContainerPullThroughDistribution.objects.filter(
        overlap, pulp_domain=get_domain()
    )
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.first()


class ContainerPullThroughDistributionSerializer(ContainerDistributionSerializer):
    """Serves every repository of its remote's registry at ``<registry_path>/<upstream name>``,
    fetching what is asked on the first pull and keeping it in a repository per name."""

    base_path = serializers.CharField(
        source="name_prefix",
        help_text=_(
            "Names under it are pulled through: '<base_path>/<upstream repository name>'. "
            "No other distribution may lie under it or above it."
        ),
    )
    registry_path = serializers.SerializerMethodField(
        help_text=_(
            "Where registry clients pull from: <registry host:port>/<base_path>, followed by "
            "'/<upstream repository name>'."
        )
    )
    remote = DetailRelatedField(
        help_text=_("The pull-through remote naming the upstream registry."),
        view_name_pattern=r"remotes(-.*/.*)-detail",
        queryset=models.ContainerPullThroughRemote.objects.all(),
    )
    private = serializers.BooleanField(
        default=False,
        help_text=_(
            "Only users with pull permission on this distribution may pull through it, and "
            "from the repositories it creates."
        ),
    )
    repository = None
    repository_version = None

    class Meta:
        model = models.ContainerPullThroughDistribution
        fields = tuple(
            f
            for f in DistributionSerializer.Meta.fields
            if f not in ("base_url", "repository", "repository_version", "hidden")
        ) + ("registry_path", "remote", "private", "description")

    def get_registry_path(self, distribution) -> str:
        return f"{registry_host()}/{distribution.name_prefix}"

    def validate_base_path(self, path):
        if self.instance is not None and path == self.instance.name_prefix:
            return path  # unchanged; its caches' distributions lie under it
        if self.instance is not None and self.instance.caches.exists():
            raise serializers.ValidationError(
                _(
                    "The base_path cannot change while repositories cached through this "
                    "distribution exist; delete them first."
                )
            )
        path = super().validate_base_path(path)
        if pull_through_overlap(path, nested=True, exclude=self.instance) is not None:
            raise serializers.ValidationError(_("Overlaps with an existing distribution."))
        return path

    def validate(self, data):
        data = super().validate(data)
        if "name_prefix" in data:
            data["base_path"] = data["name_prefix"] + self.Meta.model.BASE_PATH_SUFFIX
        data["hidden"] = True  # pulpcore's listing of /pulp/content/ would show the suffix
        return data
