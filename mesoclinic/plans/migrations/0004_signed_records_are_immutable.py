"""Approved plan versions and signed consents cannot be rewritten, whatever code path tries.

- A plan version refuses every UPDATE and DELETE: changing a plan makes a new version.
- A consent refuses DELETE, and UPDATE of what was signed (text, hash, signature,
  patient, plan, version, template, who and when). The countersignature and the void
  (a withdrawal or a consent signed in error) may each be set once, from empty; the
  changed_at/changed_by stamp goes with them.

On SQLite, a later migration that rebuilds either table (most AlterField or constraint
changes) must drop these triggers first and create them again after, as treatments
0011 does. A database other than SQLite or PostgreSQL is refused rather than left
unguarded.
"""

from django.db import migrations

VERSION_IMMUTABLE = "approved plan versions are immutable: approve a new version instead"
CONSENT_IMMUTABLE = "signed consents are immutable: void it and sign a new one instead"
SIGNED = [
    "organization_id", "public_id", "plan_id", "plan_version_id", "patient_id", "template_id",
    "text", "text_hash", "patient_typed_name", "patient_signature", "patient_signed_at",
    "created_at", "created_by_id",
]
COUNTERSIGNATURE = ["countersigned_by_id", "countersigned_at"]
VOID = ["voided_at", "voided_by_id", "void_reason"]


def _changed(columns, differs):
    return "(" + " OR ".join(differs.format(c=c) for c in columns) + ")"


def _consent_refused(differs):
    """Any signed column changed, or a countersignature or void changed once set."""
    return (
        f"{_changed(SIGNED, differs)}"
        f" OR (OLD.countersigned_at IS NOT NULL AND {_changed(COUNTERSIGNATURE, differs)})"
        f" OR (OLD.voided_at IS NOT NULL AND {_changed(VOID, differs)})"
    )


SQLITE_DIFFERS = "NEW.{c} IS NOT OLD.{c}"
SQLITE = [
    "CREATE TRIGGER planversion_no_update BEFORE UPDATE ON plans_planversion "
    f"BEGIN SELECT RAISE(ABORT, '{VERSION_IMMUTABLE}'); END;",
    "CREATE TRIGGER planversion_no_delete BEFORE DELETE ON plans_planversion "
    f"BEGIN SELECT RAISE(ABORT, '{VERSION_IMMUTABLE}'); END;",
    "CREATE TRIGGER consent_signed_no_update BEFORE UPDATE ON plans_consent FOR EACH ROW "
    f"WHEN {_consent_refused(SQLITE_DIFFERS)} "
    f"BEGIN SELECT RAISE(ABORT, '{CONSENT_IMMUTABLE}'); END;",
    "CREATE TRIGGER consent_signed_no_delete BEFORE DELETE ON plans_consent "
    f"BEGIN SELECT RAISE(ABORT, '{CONSENT_IMMUTABLE}'); END;",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "planversion_no_update", "planversion_no_delete",
        "consent_signed_no_update", "consent_signed_no_delete",
    )
]

# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG = f"""
CREATE OR REPLACE FUNCTION plans_planversion_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{VERSION_IMMUTABLE}', ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER plans_planversion_immutable BEFORE UPDATE OR DELETE ON plans_planversion
    FOR EACH ROW EXECUTE FUNCTION plans_planversion_immutable();

CREATE OR REPLACE FUNCTION plans_consent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {_consent_refused("NEW.{c} IS DISTINCT FROM OLD.{c}")} THEN
        RAISE EXCEPTION USING MESSAGE = '{CONSENT_IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER plans_consent_immutable BEFORE UPDATE OR DELETE ON plans_consent
    FOR EACH ROW EXECUTE FUNCTION plans_consent_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS plans_planversion_immutable ON plans_planversion;
DROP FUNCTION IF EXISTS plans_planversion_immutable();
DROP TRIGGER IF EXISTS plans_consent_immutable ON plans_consent;
DROP FUNCTION IF EXISTS plans_consent_immutable();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no immutability triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("plans", "0003_clinical_record_fields")]
    operations = [migrations.RunPython(forwards, backwards)]
