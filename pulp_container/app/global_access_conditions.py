"""Access conditions of the container plugin, beside pulpcore's reusable ones.

Registered through ``DRF_ACCESS_POLICY["reusable_conditions"]`` in ``settings.py``; a policy
statement names them like pulpcore's (``"name:permission"``).
"""

from pulpcore.plugin.util import extract_pk

from pulpcore.plugin.models import Repository


def has_source_repo_or_version_perms(request, view, action, permission):
    """Whether the user holds `permission` on the repository a copy reads from.

    The body names it by ``source_repository`` or ``source_repository_version``; a body naming
    neither (or no repository) passes here and is refused by
    the action's validation.
    """
    href = request.data.get("source_repository") or request.data.get("source_repository_version")
    if not isinstance(href, str):
        return True
    try:
        repository = Repository.objects.get(pk=_repository_pk(href)).cast()
    except Exception:  # not a repository href: the action's validation answers 400
        return True
    return request.user.has_perm(permission) or request.user.has_perm(permission, repository)


def _repository_pk(href):
    """The repository's pk in a repository href or a repository version href."""
    parts = [part for part in href.split("/") if part]
    if "versions" in parts:
        parts = parts[: parts.index("versions")]
        href = "/" + "/".join(parts) + "/"
    return extract_pk(href)
