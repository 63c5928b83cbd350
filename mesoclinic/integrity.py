"""Tell which database constraint an IntegrityError broke, on PostgreSQL and SQLite.

PostgreSQL names the constraint (psycopg's `diag.constraint_name`); SQLite names only
the columns of a unique index ("UNIQUE constraint failed: table.column"), so callers
give both.
"""


def violates(error: BaseException, constraint: str, sqlite_columns: str | None = None) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name == constraint
    text = str(error)
    if sqlite_columns and text.endswith(f"UNIQUE constraint failed: {sqlite_columns}"):
        return True
    return constraint in text
