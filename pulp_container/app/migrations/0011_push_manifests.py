"""Joins the push branches' migrations (uploads' 0010, pushauth's 0012), which both follow
0009, so that the migration graph has one leaf. Manifest pushes need no schema of their own."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("container", "0010_push_uploads"),
        ("container", "0012_push_permissions"),
    ]

    operations = []
