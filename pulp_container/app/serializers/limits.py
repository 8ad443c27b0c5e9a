"""The ranges of the values pulpcore's serializers take without bounds, checked in one place.

pulpcore declares some remote and repository fields with no upper bound (or none at all), and
the database refuses what does not fit its columns, which surfaced as a 500: a 1 MiB name (too
large for its unique index), a ``retain_repo_versions`` of 2**63, a negative ``max_retries`` or
``rate_limit`` (a sync with ``rate_limit: -1`` never ends), a proxy URL that is not one, a header
value with a line break. `LimitsMixin` adds the checks, so each is a 400 naming the field.
"""

import math
import re
from gettext import gettext as _
from urllib.parse import urlparse

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from rest_framework import serializers

INT32_MAX = 2**31 - 1  # the integer columns' largest value
NAME_MAX_LENGTH = 255

# Field name -> (smallest, largest) accepted, for whichever of them a serializer has.
INTEGER_RANGES = {
    "rate_limit": (0, INT32_MAX),
    "download_concurrency": (1, INT32_MAX),
    "max_retries": (0, INT32_MAX),
    "retain_repo_versions": (1, INT32_MAX),
    "retain_checkpoints": (1, INT32_MAX),
}
TIMEOUTS = ("total_timeout", "connect_timeout", "sock_connect_timeout", "sock_read_timeout")
# An HTTP header name is a token (RFC 9110); a value may not hold control characters but tab.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _finite(value):
    if value is not None and not math.isfinite(value):
        raise serializers.ValidationError(_("Enter a finite number of seconds."))


def _header_list(headers):
    for header in headers or ():
        for name, value in header.items():
            if not _HEADER_NAME.fullmatch(name):
                raise serializers.ValidationError(
                    _("'{}' is not a valid HTTP header name.").format(name)
                )
            if not isinstance(value, str) or _HEADER_VALUE_FORBIDDEN.search(value):
                raise serializers.ValidationError(
                    _(
                        "The value of header '{}' must be text without line breaks or control "
                        "characters."
                    ).format(name)
                )


def validate_proxy_url(url):
    """A proxy's address: http(s)://host[:port], no credentials (they have fields of their
    own)."""
    if not url:
        return url
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 -- reading it raises ValueError for a bad port
    except ValueError as error:
        raise serializers.ValidationError(_("'{}' is not a URL: {}.").format(url, error))
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise serializers.ValidationError(
            _("Enter the proxy's address as http(s)://host[:port], got '{}'.").format(url)
        )
    if parsed.username or parsed.password:
        raise serializers.ValidationError(_("proxy_url must not contain credentials"))
    return url


class LimitsMixin:
    """Adds the range checks above to whichever of those fields the serializer has."""

    def get_fields(self):
        fields = super().get_fields()
        for name, (smallest, largest) in INTEGER_RANGES.items():
            field = fields.get(name)
            if field is not None and not field.read_only:
                field.validators += [MinValueValidator(smallest), MaxValueValidator(largest)]
        for name in TIMEOUTS:
            if name in fields:
                fields[name].validators.append(_finite)
        if "name" in fields and not fields["name"].read_only:
            fields["name"].validators.append(MaxLengthValidator(NAME_MAX_LENGTH))
        if "headers" in fields:
            fields["headers"].validators.append(_header_list)
        if "proxy_url" in fields:
            fields["proxy_url"].validators.append(validate_proxy_url)
        return fields
