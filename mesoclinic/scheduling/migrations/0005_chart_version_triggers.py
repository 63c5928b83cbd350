"""The database bumps the chart's version with every write that changes what it shows.

The cached patient chart (web/chart.py) is keyed by `Patient.chart_version` and
`Organization.chart_epoch`. Triggers, not application code, keep them current, so no
path (a queryset `.update()`, a bulk insert, a script) can leave a stale chart behind:

- an insert, update or delete of the patient's history, plans, sessions, adverse events
  (and their lots) or appointments bumps the patient's version, in the same transaction;
- any update of the patient row itself bumps it too, and the version only ever grows
  (a save carrying a stale version cannot take it back);
- a change of a name the chart shows for many patients (a site, room or colleague, or a
  lot's number, product, expiry or recall) bumps the organization's epoch.

On SQLite, a later migration that rebuilds one of these tables drops its triggers:
create them again after (tests/test_chart_cache.py lists them on both databases).
"""

from django.db import migrations

PATIENT_TABLES = [
    "patients_allergy",
    "patients_noknownallergies",
    "patients_medication",
    "patients_condition",
    "patients_pregnancystatus",
    "patients_skininfection",
    "patients_lifestylefactor",
    "patients_concern",
    "plans_plan",
    "treatments_treatmentsession",
    "treatments_adverseevent",
    "scheduling_appointment",
]
EVENT_LOTS = "treatments_adverseevent_lots"
# table -> the columns whose change a chart shows
ORG_NAMES = {
    "accounts_site": ["name"],
    "scheduling_room": ["name"],
    "accounts_user": ["full_name"],
    "treatments_lot": ["product", "lot_number", "expires_on", "recalled_at", "site_id"],
}
BUMP = "UPDATE patients_patient SET chart_version = chart_version + 1 WHERE id"
EVENT_PATIENT = "(SELECT patient_id FROM treatments_adverseevent WHERE id = {row}.adverseevent_id)"


def _sqlite():
    sql = []
    for table, patient in [(t, "{row}.patient_id") for t in PATIENT_TABLES] + [
        (EVENT_LOTS, EVENT_PATIENT)
    ]:
        new, old = patient.format(row="NEW"), patient.format(row="OLD")
        sql += [
            f"CREATE TRIGGER chartv_{table}_ins AFTER INSERT ON {table} BEGIN {BUMP} = {new}; END;",
            f"CREATE TRIGGER chartv_{table}_upd AFTER UPDATE ON {table} "
            f"BEGIN {BUMP} IN ({new}, {old}); END;",
            f"CREATE TRIGGER chartv_{table}_del AFTER DELETE ON {table} BEGIN {BUMP} = {old}; END;",
        ]
    sql.append(
        "CREATE TRIGGER chartv_patients_patient_upd AFTER UPDATE ON patients_patient "
        "FOR EACH ROW WHEN NEW.chart_version <= OLD.chart_version BEGIN "
        "UPDATE patients_patient SET chart_version = OLD.chart_version + 1 WHERE id = NEW.id; "
        "END;"
    )
    for table, columns in ORG_NAMES.items():
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        sql.append(
            f"CREATE TRIGGER chartv_{table}_names AFTER UPDATE ON {table} "
            f"FOR EACH ROW WHEN {changed} BEGIN UPDATE accounts_organization "
            "SET chart_epoch = chart_epoch + 1 WHERE id = NEW.organization_id; END;"
        )
    return sql


def _sqlite_down():
    names = [
        f"chartv_{t}_{op}" for t in [*PATIENT_TABLES, EVENT_LOTS] for op in ("ins", "upd", "del")
    ]
    names += ["chartv_patients_patient_upd"] + [f"chartv_{t}_names" for t in ORG_NAMES]
    return [f"DROP TRIGGER IF EXISTS {name};" for name in names]


# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION chartv_bump_patient() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {BUMP} = NEW.patient_id; END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.patient_id IS DISTINCT FROM NEW.patient_id) THEN
        {BUMP} = OLD.patient_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION chartv_bump_event_patient() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN {BUMP} = {EVENT_PATIENT.format(row="NEW")}; END IF;
    IF TG_OP <> 'INSERT' THEN {BUMP} = {EVENT_PATIENT.format(row="OLD")}; END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION chartv_patient_grows() RETURNS trigger AS $$
BEGIN
    NEW.chart_version := OLD.chart_version + 1;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION chartv_bump_org() RETURNS trigger AS $$
BEGIN
    UPDATE accounts_organization SET chart_epoch = chart_epoch + 1 WHERE id = NEW.organization_id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _pg():
    sql = [PG_FUNCTIONS]
    for table in PATIENT_TABLES:
        sql.append(
            f"CREATE TRIGGER chartv_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION chartv_bump_patient();"
        )
    sql.append(
        f"CREATE TRIGGER chartv_{EVENT_LOTS} AFTER INSERT OR UPDATE OR DELETE ON {EVENT_LOTS} "
        "FOR EACH ROW EXECUTE FUNCTION chartv_bump_event_patient();"
    )
    sql.append(
        "CREATE TRIGGER chartv_patients_patient BEFORE UPDATE ON patients_patient "
        "FOR EACH ROW EXECUTE FUNCTION chartv_patient_grows();"
    )
    for table, columns in ORG_NAMES.items():
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        sql.append(
            f"CREATE TRIGGER chartv_{table}_names AFTER UPDATE ON {table} "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION chartv_bump_org();"
        )
    return sql


def _pg_down():
    tables = [*PATIENT_TABLES, EVENT_LOTS, "patients_patient"]
    sql = [f"DROP TRIGGER IF EXISTS chartv_{t} ON {t};" for t in tables]
    sql += [f"DROP TRIGGER IF EXISTS chartv_{t}_names ON {t};" for t in ORG_NAMES]
    functions = ["chartv_bump_patient", "chartv_bump_event_patient", "chartv_patient_grows"]
    sql += [f"DROP FUNCTION IF EXISTS {f}();" for f in [*functions, "chartv_bump_org"]]
    return sql


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
    dependencies = [
        ("scheduling", "0004_clinical_record_fields"),
        ("patients", "0004_chart_version"),
        ("accounts", "0009_chart_version"),
        ("plans", "0004_signed_records_are_immutable"),
        ("treatments", "0012_clinical_record_fields"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
