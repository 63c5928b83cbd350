"""Appointments say which outcome follow-up (3 or 6 months) they are for, if any.

The column holds "" or a value of `FollowUp`, checked by the database, with the same
default in the database as in Django (rows written below the application get it); a
follow-up belongs to a plan and is none of its sessions; and a partial unique index
keeps one slot-holding follow-up of each kind per plan, so proposing twice makes one.

SQLite adds the column and the checks by rebuilding scheduling_appointment, which drops
the chart-version triggers 0005 put on it: they are created again after the rebuild, in
both directions. PostgreSQL alters the table in place and keeps its triggers and the
exclusion constraints of 0002.
"""

import importlib

from django.db import migrations, models

chart = importlib.import_module("mesoclinic.scheduling.migrations.0005_chart_version_triggers")
TABLE = "scheduling_appointment"


def _chart_triggers_again(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        return
    if vendor != "sqlite":
        raise NotImplementedError(f"no chart-version triggers written for {vendor}")
    for sql in chart._sqlite():
        if f" ON {TABLE} " in sql:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {sql.split(' ')[2]};")
            schema_editor.execute(sql)


FIELD = dict(
    blank=True,
    choices=[("3-months", "3-month follow-up"), ("6-months", "6-month follow-up")],
    db_default="",
    default="",
    max_length=16,
)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0006_editor_version_triggers")]

    operations = [
        # Undoing the migration rebuilds the table last: the triggers come back after it.
        migrations.RunPython(migrations.RunPython.noop, _chart_triggers_again),
        migrations.AddField(
            model_name="appointment", name="follow_up", field=models.CharField(**FIELD)
        ),
        migrations.AddField(
            model_name="historicalappointment", name="follow_up", field=models.CharField(**FIELD)
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(follow_up="") | models.Q(follow_up__in=["3-months", "6-months"]),
                name="appt_follow_up_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(follow_up="")
                | models.Q(plan__isnull=False, course_session__isnull=True),
                name="appt_follow_up_of_a_plan",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.UniqueConstraint(
                fields=("plan", "follow_up"),
                condition=~models.Q(follow_up="")
                & models.Q(status__in=("proposed", "booked", "confirmed", "completed")),
                name="appt_one_follow_up_per_plan",
            ),
        ),
        migrations.RunPython(_chart_triggers_again, migrations.RunPython.noop),
    ]
