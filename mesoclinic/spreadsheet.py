"""CSV for spreadsheets: every export writes through here, so no cell runs as a formula.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (a patient named ``=HYPERLINK(...)``
would run in the clinic's spreadsheet). Such text is prefixed with an apostrophe, which
spreadsheets show as text (OWASP "CSV injection"). Numbers stay numbers, negative ones
included, whether they arrive as numbers or as text such as ``-0.5``.
"""

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, value: str, /) -> Any: ...


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def cell(value: Any) -> Any:
    """The value as a spreadsheet should show it: formula-looking text made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


class Echo:
    """A file that hands back what is written: rows for a streamed or joined response."""

    def write(self, value: str) -> str:
        return value


class Writer:
    """``csv.writer`` whose every cell goes through `cell`."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class DictWriter:
    """``csv.DictWriter`` whose every cell goes through `cell`."""

    def __init__(self, out: _Writable, fieldnames: list[str]) -> None:
        self._writer = csv.DictWriter(out, fieldnames=fieldnames)
        self.fieldnames = fieldnames

    def writeheader(self) -> Any:
        return self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._writer.writerow({k: cell(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)
