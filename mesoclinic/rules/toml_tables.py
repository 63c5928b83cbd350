"""A typed view of parsed TOML that names the file and field in every error."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from .errors import ReferenceDataError
from .reference import Point

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MISSING: Any = object()


class Table:
    """A TOML table that names its file and dotted path in every error."""

    def __init__(self, file: str, path: str, data: Mapping[str, Any]) -> None:
        self.file = file
        self.path = path
        self.data = data

    def error(self, key: str, message: str) -> ReferenceDataError:
        where = f"{self.path}.{key}" if self.path else key
        return ReferenceDataError(self.file, where, message)

    def _get(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        if default is MISSING:
            raise self.error(key, "missing")
        return default

    def text(self, key: str, default: Any = MISSING) -> Any:
        value = self._get(key, default)
        if value is not default and (not isinstance(value, str) or not value.strip()):
            raise self.error(key, f"expected a non-empty string, got {value!r}")
        return value

    def number(self, key: str, default: Any = MISSING, *, positive: bool = True) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}")
        if not math.isfinite(value) or (positive and value <= 0):
            raise self.error(key, f"expected a positive number, got {value!r}")
        return float(value)

    def integer(self, key: str, default: Any = MISSING) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(key, f"expected a positive integer, got {value!r}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def choice(self, key: str, choices: tuple[str, ...], default: Any = MISSING) -> Any:
        value = self._get(key, default)
        if value not in choices:
            raise self.error(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def table(self, key: str, default: Any = MISSING) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if not isinstance(value, dict):
            raise self.error(key, f"expected a table, got {value!r}")
        return Table(self.file, f"{self.path}.{key}" if self.path else key, value)

    def tables(self, key: str) -> list[Table]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, "expected an array of tables")
        prefix = f"{self.path}.{key}" if self.path else key
        return [Table(self.file, f"{prefix}[{i}]", v) for i, v in enumerate(value)]

    def entries(self, key: str) -> list[tuple[str, Table]]:
        """The sub-tables of ``key`` by slug, in file order, slugs checked."""
        outer = self.table(key)
        items = []
        for slug in outer.data:
            if not SLUG.match(slug):
                raise outer.error(slug, "not a valid slug (lower-case words and hyphens)")
            items.append((slug, cast(Table, outer.table(slug))))
        return items

    def points(self, key: str) -> tuple[Point, ...]:
        value = self._get(key, MISSING)
        ok = isinstance(value, list) and all(
            isinstance(p, list)
            and len(p) == 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
            for p in value
        )
        if not ok:
            raise self.error(key, "expected a list of [x_mm, y_mm] pairs")
        return tuple((float(x), float(y)) for x, y in value)


def read_file(data_dir: Path, name: str) -> Table:
    file = f"{name}.toml"
    path = data_dir / file
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ReferenceDataError(file, "-", f"file not found in {data_dir}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceDataError(file, "-", f"not valid TOML: {exc}") from None
    table = Table(file, "", data)
    table.integer("version")
    return table
