"""Landmark placements are signed records, like photos (0002).

A placement refuses DELETE and any UPDATE of what was recorded; the void may be set
once, from empty, with the changed_at / changed_by stamp. Moving a point is a new
placement that names the one it replaces.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_photos.py lists them on both databases).
"""

from django.db import migrations

IMMUTABLE = "landmark placements are signed records: place them again with a reason"
RECORDED = [
    "organization_id", "public_id", "photo_id", "points", "ruler_mm", "placed_at",
    "placed_by_id", "replaces_id", "reason", "submission_key", "created_at", "created_by_id",
]  # fmt: skip
VOID = ["voided_at", "voided_by_id", "void_reason"]


def _refused(differs):
    changed = " OR ".join(differs.format(c=c) for c in RECORDED)
    voided = " OR ".join(differs.format(c=c) for c in VOID)
    return f"({changed}) OR (OLD.voided_at IS NOT NULL AND ({voided}))"


SQLITE = [
    "CREATE TRIGGER landmarks_no_update BEFORE UPDATE ON photos_landmarks FOR EACH ROW "
    f"""WHEN {_refused('NEW."{c}" IS NOT OLD."{c}"')} """
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER landmarks_no_delete BEFORE DELETE ON photos_landmarks "
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS landmarks_no_update;",
    "DROP TRIGGER IF EXISTS landmarks_no_delete;",
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
# jsonb has equality; json (Django's JSONField on PostgreSQL is jsonb) is compared as text.
PG = f"""
CREATE OR REPLACE FUNCTION photos_landmarks_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_refused('NEW."{c}" IS DISTINCT FROM OLD."{c}"')} THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER landmarks_immutable BEFORE UPDATE OR DELETE ON photos_landmarks
    FOR EACH ROW EXECUTE FUNCTION photos_landmarks_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS landmarks_immutable ON photos_landmarks;
DROP FUNCTION IF EXISTS photos_landmarks_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no landmark triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("photos", "0003_landmarks")]
    operations = [migrations.RunPython(forwards, backwards)]
