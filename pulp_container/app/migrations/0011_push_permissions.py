"""Permissions to push: on a distribution, and on every distribution of a namespace."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("container", "0010_push_uploads")]

    operations = [
        migrations.AlterModelOptions(
            name="containerdistribution",
            options={
                "default_related_name": "%(app_label)s_%(model_name)s",
                "permissions": [
                    ("pull_containerdistribution", "Can pull from a registry repo"),
                    ("push_containerdistribution", "Can push to a registry repo"),
                    (
                        "manage_roles_containerdistribution",
                        "Can manage roles on container distributions",
                    ),
                ],
            },
        ),
        migrations.AlterModelOptions(
            name="containernamespace",
            options={
                "default_related_name": "%(app_label)s_%(model_name)s",
                "permissions": [
                    ("manage_roles_containernamespace", "Can manage roles on container namespaces"),
                    (
                        "namespace_view_containerdistribution",
                        "Can view the namespace's distributions",
                    ),
                    (
                        "namespace_change_containerdistribution",
                        "Can change the namespace's distributions",
                    ),
                    (
                        "namespace_delete_containerdistribution",
                        "Can delete the namespace's distributions",
                    ),
                    (
                        "namespace_pull_containerdistribution",
                        "Can pull from the namespace's distributions",
                    ),
                    (
                        "namespace_push_containerdistribution",
                        "Can push to the namespace's distributions",
                    ),
                ],
            },
        ),
    ]
