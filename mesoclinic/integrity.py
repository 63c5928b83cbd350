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


def second_submission(error: BaseException, table: str) -> bool:
    """Whether an IntegrityError is a form sent twice: the `submission_key` (a unique
    column) is already in `table`. PostgreSQL names such a constraint `<table>_<column>_key`."""
    return violates(error, f"{table}_submission_key_key", f"{table}.submission_key")
