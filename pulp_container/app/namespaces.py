"""Container namespaces: the first path component of repository names, and who may use it.

A distribution's namespace is the first component of the name it serves (its base path; for a
pull-through distribution, its prefix). The namespace is created when the first distribution
under it is, by `ensure_namespace`, from the distributions' save hooks (``models.py``), so
every way of creating a distribution links it: the REST API, the pull-through cache, a task.

Roles on a namespace grant, through the ``namespace_*`` permissions below, what the same roles
grant on each distribution under it (``auth/permissions.py`` for pulls, ``auth/push.py`` for
pushes and deletes).

Kept apart from ``models.py``, which imports it: Django puts the model in this app all the same.
"""

from django.contrib.postgres.fields import HStoreField
from django.db import connections, models, router
from pulpcore.plugin.models import AutoAddObjPermsMixin, BaseModel
from pulpcore.plugin.util import get_domain_pk

# Permissions on a namespace that act on every distribution under it.
NAMESPACE_VIEW_DISTRIBUTIONS = "container.namespace_view_containerdistribution"
NAMESPACE_CHANGE_DISTRIBUTIONS = "container.namespace_change_containerdistribution"
NAMESPACE_DELETE_DISTRIBUTIONS = "container.namespace_delete_containerdistribution"
NAMESPACE_PULL_DISTRIBUTIONS = "container.namespace_pull_containerdistribution"
NAMESPACE_PUSH_DISTRIBUTIONS = "container.namespace_push_containerdistribution"


class ContainerNamespace(BaseModel, AutoAddObjPermsMixin):
    """The first path component shared by the names of distributions, e.g. ``team`` of
    ``team/app`` and ``team/tools/cli``."""

    name = models.TextField(db_index=True)
    pulp_labels = HStoreField(default=dict)
    pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.CASCADE)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("name", "pulp_domain")
        permissions = [
            ("manage_roles_containernamespace", "Can manage roles on container namespaces"),
            ("namespace_view_containerdistribution", "Can view the namespace's distributions"),
            (
                "namespace_change_containerdistribution",
                "Can change the namespace's distributions",
            ),
            (
                "namespace_delete_containerdistribution",
                "Can delete the namespace's distributions",
            ),
            ("namespace_pull_containerdistribution", "Can pull from the namespace's distributions"),
            ("namespace_push_containerdistribution", "Can push to the namespace's distributions"),
        ]


def ensure_namespace(domain_pk, name):
    """The primary key of the namespace `name` of the domain, creating it if need be.

    One statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), safe when several
    transactions create the same namespace at once: the unique (name, domain) index makes the
    later ones wait for the first, then return its row. The row stays locked until the calling
    transaction ends, so a namespace being deleted is not linked meanwhile.
    """
    namespace = ContainerNamespace(name=name, pulp_domain_id=domain_pk)
    using = router.db_for_write(ContainerNamespace)
    connection = connections[using]
    opts = ContainerNamespace._meta
    fields = opts.concrete_fields
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(namespace, True), connection) for f in fields]
    name_column = quote(opts.get_field("name").column)
    domain_column = quote(opts.get_field("pulp_domain").column)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({name_column}, {domain_column}) "
        f"DO UPDATE SET {name_column} = EXCLUDED.{name_column} "
        f"RETURNING {quote(opts.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]
