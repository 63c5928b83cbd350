"""Public ids for the diary's configuration rows (URLs never carry integer keys)."""

import uuid

from django.db import migrations, models

MODELS = ("sitehours", "siteclosure", "workinghours", "leave")


def _fill(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("scheduling", name)
        for row in model._base_manager.filter(public_id__isnull=True):
            row.public_id = uuid.uuid4()
            row.save(update_fields=["public_id"])


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_no_double_booking")]

    operations = (
        [
            migrations.AddField(
                model_name=name, name="public_id", field=models.UUIDField(null=True, editable=False)
            )
            for name in MODELS
        ]
        + [migrations.RunPython(_fill, migrations.RunPython.noop)]
        + [
            migrations.AlterField(
                model_name=name,
                name="public_id",
                field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
            )
            for name in MODELS
        ]
    )
