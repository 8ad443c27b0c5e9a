"""URLs of one repository on an upstream registry: the only place "/v2/" is spelled."""

from dataclasses import dataclass
from urllib.parse import urlencode, urljoin, urlsplit

API_ROOT = "/v2/"


class LinkInvalid(ValueError):
    """A ``Link`` header of a paginated answer cannot be followed."""


def _base(url):
    """``scheme://host[:port][/prefix]`` without a trailing slash or a trailing ``/v2``."""
    base = url.strip().rstrip("/")
    if base.endswith(API_ROOT.rstrip("/")):
        base = base[: -len(API_ROOT.rstrip("/"))].rstrip("/")
    return base


@dataclass(frozen=True)
class RegistryURLs:
    """Builds the registry API URLs of repository `name` on the registry at `base`.

    Args:
        base: the registry address as a remote holds it: ``https://registry.example.com``; a
            trailing ``/`` or ``/v2/`` is dropped.
        name: the repository on that registry, e.g. ``library/busybox``.
    """

    base: str
    name: str

    def __post_init__(self):
        object.__setattr__(self, "base", _base(self.base))

    @classmethod
    def for_remote(cls, remote):
        """The URLs of a ContainerRemote (its ``url`` and ``upstream_name``)."""
        return cls(remote.url, remote.upstream_name)

    def version(self):
        """The API version check, ``GET /v2/``."""
        return f"{self.base}{API_ROOT}"

    def manifest(self, reference):
        """A manifest by tag or digest."""
        return f"{self.base}{API_ROOT}{self.name}/manifests/{reference}"

    def blob(self, digest):
        return f"{self.base}{API_ROOT}{self.name}/blobs/{digest}"

    def tags(self, page_size=None):
        """The first page of the tag list; `page_size` asks for at most that many tags."""
        query = f"?{urlencode({'n': page_size})}" if page_size else ""
        return f"{self.base}{API_ROOT}{self.name}/tags/list{query}"


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _link_values(header):
    """Split a ``Link`` header into (target, params) pairs (RFC 8288, without extensions)."""
    for value in header.split(","):
        target, _, params = value.strip().partition(";")
        target = target.strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        parsed = {}
        for param in params.split(";"):
            key, _, raw = param.partition("=")
            if key.strip():
                parsed[key.strip().lower()] = raw.strip().strip('"')
        yield target[1:-1], parsed


def next_page(link_header, current_url):
    """The URL of the next page named by a ``Link: <...>; rel="next"`` header, or None.

    Relative targets are resolved against `current_url`. A next page on another origin is
    refused: the request would carry this registry's credentials elsewhere.

    Raises:
        LinkInvalid: the next page is on another scheme, host or port.
    """
    if not link_header:
        return None
    for target, params in _link_values(link_header):
        if "next" in params.get("rel", "").split():
            url = urljoin(current_url, target)
            if _origin(url) != _origin(current_url):
                raise LinkInvalid(f"the next page of {current_url} is on another origin: {url}")
            return url
    return None
