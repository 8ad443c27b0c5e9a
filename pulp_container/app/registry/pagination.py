"""``n``/``last`` pagination of catalog and tag lists, and the ``Link`` header to the next page.

Pure: no Django, no aiohttp. The handlers fetch one item more than the page holds, and
``paginate`` tells from that whether a next page exists.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from pulp_container.app.errors import (
    NAME_INVALID,
    PAGINATION_NUMBER_INVALID,
    RegistryError,
)

# Without ``n`` a client gets this many entries and a Link to the rest; a larger ``n`` is
# lowered to MAX_PAGE_SIZE (the spec lets a registry return fewer than asked).
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10000


@dataclass(frozen=True)
class PageRequest:
    """What a client asked for: at most ``n`` entries sorted after ``last``."""

    n: int
    last: str | None = None

    @property
    def fetch(self):
        """How many rows to fetch: one more than the page, to know whether more follow."""
        return self.n + 1


@dataclass(frozen=True)
class Page:
    items: list
    next_last: str | None
    """The ``last`` of the next page, or None when this page is the last."""


def parse_page_request(query, last_invalid=NAME_INVALID):
    """Read ``n`` and ``last`` from a query mapping.

    Args:
        query: the request's query parameters.
        last_invalid: the error code for a ``last`` that no entry could be (NAME_INVALID for
            repository names, TAG_INVALID for tags).

    Raises:
        RegistryError: PAGINATION_NUMBER_INVALID when ``n`` is not a non-negative integer;
            `last_invalid` when ``last`` holds a character no name or tag has (control
            characters, which the database cannot even compare: NUL).
    """
    raw_n = query.get("n")
    if raw_n is None or raw_n == "":
        n = DEFAULT_PAGE_SIZE
    else:
        if not raw_n.isascii() or not raw_n.isdigit():
            raise RegistryError(
                PAGINATION_NUMBER_INVALID,
                detail={"n": raw_n},
                message=f"n must be a non-negative integer, got {raw_n!r}",
            )
        n = min(int(raw_n), MAX_PAGE_SIZE)
    last = query.get("last") or None
    if last is not None and not last.isprintable():
        raise RegistryError(
            last_invalid,
            detail={"last": last},
            message="last holds a control character, which no name or tag has",
        )
    return PageRequest(n=n, last=last)


def paginate(rows, page_request):
    """Cut fetched rows (sorted, at most ``page_request.fetch``) down to one page."""
    items = list(rows[: page_request.n])
    more = len(rows) > page_request.n and page_request.n > 0
    return Page(items=items, next_last=items[-1] if more else None)


def link_header(path, page_request, page, extra_query=None):
    """The ``Link`` header value pointing at the next page, or None on the last page.

    Args:
        path: the request path, e.g. ``/v2/_catalog``.
        page_request: the page that was answered (its ``n`` is kept).
        page: the answered page.
        extra_query: other query parameters to carry over, as a mapping.
    """
    if page.next_last is None:
        return None
    query = dict(extra_query or {})
    query.update(n=str(page_request.n), last=page.next_last)
    return f'<{path}?{urlencode(query)}>; rel="next"'
