"""Database triggers that keep a record as it was written (for migrations).

`kept_as_written(...)` is a migration operation: DELETE is refused, and so is any
UPDATE of the `written` columns; the `review` columns may be set once, while `open_sql`
(a condition on OLD, such as "OLD.reviewed_at IS NULL") says the row is still open.
The same rule on SQLite (two triggers) and PostgreSQL (a function and a trigger), with
`message` as the error. With no `review` columns the whole row is kept as written.
A later migration that rebuilds the table on SQLite drops these triggers: wrap it in
`sqlite_triggers.kept_around`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import migrations


def kept_as_written(
    table: str,
    *,
    name: str,
    message: str,
    written: Sequence[str],
    review: Sequence[str] = (),
    open_sql: str = "",
) -> migrations.RunPython:
    if "'" in message or "%" in message:
        # Inside SQL quotes, and the schema editor passes parameters (psycopg reads %).
        raise ValueError("a trigger message has no apostrophe or percent sign")

    def refused(differs: str) -> str:
        changed = " OR ".join(differs.format(c=c) for c in written)
        if not review:  # nothing is set later: every column is kept as written
            return f"({changed})"
        reviewed = " OR ".join(differs.format(c=c) for c in review)
        return f"({changed}) OR (NOT ({open_sql}) AND ({reviewed}))"

    sqlite = [
        f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {table} FOR EACH ROW "
        f"""WHEN {refused('NEW."{c}" IS NOT OLD."{c}"')} """
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END;",
        f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END;",
    ]
    sqlite_down = [
        f"DROP TRIGGER IF EXISTS {name}_no_update;",
        f"DROP TRIGGER IF EXISTS {name}_no_delete;",
    ]
    pg = f"""
CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR {refused('NEW."{c}" IS DISTINCT FROM OLD."{c}"')} THEN
        RAISE EXCEPTION USING MESSAGE = '{message}', ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {name}_immutable BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_immutable();
"""
    pg_down = f"""
DROP TRIGGER IF EXISTS {name}_immutable ON {table};
DROP FUNCTION IF EXISTS {table}_immutable();
"""

    def run(schema_editor: Any, pg_sql: str, sqlite_sql: list[str]) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(pg_sql)
        elif vendor == "sqlite":
            for sql in sqlite_sql:
                schema_editor.execute(sql)
        else:
            raise NotImplementedError(f"no {name} triggers written for {vendor}")

    def forwards(apps: Any, schema_editor: Any) -> None:  # noqa: ARG001 - RunPython's signature
        run(schema_editor, pg, sqlite)

    def backwards(apps: Any, schema_editor: Any) -> None:  # noqa: ARG001 - RunPython's signature
        run(schema_editor, pg_down, sqlite_down)

    return migrations.RunPython(forwards, backwards)
