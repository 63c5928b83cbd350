"""Payments, refunds, package sales and package draws are kept as recorded.

- Each table refuses every UPDATE and DELETE: a mistaken payment is put right by a
  refund, never an edit, and what the takings reports counted stays counted.
- A refund is refused when, with the refunds of its payment already written, it would
  give back more than the payment took. SQLite keeps these decimals as floating point,
  so both sides are rounded to the cent before they are compared.

The same rules on SQLite (triggers) and PostgreSQL (functions and triggers); any other
database raises. A later migration that rebuilds one of these tables on SQLite drops its
triggers: wrap it in `sqlite_triggers.kept_around`.
"""

from django.db import migrations

KEPT = "payments are kept as recorded: refund a payment instead of changing it"
OVER = "a refund cannot give back more than what remains of its payment"
TABLES = {
    "payments_payment": "payment",
    "payments_refund": "refund",
    "payments_packagesale": "packagesale",
    "payments_packagedraw": "packagedraw",
}
LEFT = (
    "(SELECT amount FROM payments_payment WHERE id = NEW.payment_id) - "
    "(SELECT COALESCE(SUM(amount), 0) FROM payments_refund WHERE payment_id = NEW.payment_id)"
)

SQLITE = [
    sql
    for table, name in TABLES.items()
    for sql in (
        f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END;",
        f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{KEPT}'); END;",
    )
] + [
    "CREATE TRIGGER refund_not_over BEFORE INSERT ON payments_refund "
    f"WHEN ROUND(NEW.amount, 2) > ROUND({LEFT}, 2) "
    f"BEGIN SELECT RAISE(ABORT, '{OVER}'); END;"
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name}_{what};"
    for name in TABLES.values()
    for what in ("no_update", "no_delete")
] + ["DROP TRIGGER IF EXISTS refund_not_over;"]

PG = """
CREATE OR REPLACE FUNCTION payments_kept() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = '{kept}', ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION payments_refund_not_over() RETURNS trigger AS $$
BEGIN
    IF NEW.amount > {left} THEN
        RAISE EXCEPTION USING MESSAGE = '{over}', ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER refund_not_over BEFORE INSERT ON payments_refund
    FOR EACH ROW EXECUTE FUNCTION payments_refund_not_over();
""".format(kept=KEPT, over=OVER, left=LEFT) + "".join(
    f"CREATE TRIGGER {name}_kept BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION payments_kept();\n"
    for table, name in TABLES.items()
)
PG_DOWN = "".join(
    f"DROP TRIGGER IF EXISTS {name}_kept ON {table};\n" for table, name in TABLES.items()
) + """
DROP TRIGGER IF EXISTS refund_not_over ON payments_refund;
DROP FUNCTION IF EXISTS payments_refund_not_over();
DROP FUNCTION IF EXISTS payments_kept();
"""


def _run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no payments triggers written for {vendor}")


def forwards(apps, schema_editor):
    _run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
