"""One session in progress per patient at a time.

A partial unique index on both backends: on SQLite, AddConstraint with a condition
creates an index and does not rebuild the table, so the triggers of 0003 stay.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("treatments", "0008_session_signed_index")]

    operations = [
        migrations.AddConstraint(
            model_name="treatmentsession",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "in_progress")),
                fields=("patient",),
                name="session_one_open_per_patient",
            ),
        ),
    ]
