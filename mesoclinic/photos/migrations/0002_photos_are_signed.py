"""Photos are signed records, and the chart shows them.

- A photo refuses DELETE and any UPDATE of what was recorded (who, when, which view, the
  stored images and their digest). The void may be set once, from empty; the
  changed_at / changed_by stamp goes with it.
- Any write of a photo bumps its patient's chart version (as outcomes 0002 does for
  scores), so a cached chart never misses a photo or shows a voided one.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_photos.py lists them on both databases). Column names are quoted:
`view` is an SQL keyword.
"""

from django.db import migrations

IMMUTABLE = "photos are signed records: void it with a reason instead"
RECORDED = [
    "organization_id", "public_id", "patient_id", "session_id", "assessment_id", "area",
    "view", "side", "taken_at", "taken_by_id", "device", "original_name", "screen_name",
    "thumb_name", "mime", "width", "height", "screen_width", "screen_height", "thumb_width",
    "thumb_height", "sha256", "submission_key", "created_at", "created_by_id",
]  # fmt: skip
VOID = ["voided_at", "voided_by_id", "void_reason"]
BUMP = "UPDATE patients_patient SET chart_version = chart_version + 1 WHERE id"


def _refused(differs):
    changed = " OR ".join(differs.format(c=c) for c in RECORDED)
    voided = " OR ".join(differs.format(c=c) for c in VOID)
    return f"({changed}) OR (OLD.voided_at IS NOT NULL AND ({voided}))"


SQLITE = [
    "CREATE TRIGGER photo_no_update BEFORE UPDATE ON photos_photo FOR EACH ROW "
    f"""WHEN {_refused('NEW."{c}" IS NOT OLD."{c}"')} """
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER photo_no_delete BEFORE DELETE ON photos_photo "
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER chartv_photos_photo_ins AFTER INSERT ON photos_photo "
    f"BEGIN {BUMP} = NEW.patient_id; END;",
    "CREATE TRIGGER chartv_photos_photo_upd AFTER UPDATE ON photos_photo "
    f"BEGIN {BUMP} = NEW.patient_id; END;",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "photo_no_update",
        "photo_no_delete",
        "chartv_photos_photo_ins",
        "chartv_photos_photo_upd",
    )
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION photos_photo_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_refused('NEW."{c}" IS DISTINCT FROM OLD."{c}"')} THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER photo_immutable BEFORE UPDATE OR DELETE ON photos_photo
    FOR EACH ROW EXECUTE FUNCTION photos_photo_immutable();
CREATE TRIGGER chartv_photos_photo AFTER INSERT OR UPDATE ON photos_photo
    FOR EACH ROW EXECUTE FUNCTION chartv_bump_patient();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS photo_immutable ON photos_photo;
DROP TRIGGER IF EXISTS chartv_photos_photo ON photos_photo;
DROP FUNCTION IF EXISTS photos_photo_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no photo triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("photos", "0001_initial"),
        ("scheduling", "0005_chart_version_triggers"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
