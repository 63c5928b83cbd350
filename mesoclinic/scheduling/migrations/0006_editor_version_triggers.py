"""The versions the plan editor's cache is keyed by cover everything the editor shows.

The editor (plans/views.py) shows, beside the plan, the engine's check of it against
the patient's whole charted record, the clinic's tax and currency in the quote, and the
colleagues who may confirm a second-opinion override. So, on top of migration 0005:

- a charted area (`treatments_sessionarea`) bumps the patient's version;
- any update of the organization row (its tax, currency, jurisdiction...) bumps its
  epoch, which only ever grows, like the patient's version;
- a colleague who joins, leaves, changes role or is deactivated bumps the epoch.

On SQLite, a later migration that rebuilds one of these tables drops its triggers:
create them again after (tests/test_plan_editor_cache.py lists them on both databases).
"""

from django.db import migrations

BUMP = "UPDATE patients_patient SET chart_version = chart_version + 1 WHERE id"
BUMP_ORG = "UPDATE accounts_organization SET chart_epoch = chart_epoch + 1 WHERE id"
AREA_PATIENT = "(SELECT patient_id FROM treatments_treatmentsession WHERE id = {row}.session_id)"
STAFF_COLUMNS = ["role", "is_active", "organization_id"]


def _sqlite():
    new, old = AREA_PATIENT.format(row="NEW"), AREA_PATIENT.format(row="OLD")
    sql = [
        f"CREATE TRIGGER chartv_treatments_sessionarea_ins AFTER INSERT ON treatments_sessionarea "
        f"BEGIN {BUMP} = {new}; END;",
        f"CREATE TRIGGER chartv_treatments_sessionarea_upd AFTER UPDATE ON treatments_sessionarea "
        f"BEGIN {BUMP} IN ({new}, {old}); END;",
        f"CREATE TRIGGER chartv_treatments_sessionarea_del AFTER DELETE ON treatments_sessionarea "
        f"BEGIN {BUMP} = {old}; END;",
    ]
    sql += [
        "CREATE TRIGGER chartv_accounts_organization_upd AFTER UPDATE ON accounts_organization "
        "FOR EACH ROW WHEN NEW.chart_epoch <= OLD.chart_epoch BEGIN "
        "UPDATE accounts_organization SET chart_epoch = OLD.chart_epoch + 1 WHERE id = NEW.id; "
        "END;",
        "CREATE TRIGGER chartv_accounts_user_ins AFTER INSERT ON accounts_user "
        f"BEGIN {BUMP_ORG} = NEW.organization_id; END;",
        "CREATE TRIGGER chartv_accounts_user_del AFTER DELETE ON accounts_user "
        f"BEGIN {BUMP_ORG} = OLD.organization_id; END;",
    ]
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in STAFF_COLUMNS)
    sql.append(
        f"CREATE TRIGGER chartv_accounts_user_staff AFTER UPDATE ON accounts_user "
        f"FOR EACH ROW WHEN {changed} BEGIN {BUMP_ORG} IN (NEW.organization_id, "
        "OLD.organization_id); END;"
    )
    return sql


def _sqlite_down():
    names = [f"chartv_treatments_sessionarea_{op}" for op in ("ins", "upd", "del")]
    names += ["chartv_accounts_organization_upd", "chartv_accounts_user_ins"]
    names += ["chartv_accounts_user_del", "chartv_accounts_user_staff"]
    return [f"DROP TRIGGER IF EXISTS {name};" for name in names]


# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION chartv_bump_area_patient() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {BUMP} = {AREA_PATIENT.format(row="NEW")}; END IF;
    IF TG_OP <> 'INSERT' THEN {BUMP} = {AREA_PATIENT.format(row="OLD")}; END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION chartv_org_grows() RETURNS trigger AS $$
BEGIN
    IF NEW.chart_epoch <= OLD.chart_epoch THEN
        NEW.chart_epoch := OLD.chart_epoch + 1;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION chartv_bump_staff_org() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {BUMP_ORG} = NEW.organization_id; END IF;
    IF TG_OP <> 'INSERT' THEN {BUMP_ORG} = OLD.organization_id; END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _pg():
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in STAFF_COLUMNS)
    return [
        PG_FUNCTIONS,
        "CREATE TRIGGER chartv_treatments_sessionarea AFTER INSERT OR UPDATE OR DELETE "
        "ON treatments_sessionarea FOR EACH ROW EXECUTE FUNCTION chartv_bump_area_patient();",
        "CREATE TRIGGER chartv_accounts_organization BEFORE UPDATE ON accounts_organization "
        "FOR EACH ROW EXECUTE FUNCTION chartv_org_grows();",
        "CREATE TRIGGER chartv_accounts_user_joined AFTER INSERT OR DELETE ON accounts_user "
        "FOR EACH ROW EXECUTE FUNCTION chartv_bump_staff_org();",
        f"CREATE TRIGGER chartv_accounts_user_staff AFTER UPDATE ON accounts_user "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION chartv_bump_staff_org();",
    ]


def _pg_down():
    sql = [
        "DROP TRIGGER IF EXISTS chartv_treatments_sessionarea ON treatments_sessionarea;",
        "DROP TRIGGER IF EXISTS chartv_accounts_organization ON accounts_organization;",
        "DROP TRIGGER IF EXISTS chartv_accounts_user_joined ON accounts_user;",
        "DROP TRIGGER IF EXISTS chartv_accounts_user_staff ON accounts_user;",
    ]
    functions = ["chartv_bump_area_patient", "chartv_org_grows", "chartv_bump_staff_org"]
    return sql + [f"DROP FUNCTION IF EXISTS {f}();" for f in functions]


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = pg
    elif vendor == "sqlite":
        statements = sqlite
    else:
        raise NotImplementedError(f"no chart-version triggers written for {vendor}")
    for sql in statements:
        schema_editor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, _pg(), _sqlite())


def backwards(apps, schema_editor):
    _run(schema_editor, _pg_down(), _sqlite_down())


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_chart_version_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
