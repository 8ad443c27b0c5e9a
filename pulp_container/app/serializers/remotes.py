"""REST serializers of container remotes and pull-through remotes."""

from gettext import gettext as _
from typing import TypedDict
from urllib.parse import urlparse

from pulpcore.plugin.models import Remote
from pulpcore.plugin.serializers import RemoteSerializer
from rest_framework import serializers

from .. import models
from ..oci import reference
from .limits import LimitsMixin
from .unsupported import SIGSTORE, NeutralFieldsMixin, NeutralString

# The older names of the tag filters, accepted on writes and never shown.
TAG_FILTER_ALIASES = {"include_tags": "includes", "exclude_tags": "excludes"}


class HiddenField(TypedDict):
    name: str
    is_set: bool


def validate_registry_url(url):
    """A remote's url must be a registry's address: http(s)://host[:port][/prefix]."""
    try:
        parsed = urlparse(url)
    except ValueError as error:
        raise serializers.ValidationError(_("'{}' is not a URL: {}.").format(url, error))
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise serializers.ValidationError(
            _("Enter the registry's address as http(s)://host[:port], got '{}'.").format(url)
        )
    try:
        parsed.port  # noqa: B018 -- reading it raises ValueError for a bad port
    except ValueError:
        raise serializers.ValidationError(_("'{}' has an invalid port.").format(url))
    return url


def _checked_by(check):
    """A DRF validator of one tag filter value: `check` is an ``oci.reference`` validator."""

    def validate(value):
        try:
            check(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error))

    return validate


INCLUDE_VALUE = _checked_by(reference.validate_include_filter)
EXCLUDE_VALUE = _checked_by(reference.validate_exclude_filter)


class ContainerRemoteSerializer(LimitsMixin, NeutralFieldsMixin, RemoteSerializer):
    """An upstream registry and the repository on it that a sync reads."""

    upstream_name = serializers.CharField(
        help_text=_("Name of the repository on the upstream registry, e.g. 'library/busybox'.")
    )
    includes = serializers.ListField(
        child=serializers.CharField(max_length=255, validators=[INCLUDE_VALUE]),
        allow_null=True,
        required=False,
        source="include_tags",
        help_text=_(
            "Tags to sync, as shell-style wildcards ('v1.*'), and manifests to sync untagged, "
            "as digests ('sha256:<hex>'). Null or empty: all tags."
        ),
    )
    excludes = serializers.ListField(
        child=serializers.CharField(max_length=255, validators=[EXCLUDE_VALUE]),
        allow_null=True,
        required=False,
        source="exclude_tags",
        help_text=_("Tags to leave out; shell-style wildcards ('*-rc')."),
    )
    include_tags = serializers.ListField(
        child=serializers.CharField(max_length=255, validators=[INCLUDE_VALUE]),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("Older name of includes, accepted on writes."),
    )
    exclude_tags = serializers.ListField(
        child=serializers.CharField(max_length=255, validators=[EXCLUDE_VALUE]),
        allow_null=True,
        required=False,
        write_only=True,
        help_text=_("Older name of excludes, accepted on writes."),
    )
    sigstore = NeutralString(
        feature=SIGSTORE,
        help_text=_("A sigstore to verify signatures against: not supported yet; empty only."),
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
            "sigstore",
        )
        model = models.ContainerRemote

    def get_hidden_fields(self, obj) -> list[HiddenField]:
        """Secrets only: the older names of the tag filters are not hidden values."""
        return [f for f in super().get_hidden_fields(obj) if f["name"] not in TAG_FILTER_ALIASES]

    def to_internal_value(self, data):
        """Refuse a tag filter given under both its names; the older name then counts as the
        newer (both write the same column)."""
        values = super().to_internal_value(data)
        for alias, name in TAG_FILTER_ALIASES.items():
            if alias in data and name in data:
                raise serializers.ValidationError(
                    {name: _("Give either '{}' or '{}', not both.").format(name, alias)}
                )
        return values

    def validate_url(self, url):
        return super().validate_url(validate_registry_url(url))

    def validate_upstream_name(self, name):
        try:
            return reference.validate_name(name)
        except ValueError as error:
            raise serializers.ValidationError(str(error))


def _name_patterns(help_text):
    return serializers.ListField(
        child=serializers.CharField(max_length=255, allow_blank=False),
        allow_null=True,
        required=False,
        help_text=help_text,
    )


class ContainerPullThroughRemoteSerializer(LimitsMixin, RemoteSerializer):
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
        return super().validate_url(validate_registry_url(url))
