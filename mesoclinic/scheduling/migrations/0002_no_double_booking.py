"""No double booking, enforced by PostgreSQL itself.

Three exclusion constraints refuse two slot-holding appointments (any status but
cancelled and no-show) whose [starts_at, ends_at) ranges overlap for the same
practitioner, room or patient. btree_gist lets a GiST index compare the ids with
=. On SQLite, which has no exclusion constraints, `services.book` checks and
inserts in one IMMEDIATE transaction, which SQLite serializes across writers.
"""

from django.db import migrations

FREE = "('cancelled', 'no_show')"
COLUMNS = {"practitioner": "practitioner_id", "room": "room_id", "patient": "patient_id"}


def _on_postgresql(schema_editor) -> bool:
    """SQLite relies on the service (see above); any other database is refused."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no double-booking guard written for {vendor}")
    return vendor == "postgresql"


def _create(apps, schema_editor):
    if not _on_postgresql(schema_editor):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in COLUMNS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_no_overlap_{name} "
            f"EXCLUDE USING gist ({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
            f"WHERE (status NOT IN {FREE})"
        )


def _drop(apps, schema_editor):
    if not _on_postgresql(schema_editor):
        return
    for name in COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_no_overlap_{name}"
        )


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(_create, _drop)]
