"""Photo consents are signed records, like photos (0002) and landmarks (0004).

A consent refuses DELETE and any UPDATE of what was recorded; the revocation (the void
trio) may be set once, from empty, with the changed_at / changed_by stamp. A scope given
again after a revocation is a new row.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_photos.py lists them on both databases).
"""

from django.db import migrations

IMMUTABLE = "photo consents are signed records: revoke one with a reason"
RECORDED = [
    "organization_id", "public_id", "patient_id", "scope", "how", "note", "given_at",
    "recorded_by_id", "submission_key", "created_at", "created_by_id",
]  # fmt: skip
VOID = ["voided_at", "voided_by_id", "void_reason"]


def _refused(differs):
    changed = " OR ".join(differs.format(c=c) for c in RECORDED)
    voided = " OR ".join(differs.format(c=c) for c in VOID)
    return f"({changed}) OR (OLD.voided_at IS NOT NULL AND ({voided}))"


SQLITE = [
    "CREATE TRIGGER photo_consent_no_update BEFORE UPDATE ON photos_photoconsent FOR EACH ROW "
    f"""WHEN {_refused('NEW."{c}" IS NOT OLD."{c}"')} """
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER photo_consent_no_delete BEFORE DELETE ON photos_photoconsent "
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS photo_consent_no_update;",
    "DROP TRIGGER IF EXISTS photo_consent_no_delete;",
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION photos_photoconsent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_refused('NEW."{c}" IS DISTINCT FROM OLD."{c}"')} THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER photo_consent_immutable BEFORE UPDATE OR DELETE ON photos_photoconsent
    FOR EACH ROW EXECUTE FUNCTION photos_photoconsent_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS photo_consent_immutable ON photos_photoconsent;
DROP FUNCTION IF EXISTS photos_photoconsent_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no photo consent triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("photos", "0005_photo_consent")]
    operations = [migrations.RunPython(forwards, backwards)]
