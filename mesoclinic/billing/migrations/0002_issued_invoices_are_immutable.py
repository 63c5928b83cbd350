"""Issued invoices and credit notes cannot be rewritten, whatever code path tries.

An issued invoice refuses UPDATE and DELETE; its lines refuse INSERT, UPDATE and
DELETE once it is issued. Corrections are credit notes. On SQLite, a later migration
that rebuilds either table must wrap its operations in `sqlite_triggers.kept_around`.
"""

from django.db import migrations

MESSAGE = "issued invoices are immutable: issue a credit note instead"
LINE_ISSUED = "(SELECT status FROM billing_invoice WHERE id = {row}.invoice_id) = 'issued'"

SQLITE = [
    "CREATE TRIGGER invoice_issued_no_update BEFORE UPDATE ON billing_invoice "
    f"FOR EACH ROW WHEN OLD.status = 'issued' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    "CREATE TRIGGER invoice_issued_no_delete BEFORE DELETE ON billing_invoice "
    f"FOR EACH ROW WHEN OLD.status = 'issued' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    *(
        f"CREATE TRIGGER invoiceline_issued_no_{op.lower()} BEFORE {op} ON billing_invoiceline "
        f"FOR EACH ROW WHEN {LINE_ISSUED.format(row=row)} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        for op, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ),
    # An update may not move a line onto an issued invoice either.
    "CREATE TRIGGER invoiceline_issued_no_move BEFORE UPDATE ON billing_invoiceline "
    f"FOR EACH ROW WHEN {LINE_ISSUED.format(row='NEW')} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "invoice_issued_no_update",
        "invoice_issued_no_delete",
        "invoiceline_issued_no_insert",
        "invoiceline_issued_no_update",
        "invoiceline_issued_no_delete",
        "invoiceline_issued_no_move",
    )
]

PG = f"""
CREATE OR REPLACE FUNCTION billing_invoice_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'issued' THEN
        RAISE EXCEPTION USING MESSAGE = '{MESSAGE}', ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_immutable BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_immutable();

CREATE OR REPLACE FUNCTION billing_invoiceline_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND (
        SELECT status FROM billing_invoice WHERE id = OLD.invoice_id
    ) = 'issued' THEN
        RAISE EXCEPTION USING MESSAGE = '{MESSAGE}', ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP <> 'DELETE' AND (
        SELECT status FROM billing_invoice WHERE id = NEW.invoice_id
    ) = 'issued' THEN
        RAISE EXCEPTION USING MESSAGE = '{MESSAGE}', ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoiceline_immutable BEFORE INSERT OR UPDATE OR DELETE
    ON billing_invoiceline FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_immutable();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS billing_invoice_immutable ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_immutable();
DROP TRIGGER IF EXISTS billing_invoiceline_immutable ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_immutable();
"""


def run(schema_editor, pg, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(pg)
    elif vendor == "sqlite":
        for sql in sqlite:
            schema_editor.execute(sql)
    else:
        raise NotImplementedError(f"no invoice triggers written for {vendor}")


def forwards(apps, schema_editor):
    run(schema_editor, PG, SQLITE)


def backwards(apps, schema_editor):
    run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
