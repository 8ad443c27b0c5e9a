"""Bodies of the content actions of container repositories: add/remove, tag/untag, copy.

Each serializer checks everything it can before a task is dispatched, so bad input answers
400 naming the field and nothing changes. The repository the action is on comes in the
context as ``repository``.
"""

from gettext import gettext as _

from drf_spectacular.utils import extend_schema_field
from pulpcore.plugin.models import Content, Repository
from pulpcore.plugin.serializers import (
    DetailRelatedField,
    RepositoryVersionRelatedField,
    ValidateFieldsMixin,
)
from pulpcore.plugin.util import extract_pk
from rest_framework import serializers

from ... import constants
from .. import models
from ..oci.reference import parse_digest, validate_tag
from ..tasks.recursive import ALL_CONTENT

CONTAINER_CONTENT_TYPES = [
    model.get_pulp_type() for model in (models.Blob, models.Manifest, models.Tag)
]
# The manifest media types a copy may be limited to (the reference's MediaTypesEnum).
COPYABLE_MEDIA_TYPES = (
    constants.MEDIA_TYPE_DOCKER_MANIFEST_V1,
    constants.MEDIA_TYPE_DOCKER_MANIFEST_V2,
    constants.MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    constants.MEDIA_TYPE_OCI_MANIFEST,
    constants.MEDIA_TYPE_OCI_INDEX,
)


