"""Assessments are signed records, and the chart shows them.

- An assessment refuses DELETE and any UPDATE of what was recorded. The void (set when
  it is amended or entered in error) may be set once, from empty; the changed_at /
  changed_by stamp goes with it.
- Any write of an assessment bumps its patient's chart version (as scheduling 0005 does
  for the rest of the chart), so a cached chart or editor never shows a stale score.

On SQLite, a later migration that rebuilds this table drops these triggers: create them
again after (tests/test_outcomes.py lists them on both databases).
"""

from django.db import migrations

IMMUTABLE = "assessments are signed records: amend it with a reason instead"
RECORDED = [
    "organization_id", "public_id", "patient_id", "plan_id", "session_id", "protocol", "area",
    "side", "instrument", "instrument_version", "timepoint", "rater", "answers", "total",
    "code", "band", "display", "taken_at", "late_reason", "amends_id", "amend_reason",
    "submission_key", "created_at", "created_by_id",
]  # fmt: skip
VOID = ["voided_at", "voided_by_id", "void_reason"]
BUMP = "UPDATE patients_patient SET chart_version = chart_version + 1 WHERE id"


def _refused(differs):
    changed = " OR ".join(differs.format(c=c) for c in RECORDED)
    voided = " OR ".join(differs.format(c=c) for c in VOID)
    return f"({changed}) OR (OLD.voided_at IS NOT NULL AND ({voided}))"


SQLITE = [
    "CREATE TRIGGER assessment_no_update BEFORE UPDATE ON outcomes_assessment FOR EACH ROW "
    f"WHEN {_refused('NEW.{c} IS NOT OLD.{c}')} BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER assessment_no_delete BEFORE DELETE ON outcomes_assessment "
    f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;",
    "CREATE TRIGGER chartv_outcomes_assessment_ins AFTER INSERT ON outcomes_assessment "
    f"BEGIN {BUMP} = NEW.patient_id; END;",
    "CREATE TRIGGER chartv_outcomes_assessment_upd AFTER UPDATE ON outcomes_assessment "
    f"BEGIN {BUMP} = NEW.patient_id; END;",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "assessment_no_update",
        "assessment_no_delete",
        "chartv_outcomes_assessment_ins",
        "chartv_outcomes_assessment_upd",
    )
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION outcomes_assessment_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_refused("NEW.{c} IS DISTINCT FROM OLD.{c}")} THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER assessment_immutable BEFORE UPDATE OR DELETE ON outcomes_assessment
    FOR EACH ROW EXECUTE FUNCTION outcomes_assessment_immutable();
CREATE TRIGGER chartv_outcomes_assessment AFTER INSERT OR UPDATE ON outcomes_assessment
    FOR EACH ROW EXECUTE FUNCTION chartv_bump_patient();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS assessment_immutable ON outcomes_assessment;
DROP TRIGGER IF EXISTS chartv_outcomes_assessment ON outcomes_assessment;
DROP FUNCTION IF EXISTS outcomes_assessment_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no assessment triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0001_initial"),
        ("scheduling", "0005_chart_version_triggers"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
