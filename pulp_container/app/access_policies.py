"""Default access policies and locked roles of the container plugin's viewsets, as data.

The statements use pulpcore's reusable conditions (``pulpcore.app.global_access_conditions``);
admins pass every check. Creators of an object become its owner through the creation hook.
"""


def _perm(model: str, verb: str) -> str:
    return f"container.{verb}_{model}"


def _statement(actions: list[str], *conditions: str) -> dict:
    statement = {"action": actions, "principal": "authenticated", "effect": "allow"}
    if conditions:
        statement["condition"] = list(conditions)
    return statement


def _object_policy(model: str, create: list[str] | None, change: list[str], extra=()) -> dict:
    """CRUD statements for one model; ``create``/``change`` add parameter checks. ``create``
    None: the endpoint creates nothing."""
    own = f"has_model_or_domain_or_obj_perms:{_perm(model, 'view')}"
    creating = (
        []
        if create is None
        else [_statement(["create"], f"has_model_or_domain_perms:{_perm(model, 'add')}", *create)]
    )
    return {
        "statements": [
            _statement(["list", "retrieve", "my_permissions"]),
            *creating,
            _statement(
                ["update", "partial_update", "set_label", "unset_label"],
                f"has_model_or_domain_or_obj_perms:{_perm(model, 'change')}",
                own,
                *change,
            ),
            _statement(
                ["destroy"], f"has_model_or_domain_or_obj_perms:{_perm(model, 'delete')}", own
            ),
            _statement(
                ["list_roles", "add_role", "remove_role"],
                f"has_model_or_domain_or_obj_perms:{_perm(model, 'manage_roles')}",
            ),
            *extra,
        ],
        "creation_hooks": [
            {
                "function": "add_roles_for_object_creator",
                "parameters": {"roles": f"container.{model}_owner"},
            }
        ],
        "queryset_scoping": {"function": "scope_queryset"},
    }


def _locked_roles(model: str, owner_verbs: list[str]) -> dict:
    return {
        f"container.{model}_creator": [_perm(model, "add")],
        f"container.{model}_owner": [_perm(model, verb) for verb in owner_verbs],
        f"container.{model}_viewer": [_perm(model, "view")],
    }


REMOTE_PARAM = "has_remote_param_model_or_domain_or_obj_perms:container.view_containerremote"
REPOSITORY_PARAM = (
    "has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:container.view_containerrepository"
)

# Condition of our own (global_access_conditions.py): the user may view the copy's source.
SOURCE_REPOSITORY_PARAM = "has_source_repo_or_version_perms:container.view_containerrepository"

REPOSITORY = _object_policy(
    "containerrepository",
    create=[REMOTE_PARAM],
    change=[REMOTE_PARAM],
    extra=[
        _statement(
            ["sync"],
            "has_model_or_domain_or_obj_perms:container.sync_containerrepository",
            "has_model_or_domain_or_obj_perms:container.view_containerrepository",
            REMOTE_PARAM,
        ),
        _statement(
            ["add", "remove", "tag", "untag"],
            "has_model_or_domain_or_obj_perms:container.modify_containerrepository",
            "has_model_or_domain_or_obj_perms:container.view_containerrepository",
        ),
        _statement(
            ["copy_tags", "copy_manifests"],
            "has_model_or_domain_or_obj_perms:container.modify_containerrepository",
            "has_model_or_domain_or_obj_perms:container.view_containerrepository",
            SOURCE_REPOSITORY_PARAM,
        ),
        # Not supported yet: they answer 400 to whoever may modify the repository.
        _statement(
            ["sign", "build_image"],
            "has_model_or_domain_or_obj_perms:container.modify_containerrepository",
            "has_model_or_domain_or_obj_perms:container.view_containerrepository",
        ),
    ],
)
REPOSITORY_ROLES = _locked_roles(
    "containerrepository",
    ["view", "change", "delete", "modify", "sync", "manage_roles", "repair"],
)

REPOSITORY_VERSION = {
    "statements": [
        _statement(
            ["list", "retrieve"],
            "has_repository_model_or_domain_or_obj_perms:container.view_containerrepository",
        ),
        _statement(
            ["destroy"],
            "has_repository_model_or_domain_or_obj_perms:container.delete_containerrepository",
            "has_repository_model_or_domain_or_obj_perms:container.view_containerrepository",
        ),
        _statement(
            ["repair"],
            "has_repository_model_or_domain_or_obj_perms:container.repair_containerrepository",
            "has_repository_model_or_domain_or_obj_perms:container.view_containerrepository",
        ),
    ],
}

REMOTE = _object_policy("containerremote", create=[], change=[])
REMOTE_ROLES = _locked_roles("containerremote", ["view", "change", "delete", "manage_roles"])