def _tag_name(value):
    try:
        return validate_tag(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from None


def _digest(value):
    try:
        parse_digest(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from None
    return value


def _latest_content(repository):
    return repository.latest_version().content


def _check_manifest_in_latest(repository, digest):
    """Raise a 400 naming `digest` unless the repository's latest version has that manifest."""
    in_latest = models.Manifest.objects.filter(pk__in=_latest_content(repository), digest=digest)
    if not in_latest.exists():
        raise serializers.ValidationError(
            {
                "digest": _(
                    "The latest version of the repository has no manifest {digest}."
                ).format(digest=digest)
            }
        )


@extend_schema_field({"type": "array", "items": {}})
class StringList(serializers.ListField):
    """A list of strings, described in the schema with items of any type as the 2.30 contract
    has it (the generated clients were made from that)."""


class RecursiveManageSerializer(ValidateFieldsMixin, serializers.Serializer):
    """Content units to add to or remove from a container repository, recursively.

    The context's ``remove`` says whether ``["*"]`` (all content) is accepted.
    """

    content_units = StringList(
        child=serializers.CharField(),
        required=False,
        default=list,
        help_text=_(
            "Hrefs of tags, manifests and blobs. Adding brings what they need (a tag its "
            "manifest, an index its manifests, a manifest its config and layers); removing "
            "takes what they need along unless content staying in the repository needs it. "
            '`remove` also accepts `["*"]`: all content.'
        ),
    )
    base_version = RepositoryVersionRelatedField(
        required=False,
        help_text=_("A version of this repository to start from instead of the latest version."),
    )

    def validate_content_units(self, hrefs):
        if ALL_CONTENT in hrefs:
            if not self.context.get("remove"):
                raise serializers.ValidationError(_("'*' is accepted by remove only."))
            if len(hrefs) > 1:
                raise serializers.ValidationError(_("'*' cannot be given with other units."))
            return [ALL_CONTENT]
        pks = {}
        for href in hrefs:
            try:
                pks[str(extract_pk(href))] = href
            except Exception:  # extract_pk raises Django's Resolver404 or DRF's errors alike
                raise serializers.ValidationError(
                    _("{href} is not the href of a content unit.").format(href=href)
                ) from None
        found = Content.objects.filter(pk__in=pks, pulp_type__in=CONTAINER_CONTENT_TYPES)
        unknown = set(pks) - {str(pk) for pk in found.values_list("pk", flat=True)}
        if unknown:
            raise serializers.ValidationError(
                _("No container tag, manifest or blob has these hrefs: {hrefs}").format(
                    hrefs=", ".join(sorted(pks[pk] for pk in unknown))
                )
            )
        return list(pks)

    def validate_base_version(self, version):
        if version.repository_id != self.context["repository"].pk:
            raise serializers.ValidationError(_("The version must be of this repository."))
        return version


class _ManifestInLatestSerializer(ValidateFieldsMixin, serializers.Serializer):
    """A body naming a manifest of the repository's latest version by ``digest``."""

    digest = serializers.CharField(
        validators=[_digest],
        help_text=_("Digest of a manifest in the repository's latest version."),
    )

    def validate(self, data):
        data = super().validate(data)
        _check_manifest_in_latest(self.context["repository"], data["digest"])
        return data


class TagImageSerializer(_ManifestInLatestSerializer):
    """A tag to point at a manifest of the repository's latest version."""

    tag = serializers.CharField(
        validators=[_tag_name],
        help_text=_("The tag name; a tag of that name already in the repository moves."),
    )


class UnTagImageSerializer(ValidateFieldsMixin, serializers.Serializer):
    """A tag to take away from the repository (its manifest stays)."""

    tag = serializers.CharField(
        validators=[_tag_name], help_text=_("Name of a tag in the repository's latest version.")
    )

    def validate(self, data):
        data = super().validate(data)
        in_latest = models.Tag.objects.filter(
            pk__in=_latest_content(self.context["repository"]), name=data["tag"]
        )
        if not in_latest.exists():
            raise serializers.ValidationError(
                {
                    "tag": _("The latest version of the repository has no tag {t}.").format(
                        t=data["tag"]
                    )
                }
            )
        return data


class RemoveImageSerializer(_ManifestInLatestSerializer):
    """A manifest to remove with its tags and what nothing else needs."""


class CopySourceSerializer(ValidateFieldsMixin, serializers.Serializer):
    """Where a copy reads from: a container repository's latest version, or a given version.

    ``validated_data["source_version"]`` holds the version read.
    """

    source_repository = DetailRelatedField(
        required=False,
        view_name_pattern=r"repositories(-.*/.*)-detail",
        queryset=Repository.objects.filter(pulp_type__startswith="container."),
        help_text=_("A container repository whose latest version is copied from."),
    )
    source_repository_version = RepositoryVersionRelatedField(
        required=False,
        help_text=_("A version of a container repository to copy from."),
    )

    def validate(self, data):
        data = super().validate(data)
        repository, version = data.get("source_repository"), data.get("source_repository_version")
        if (repository is None) == (version is None):
            message = _("Give exactly one of source_repository and source_repository_version.")
            raise serializers.ValidationError(
                {"source_repository": message, "source_repository_version": message}
            )
        if version is not None and not version.repository.pulp_type.startswith("container."):
            raise serializers.ValidationError(
                {"source_repository_version": _("Not a version of a container repository.")}
            )
        data["source_version"] = version or repository.latest_version()
        return data


class TagCopySerializer(CopySourceSerializer):
    """Tags to copy, with what they need; a copied tag replaces a tag of the same name."""

    names = StringList(
        child=serializers.CharField(validators=[_tag_name]),
        required=False,
        help_text=_("Names of the tags to copy; all tags of the source when absent."),
    )

    def validate(self, data):
        data = super().validate(data)
        names = data.get("names")
        if names is not None:
            found = models.Tag.objects.filter(pk__in=data["source_version"].content, name__in=names)
            missing = set(names) - set(found.values_list("name", flat=True))
            if missing:
                raise serializers.ValidationError(
                    {
                        "names": _("The source has no tags named {names}.").format(
                            names=", ".join(sorted(missing))
                        )
                    }
                )
        return data


class ManifestCopySerializer(CopySourceSerializer):
    """Manifests to copy, with what they need (their tags stay behind)."""

    digests = StringList(
        child=serializers.CharField(validators=[_digest]),
        required=False,
        help_text=_("Digests of the manifests to copy; all of the source when absent."),
    )
    media_types = serializers.ListField(
        child=serializers.ChoiceField(choices=COPYABLE_MEDIA_TYPES),
        required=False,
        help_text=_("Copy only manifests of these media types; any when absent."),
    )

    def validate(self, data):
        data = super().validate(data)
        digests = data.get("digests")
        if digests is not None:
            found = models.Manifest.objects.filter(
                pk__in=data["source_version"].content, digest__in=digests
            )
            missing = set(digests) - set(found.values_list("digest", flat=True))
            if missing:
                raise serializers.ValidationError(
                    {
                        "digests": _("The source has no manifests {digests}.").format(
                            digests=", ".join(sorted(missing))
                        )
                    }
                )
        return data
