"""Access conditions of this plugin's policies, registered in ``settings.py``.

Named like pulpcore's own (``pulpcore.app.global_access_conditions``), with the same signature.
"""


def has_namespace_obj_perms(request, view, action, permission):
    """Whether the user holds `permission` on the namespace of the object the action is on.

    Roles on a namespace give, through its ``namespace_*`` permissions, what the same roles give
    on each distribution in it (see ``namespaces.py``).
    """
    namespace = view.get_object().namespace
    return namespace is not None and request.user.has_perm(permission, namespace)
