"""A patient's symptom report is kept as they sent it: DELETE and any UPDATE of what
was reported are refused; the review (who, when, outcome, note, adverse event) may be
set once, from empty.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_portal_reports.py checks them on both databases).
"""

from django.db import migrations

# No apostrophe: the message sits inside SQL quotes.
IMMUTABLE = "a patient report is kept as sent: review it, never change it"
REPORTED = [
    "organization_id", "public_id", "patient_id", "session_id", "reported_by_id",
    "reported_at", "feeling", "symptoms", "where", "severity", "started_on", "note",
    "urgency", "checkin_version", "submission_key",
]  # fmt: skip
REVIEW = ["reviewed_at", "reviewed_by_id", "review_outcome", "review_note", "adverse_event_id"]


def _refused(differs):
    changed = " OR ".join(differs.format(c=c) for c in REPORTED)
    reviewed = " OR ".join(differs.format(c=c) for c in REVIEW)
    return f"({changed}) OR (OLD.reviewed_at IS NOT NULL AND ({reviewed}))"


SQLITE = [
    "CREATE TRIGGER symptom_report_no_update BEFORE UPDATE ON portal_symptomreport "
    f"""FOR EACH ROW WHEN {_refused('NEW."{c}" IS NOT OLD."{c}"')} """
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER symptom_report_no_delete BEFORE DELETE ON portal_symptomreport "
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS symptom_report_no_update;",
    "DROP TRIGGER IF EXISTS symptom_report_no_delete;",
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION portal_symptomreport_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_refused('NEW."{c}" IS DISTINCT FROM OLD."{c}"')} THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER symptom_report_immutable BEFORE UPDATE OR DELETE ON portal_symptomreport
    FOR EACH ROW EXECUTE FUNCTION portal_symptomreport_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS symptom_report_immutable ON portal_symptomreport;
DROP FUNCTION IF EXISTS portal_symptomreport_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no symptom report triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_symptom_reports")]
    operations = [migrations.RunPython(forwards, backwards)]
