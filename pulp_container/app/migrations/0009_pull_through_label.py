"""Pull-through distributions made before the label existed get it: clients written for
pulp_container 2.30 read their path prefix from ``pulp_container.pull_through``."""

from django.db import migrations

LABEL = "pulp_container.pull_through"


def _label_existing(apps, schema_editor):
    distributions = apps.get_model("container", "ContainerPullThroughDistribution")
    for distribution in distributions.objects.only("pk", "pulp_labels", "name_prefix"):
        if (distribution.pulp_labels or {}).get(LABEL) != distribution.name_prefix:
            labels = {**(distribution.pulp_labels or {}), LABEL: distribution.name_prefix}
            distributions.objects.filter(pk=distribution.pk).update(pulp_labels=labels)


class Migration(migrations.Migration):
    dependencies = [("container", "0008_registry_login_failures")]

    operations = [
        migrations.RunPython(_label_existing, migrations.RunPython.noop, elidable=True),
    ]
