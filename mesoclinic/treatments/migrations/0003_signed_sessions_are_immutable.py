"""Signed sessions cannot be rewritten, whatever code path tries.

A signed session's clinical columns and its charted areas refuse UPDATE, INSERT
and DELETE in the database; only voiding (status, voided_*) remains possible.
Corrections are SessionAmendment rows.

On SQLite, a later migration that rebuilds either table (most AlterField or
constraint changes) must drop these triggers first and create them again after.
"""

from django.db import migrations

# Columns that describe what was done; voiding may still change status and voided_*.
CLINICAL = [
    "patient_id", "plan_id", "plan_version_id", "consent_id", "adhoc_reason", "site_id",
    "precheck", "weight_kg", "started_at", "ended_at", "performed_by_id", "supervised_by_id",
    "signed_by_id", "signed_at", "aftercare",
]
MESSAGE = "signed sessions are immutable: record an amendment instead"

SQLITE = [
    "CREATE TRIGGER session_signed_no_update BEFORE UPDATE ON treatments_treatmentsession "
    "FOR EACH ROW WHEN OLD.signed_at IS NOT NULL AND ("
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CLINICAL)
    + f") BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER session_signed_no_delete BEFORE DELETE ON treatments_treatmentsession "
    f"FOR EACH ROW WHEN OLD.signed_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER sessionarea_signed_no_insert BEFORE INSERT ON treatments_sessionarea "
    "FOR EACH ROW WHEN (SELECT signed_at FROM treatments_treatmentsession WHERE id = NEW.session_id) "
    f"IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER sessionarea_signed_no_update BEFORE UPDATE ON treatments_sessionarea "
    "FOR EACH ROW WHEN (SELECT signed_at FROM treatments_treatmentsession WHERE id = OLD.session_id) "
    f"IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER sessionarea_signed_no_delete BEFORE DELETE ON treatments_sessionarea "
    "FOR EACH ROW WHEN (SELECT signed_at FROM treatments_treatmentsession WHERE id = OLD.session_id) "
    f"IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "session_signed_no_update", "session_signed_no_delete", "sessionarea_signed_no_insert",
        "sessionarea_signed_no_update", "sessionarea_signed_no_delete",
    )
]

PG = (
    """
CREATE OR REPLACE FUNCTION treatments_session_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.signed_at IS NOT NULL THEN
            RAISE EXCEPTION USING MESSAGE = '"""
    + MESSAGE
    + """', ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.signed_at IS NOT NULL AND ("""
    + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CLINICAL)
    + """) THEN
        RAISE EXCEPTION USING MESSAGE = '"""
    + MESSAGE
    + """', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER treatments_session_immutable BEFORE UPDATE OR DELETE ON treatments_treatmentsession
    FOR EACH ROW EXECUTE FUNCTION treatments_session_immutable();

CREATE OR REPLACE FUNCTION treatments_sessionarea_immutable() RETURNS trigger AS $$
DECLARE
    sid bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN sid := NEW.session_id; ELSE sid := OLD.session_id; END IF;
    IF (SELECT signed_at FROM treatments_treatmentsession WHERE id = sid) IS NOT NULL THEN
        RAISE EXCEPTION USING MESSAGE = '"""
    + MESSAGE
    + """', ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER treatments_sessionarea_immutable BEFORE INSERT OR UPDATE OR DELETE
    ON treatments_sessionarea FOR EACH ROW EXECUTE FUNCTION treatments_sessionarea_immutable();
"""
)
PG_DOWN = """
DROP TRIGGER IF EXISTS treatments_session_immutable ON treatments_treatmentsession;
DROP FUNCTION IF EXISTS treatments_session_immutable();
DROP TRIGGER IF EXISTS treatments_sessionarea_immutable ON treatments_sessionarea;
DROP FUNCTION IF EXISTS treatments_sessionarea_immutable();
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG)
    elif vendor == "sqlite":
        for sql in SQLITE:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no triggers written for {vendor}")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOWN)
    elif vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no triggers written for {vendor}")


class Migration(migrations.Migration):
    dependencies = [("treatments", "0002_signed_session_constraint")]
    operations = [migrations.RunPython(forwards, backwards)]
