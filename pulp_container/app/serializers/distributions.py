"""REST serializers of container distributions and pull-through distributions."""

from gettext import gettext as _
from urllib.parse import urlparse

from django.conf import settings
from django.db.models import Q
from pulpcore.plugin.serializers import DetailRelatedField, DistributionSerializer, RelatedField
from pulpcore.plugin.util import get_domain
from rest_framework import serializers

from .. import models
from ..oci import names, reference
from .limits import LimitsMixin
from .namespaces import NAMESPACE_VIEW_NAME


def registry_host() -> str:
    """The host:port of the registry: the content app's origin, as settings name it."""
    return urlparse(settings.CONTENT_ORIGIN).netloc


class ContainerDistributionSerializer(LimitsMixin, DistributionSerializer):
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
    namespace = RelatedField(
        read_only=True,
        view_name=NAMESPACE_VIEW_NAME,
        help_text=_("The namespace of the first component of the path; set by the server."),
    )
    remote = DetailRelatedField(
        read_only=True,
        view_name_pattern=r"remotes(-.*/.*)-detail",
        help_text=_(
            "For a distribution a pull-through cache created: the remote its repository is "
            "fetched with. Null otherwise."
        ),
    )

    class Meta:
        model = models.ContainerDistribution
        fields = tuple(f for f in DistributionSerializer.Meta.fields if f != "base_url") + (
            "registry_path",
            "remote",
            "private",
            "description",
            "namespace",
        )

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


class NullOnly(serializers.CharField):
    """An href field that has no meaning here: null reads back, null only is accepted."""

    def __init__(self, **kwargs):
        kwargs.update(required=False, allow_null=True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        raise serializers.ValidationError(_("Must be null."))

    def get_attribute(self, instance):
        return None


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
    distributions = DetailRelatedField(
        many=True,
        required=False,
        view_name_pattern=r"distributions(-.*/.*)-detail",
        queryset=models.ContainerDistribution.objects.all(),
        source="cache_distributions",
        help_text=_(
            "The distributions its caches created, one per upstream name pulled through. "
            "Read back only: what is written is ignored."
        ),
    )
    repository = NullOnly(
        help_text=_("Pull-through distributions serve no repository: null only."),
    )
    repository_version = NullOnly(
        help_text=_("Pull-through distributions serve no repository version: null only."),
    )

    class Meta:
        model = models.ContainerPullThroughDistribution
        fields = tuple(f for f in DistributionSerializer.Meta.fields if f != "base_url") + (
            "registry_path",
            "remote",
            "distributions",
            "private",
            "description",
            "namespace",
        )

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
        data.pop("cache_distributions", None)  # made by the caches, not by the client
        data = super().validate(data)
        if "name_prefix" in data:
            data["base_path"] = data["name_prefix"] + self.Meta.model.BASE_PATH_SUFFIX
        return data
