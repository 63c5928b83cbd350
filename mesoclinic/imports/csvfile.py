"""An uploaded CSV file, checked before any row is read: size, encoding, header, rows.

What a spreadsheet calls row 1 is the header, so the first patient is row 2; a cell
spanning several lines (quoted) is still one row, as the spreadsheet shows it.
"""

import csv
import io
from dataclasses import dataclass

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

PATIENT_COLUMNS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "weight_kg",
)
LIST_COLUMNS = ("allergies", "medications", "conditions")
COLUMNS = (*PATIENT_COLUMNS, *LIST_COLUMNS)
REQUIRED = ("first_name", "last_name", "date_of_birth", "sex")


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message is for the person uploading it."""


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet numbers it (header = 1)
    cells: dict[str, str]


@dataclass(frozen=True)
class Sheet:
    rows: list[Row]
    ignored_columns: list[str]


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FileRefused(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in data:
        raise FileRefused(
            "The file holds NUL characters, so it is not a CSV file. "
            "Save the spreadsheet as “CSV UTF-8” and upload that."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            "The file is not in UTF-8. Save the spreadsheet as “CSV UTF-8” and upload that."
        ) from None


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_")


def read(
    text: str,
    *,
    required: tuple[str, ...] = REQUIRED,
    columns: tuple[str, ...] = COLUMNS,
    max_rows: int = MAX_ROWS,
    what: str = "patients",
) -> Sheet:
    """The file's rows by column name (`columns` only), its unknown columns apart: the
    first row names the columns (`required` ones at least), blank rows are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [_header_name(cell) for cell in next(reader, [])]
        missing = [name for name in required if name not in header]
        if missing:
            raise FileRefused(
                "The first row must name the columns. Missing: " + ", ".join(missing) + "."
            )
        rows: list[Row] = []
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == max_rows:
                raise FileRefused(f"The file has more than {max_rows:,} {what}; split it.")
            values = dict(zip(header, cells, strict=False))
            rows.append(Row(number, {name: values.get(name, "").strip() for name in columns}))
    except csv.Error as error:
        raise FileRefused(f"The file is not a readable CSV file ({error}).") from None
    ignored = [name for name in header if name and name not in columns]
    return Sheet(rows, ignored)
