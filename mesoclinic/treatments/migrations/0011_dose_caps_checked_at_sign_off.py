"""The database refuses to sign a session charted past its grade-A dose caps (PostgreSQL).

- `ProductContent`: mg/mL per ingredient per product, copied from the catalogue here
  and after every migrate (`treatments.contents`).
- `TreatmentSession.dose_caps`: the caps fixed at session start.
- A constraint trigger, AFTER UPDATE, DEFERRABLE INITIALLY IMMEDIATE, that runs when
  a session's status becomes "signed": for each cap it sums volume_ml x mg_per_ml (of the
  cap's ingredient, or of each of its `ingredients`: a drug family such as lidocaine) of
  the session's charted areas whose lot is one of the cap's products (all products
  when the cap names none) and raises when the sum passes the cap. AFTER, so it sees
  the row as written; a constraint trigger, so a deployment could defer it to commit
  if sign-off ever wrote areas after the status. Raising rolls back the statement.
- SQLite gets no such trigger (the service's check is the guard there).

Adding `dose_caps` rebuilds the table on SQLite, which drops the immutability
triggers of 0003: they are dropped first and created again after, and `dose_caps`
joins the clinical columns a signed session keeps (on PostgreSQL too), with the
`overrides` (grade-B reasons) recorded while charting.
"""

from django.db import migrations, models

CLINICAL = [
    "patient_id", "plan_id", "plan_version_id", "consent_id", "adhoc_reason", "site_id",
    "precheck", "weight_kg", "started_at", "ended_at", "performed_by_id", "supervised_by_id",
    "signed_by_id", "signed_at", "aftercare",
]
IMMUTABLE = "signed sessions are immutable: record an amendment instead"
SQLITE_TRIGGERS = (
    "session_signed_no_update", "session_signed_no_delete", "sessionarea_signed_no_insert",
    "sessionarea_signed_no_update", "sessionarea_signed_no_delete",
)


def sqlite_triggers(columns):
    signed = "(SELECT signed_at FROM treatments_treatmentsession WHERE id = {}.session_id)"
    raise_ = f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END;"
    return [
        "CREATE TRIGGER session_signed_no_update BEFORE UPDATE ON treatments_treatmentsession "
        "FOR EACH ROW WHEN OLD.signed_at IS NOT NULL AND ("
        + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
        + f") {raise_}",
        "CREATE TRIGGER session_signed_no_delete BEFORE DELETE ON treatments_treatmentsession "
        f"FOR EACH ROW WHEN OLD.signed_at IS NOT NULL {raise_}",
        "CREATE TRIGGER sessionarea_signed_no_insert BEFORE INSERT ON treatments_sessionarea "
        f"FOR EACH ROW WHEN {signed.format('NEW')} IS NOT NULL {raise_}",
        "CREATE TRIGGER sessionarea_signed_no_update BEFORE UPDATE ON treatments_sessionarea "
        f"FOR EACH ROW WHEN {signed.format('OLD')} IS NOT NULL {raise_}",
        "CREATE TRIGGER sessionarea_signed_no_delete BEFORE DELETE ON treatments_sessionarea "
        f"FOR EACH ROW WHEN {signed.format('OLD')} IS NOT NULL {raise_}",
    ]


def pg_immutable(columns):
    """0003's function, with the given clinical columns; CREATE OR REPLACE keeps its trigger."""
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return f"""
CREATE OR REPLACE FUNCTION treatments_session_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.signed_at IS NOT NULL THEN
            RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.signed_at IS NOT NULL AND ({changed}) THEN
        RAISE EXCEPTION USING MESSAGE = '{IMMUTABLE}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


# No percent signs: the schema editor passes parameters, so psycopg would read them.
PG_DOSE_CAPS = """
CREATE OR REPLACE FUNCTION treatments_session_dose_caps() RETURNS trigger AS $$
DECLARE
    cap jsonb;
    cap_mg numeric;
    charted numeric;
BEGIN
    FOR cap IN SELECT value FROM jsonb_array_elements(COALESCE(NEW.dose_caps, '[]'::jsonb)) LOOP
        cap_mg := (cap->>'mg')::numeric;
        SELECT COALESCE(SUM(a.volume_ml * c.mg_per_ml), 0) INTO charted
          FROM treatments_sessionarea a
          JOIN treatments_lot l ON l.id = a.lot_id
          JOIN treatments_productcontent c ON c.product = l.product
         WHERE a.session_id = NEW.id
           AND c.ingredient IN (SELECT jsonb_array_elements_text(
                   COALESCE(cap->'ingredients', jsonb_build_array(cap->>'ingredient'))))
           AND (NOT jsonb_exists(cap, 'products')
                OR l.product IN (SELECT jsonb_array_elements_text(cap->'products')));
        IF charted > cap_mg THEN
            RAISE EXCEPTION USING
                MESSAGE = 'grade-A limit: ' || replace(cap->>'ingredient', '-', ' ') || ' '
                    || trim_scale(charted) || ' mg charted against a cap of '
                    || trim_scale(cap_mg) || ' mg',
                ERRCODE = 'check_violation',
                CONSTRAINT = 'treatments_session_dose_caps';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER treatments_session_dose_caps
    AFTER UPDATE ON treatments_treatmentsession
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW
    WHEN (NEW.status = 'signed' AND OLD.status IS DISTINCT FROM 'signed')
    EXECUTE FUNCTION treatments_session_dose_caps();
"""
PG_DOSE_CAPS_DOWN = """
DROP TRIGGER IF EXISTS treatments_session_dose_caps ON treatments_treatmentsession;
DROP FUNCTION IF EXISTS treatments_session_dose_caps();
"""


def supported(schema_editor):
    """Only SQLite and PostgreSQL have triggers written; any other database is refused."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no triggers written for {vendor}")
    return vendor


def drop_sqlite_triggers(apps, schema_editor):
    if supported(schema_editor) == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name};")


def sqlite_triggers_with(columns):
    def create(apps, schema_editor):
        if supported(schema_editor) == "sqlite":
            for sql in sqlite_triggers(columns):
                schema_editor.execute(sql)

    return create


def guard_sign_off(apps, schema_editor):
    if supported(schema_editor) == "postgresql":
        schema_editor.execute(pg_immutable(CLINICAL + ["dose_caps", "overrides"]))
        schema_editor.execute(PG_DOSE_CAPS)


def unguard_sign_off(apps, schema_editor):
    if supported(schema_editor) == "postgresql":
        schema_editor.execute(PG_DOSE_CAPS_DOWN)
        schema_editor.execute(pg_immutable(CLINICAL))


def fill_contents(apps, schema_editor):
    from mesoclinic.treatments import contents

    contents.sync(apps.get_model("treatments", "ProductContent"), schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("treatments", "0010_adverse_event_submission_key")]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, sqlite_triggers_with(CLINICAL)),
        migrations.AddField(
            model_name="treatmentsession",
            name="dose_caps",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(sqlite_triggers_with(CLINICAL + ["dose_caps", "overrides"]), drop_sqlite_triggers),
        migrations.CreateModel(
            name="ProductContent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("product", models.CharField(max_length=60)),
                ("ingredient", models.CharField(max_length=60)),
                ("mg_per_ml", models.DecimalField(decimal_places=4, max_digits=12)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("product", "ingredient"), name="productcontent_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(fill_contents, migrations.RunPython.noop),
        migrations.RunPython(guard_sign_off, unguard_sign_off),
    ]
