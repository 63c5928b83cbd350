"""A questionnaire's answers are kept as the patient sent them: DELETE and any UPDATE
of what was answered are refused; the review (status, who, when, why, the chart entry)
may be set once, while the answer is pending.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_portal_questionnaire.py checks them on both databases).
"""

from django.db import migrations

# No apostrophe: the message sits inside SQL quotes.
IMMUTABLE = "a questionnaire answer is kept as sent: review it, never change it"
REPORTED = [
    "organization_id", "public_id", "questionnaire_id", "patient_id", "kind", "data",
    "position",
]  # fmt: skip
REVIEW = ["status", "reviewed_at", "reviewed_by_id", "review_reason", "entry_id"]


def _refused(differs):
    changed = " OR ".join(differs.format(c=c) for c in REPORTED)
    reviewed = " OR ".join(differs.format(c=c) for c in REVIEW)
    return f"({changed}) OR (OLD.status <> 'pending' AND ({reviewed}))"


SQLITE = [
    "CREATE TRIGGER reported_entry_no_update BEFORE UPDATE ON portal_reportedentry "
    f"""FOR EACH ROW WHEN {_refused('NEW."{c}" IS NOT OLD."{c}"')} """
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER reported_entry_no_delete BEFORE DELETE ON portal_reportedentry "
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS reported_entry_no_update;",
    "DROP TRIGGER IF EXISTS reported_entry_no_delete;",
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION portal_reportedentry_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_refused('NEW."{c}" IS DISTINCT FROM OLD."{c}"')} THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reported_entry_immutable BEFORE UPDATE OR DELETE ON portal_reportedentry
    FOR EACH ROW EXECUTE FUNCTION portal_reportedentry_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS reported_entry_immutable ON portal_reportedentry;
DROP FUNCTION IF EXISTS portal_reportedentry_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no reported entry triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_questionnaire")]
    operations = [migrations.RunPython(forwards, backwards)]
