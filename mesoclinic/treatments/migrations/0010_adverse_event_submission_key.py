"""A recorded adverse event keeps the key of the form that made it: a double submit makes one.

Partial unique index (keys of older events are NULL): SQLite adds an index, no rebuild.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("treatments", "0009_one_open_session_per_patient")]

    operations = [
        migrations.AddField(
            model_name="adverseevent",
            name="submission_key",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddConstraint(
            model_name="adverseevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("submission_key__isnull", False)),
                fields=("organization", "submission_key"),
                name="ae_submitted_once",
            ),
        ),
    ]