# A role on a distribution's namespace acts as the same role on the distribution.
NAMESPACE_OF_DISTRIBUTION = "has_namespace_obj_perms:container.namespace_{}_containerdistribution"
DISTRIBUTION = _object_policy(
    "containerdistribution",
    create=[REPOSITORY_PARAM],
    change=[REPOSITORY_PARAM],
    extra=[
        _statement(
            ["update", "partial_update", "set_label", "unset_label"],
            NAMESPACE_OF_DISTRIBUTION.format("change"),
            REPOSITORY_PARAM,
        ),
        _statement(["destroy"], NAMESPACE_OF_DISTRIBUTION.format("delete")),
    ],
)
DISTRIBUTION_ROLES = {
    **_locked_roles(
        "containerdistribution", ["view", "change", "delete", "pull", "push", "manage_roles"]
    ),
    # Pushes to the distribution's name (registry/push); deletes through the registry stay
    # with the owner (``delete``, see ``auth/push.py``).
    "container.containerdistribution_collaborator": [
        "container.view_containerdistribution",
        "container.pull_containerdistribution",
        "container.push_containerdistribution",
    ],
    "container.containerdistribution_consumer": [
        "container.view_containerdistribution",
        "container.pull_containerdistribution",
    ],
}

CONTENT = {
    "statements": [_statement(["list", "retrieve"])],
    "queryset_scoping": {"function": "scope_queryset"},
}

PULL_THROUGH_REMOTE = _object_policy("containerpullthroughremote", create=[], change=[])
PULL_THROUGH_REMOTE_ROLES = _locked_roles(
    "containerpullthroughremote", ["view", "change", "delete", "manage_roles"]
)

PULL_THROUGH_REMOTE_PARAM = (
    "has_remote_param_model_or_domain_or_obj_perms:container.view_containerpullthroughremote"
)
PULL_THROUGH_DISTRIBUTION = _object_policy(
    "containerpullthroughdistribution",
    create=[PULL_THROUGH_REMOTE_PARAM],
    change=[PULL_THROUGH_REMOTE_PARAM],
)
PULL_THROUGH_DISTRIBUTION_ROLES = {
    **_locked_roles(
        "containerpullthroughdistribution", ["view", "change", "delete", "pull", "manage_roles"]
    ),
    "container.containerpullthroughdistribution_consumer": [
        "container.view_containerpullthroughdistribution",
        "container.pull_containerpullthroughdistribution",
    ],
}

NAMESPACE = {
    "statements": [
        _statement(["list", "retrieve", "my_permissions"]),
        _statement(["create"], "has_model_or_domain_perms:container.add_containernamespace"),
        _statement(
            ["destroy"],
            "has_model_or_domain_or_obj_perms:container.delete_containernamespace",
            "has_model_or_domain_or_obj_perms:container.view_containernamespace",
        ),
        _statement(
            ["list_roles", "add_role", "remove_role"],
            "has_model_or_domain_or_obj_perms:container.manage_roles_containernamespace",
        ),
    ],
    "creation_hooks": [
        {
            "function": "add_roles_for_object_creator",
            "parameters": {"roles": "container.containernamespace_owner"},
        }
    ],
    "queryset_scoping": {"function": "scope_queryset"},
}
# Roles on a namespace act on each distribution in it through the ``namespace_*`` permissions
# (see ``namespaces.py``).
_NAMESPACE_CONSUMER = [
    "container.view_containernamespace",
    "container.namespace_view_containerdistribution",
    "container.namespace_pull_containerdistribution",
]
_NAMESPACE_COLLABORATOR = [
    *_NAMESPACE_CONSUMER,
    "container.namespace_change_containerdistribution",
    "container.namespace_push_containerdistribution",
]
NAMESPACE_ROLES = {
    "container.containernamespace_creator": ["container.add_containernamespace"],
    "container.containernamespace_owner": [
        *_NAMESPACE_COLLABORATOR,
        "container.delete_containernamespace",
        "container.manage_roles_containernamespace",
        "container.namespace_delete_containerdistribution",
    ],
    "container.containernamespace_collaborator": _NAMESPACE_COLLABORATOR,
    "container.containernamespace_consumer": _NAMESPACE_CONSUMER,
}
# Push repositories: no create (pushes are not served yet); the actions of features not
# supported yet answer 400 to whoever may modify the repository.
_PUSH_OWN = "has_model_or_domain_or_obj_perms:container.view_containerpushrepository"
PUSH_REPOSITORY = _object_policy(
    "containerpushrepository",
    create=None,
    change=[],
    extra=[
        _statement(
            ["sign", "remove_signatures", "migrate", "tag", "untag", "remove_image"],
            "has_model_or_domain_or_obj_perms:container.modify_containerpushrepository",
            _PUSH_OWN,
        ),
    ],
)
PUSH_REPOSITORY_ROLES = _locked_roles(
    "containerpushrepository", ["view", "change", "delete", "modify", "manage_roles", "repair"]
)
PUSH_REPOSITORY_VERSION = {
    "statements": [
        _statement(
            ["list", "retrieve"],
            "has_repository_model_or_domain_or_obj_perms:container.view_containerpushrepository",
        ),
        _statement(
            ["destroy"],
            "has_repository_model_or_domain_or_obj_perms:container.delete_containerpushrepository",
            "has_repository_model_or_domain_or_obj_perms:container.view_containerpushrepository",
        ),
        _statement(
            ["repair"],
            "has_repository_model_or_domain_or_obj_perms:container.repair_containerpushrepository",
            "has_repository_model_or_domain_or_obj_perms:container.view_containerpushrepository",
        ),
    ],
}
