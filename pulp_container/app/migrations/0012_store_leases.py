"""A lease records what its flight returned (``fetch/flights.py``), for the requests in other
processes that waited for it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("container", "0011_push_permissions")]

    operations = [
        migrations.AddField(
            model_name="pullthroughfetch",
            name="result",
            field=models.JSONField(null=True),
        ),
    ]
