"""Bulk row writers: executemany on SQLite, COPY on PostgreSQL.

Rows are tuples of plain values in the order of the named fields. Values are
prepared once in a form both databases read: UUIDs as 32 hex digits (Django's
SQLite column format, and valid PostgreSQL uuid input), timestamps as ISO text
in UTC, JSON as text. Inserts go through the database's own constraints and
triggers: nothing is disabled during a load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models


class Writer:
    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise RuntimeError(f"seed-scale supports SQLite and PostgreSQL, not {self.vendor}")
        self.raw = connection.connection
        self.rows = 0
        # PostgreSQL reads a bare timestamp in the session time zone; say UTC explicitly.
        self.tz_suffix = "+00:00" if self.vendor == "postgresql" else ""

    def ts(self, moment: dt.datetime) -> str:
        return moment.isoformat(" ") + self.tz_suffix

    def next_id(self, model: type[models.Model]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
            return cursor.fetchone()[0] + 1

    def columns(self, model: type[models.Model], fields: Iterable[str]) -> list[str]:
        meta = model._meta
        columns = []
        for name in fields:
            field = meta.get_field(name)
            assert isinstance(field, models.Field) and field.column  # the seeder names columns
            columns.append(field.column)
        return columns

    def insert(
        self,
        model_or_table: type[models.Model] | str,
        fields: Iterable[str],
        rows: Sequence[Sequence[Any]],
    ) -> None:
        if not rows:
            return
        if isinstance(model_or_table, str):
            table, cols = model_or_table, list(fields)
        else:
            table, cols = model_or_table._meta.db_table, self.columns(model_or_table, fields)
        names = ", ".join(cols)
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(cols))
            self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
        else:
            with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        self.rows += len(rows)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def prepare_load(self) -> None:
        if self.vendor == "sqlite" and not connection.in_atomic_block:
            # Durability is not needed while loading: a failed load is simply run again.
            for pragma in ("synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
                self.raw.execute(f"PRAGMA {pragma}")

    def finish_load(self, models: list[type[models.Model]]) -> None:
        if self.vendor == "postgresql":
            # Explicit ids were inserted: move the identity sequences past them.
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
        elif not connection.in_atomic_block:
            self.raw.execute("PRAGMA synchronous=NORMAL")

    def analyze(self) -> None:
        if connection.in_atomic_block:  # inside a test's transaction: nothing to tune
            return
        if self.vendor == "postgresql":
            autocommit = self.raw.autocommit
            self.raw.autocommit = True
            try:
                with self.raw.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
            finally:
                self.raw.autocommit = autocommit
        else:
            self.raw.execute("ANALYZE")
            self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
