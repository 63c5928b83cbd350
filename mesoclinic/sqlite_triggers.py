"""Migrations that rebuild a table on SQLite keep the database's triggers.

SQLite changes most columns and constraints by building a new table, copying the rows,
dropping the old one and renaming the new. Dropping the old table drops the triggers on
it, and the rename fails when another table's trigger names it ("error in trigger ...:
no such table"). `kept_around(table, operations)` wraps a migration's operations: on
SQLite it sets aside every trigger whose SQL names the table, runs the operations, and
creates the triggers again; elsewhere it runs the operations alone. The schema is read
when the migration runs, so whatever triggers the database has by then are kept.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations


def kept_around(table: str, operations: list[Any]) -> list[Any]:
    stash: list[str] = []
    named = re.compile(rf"\b{re.escape(table)}\b")

    def set_aside(apps: Any, schema_editor: Any) -> None:  # noqa: ARG001 - RunPython's signature
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            found = [(name, sql) for name, sql in cursor.fetchall() if named.search(sql)]
        stash[:] = [sql for _, sql in found]
        for name, _ in found:
            schema_editor.execute(f'DROP TRIGGER "{name}"')

    def put_back(apps: Any, schema_editor: Any) -> None:  # noqa: ARG001 - RunPython's signature
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in stash:
            schema_editor.execute(sql)
        stash.clear()

    return [
        migrations.RunPython(set_aside, put_back),
        *operations,
        migrations.RunPython(put_back, set_aside),
    ]
