"""Access conditions of this plugin's policies, beside pulpcore's reusable ones.

Registered through ``DRF_ACCESS_POLICY["reusable_conditions"]`` in ``settings.py``; a policy
statement names them like pulpcore's (``"name:permission"``), with the same signature.
"""

from pulpcore.plugin.models import Repository
from pulpcore.plugin.util import extract_pk


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


def has_namespace_obj_perms(request, view, action, permission):
    """Whether the user holds `permission` on the namespace of the object the action is on.

    Roles on a namespace give, through its ``namespace_*`` permissions, what the same roles give
    on each distribution in it (see ``namespaces.py``).
    """
    namespace = view.get_object().namespace
    return namespace is not None and request.user.has_perm(permission, namespace)
