"""Manifest.listed_manifests goes from a list to the manifests it lists (not the reverse).

Without ``through_fields`` Django takes the first foreign key of ManifestListManifest
(``image_manifest``) as the source. No schema change: only the field's state.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("container", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="manifest",
            name="listed_manifests",
            field=models.ManyToManyField(
                related_name="listed_in",
                through="container.ManifestListManifest",
                through_fields=("manifest_list", "image_manifest"),
                to="container.manifest",
            ),
        ),
    ]
