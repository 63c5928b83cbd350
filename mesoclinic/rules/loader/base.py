"""What every part of the loader shares: the files read, sources and grades."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from ..reference import (
    GRADES,
    Source,
)
from ..toml_tables import Table, read_file

FILES = (
    "sources",
    "ingredients",
    "products",
    "techniques",
    "areas",
    "protocols",
    "conditions",
    "medications",
    "allergens",
    "aftercare",
    "pricing",
)
_SECTION = re.compile(r"^§[1-8]$")


class BuilderBase:
    def __init__(self, data_dir: Path) -> None:
        self.files = {name: read_file(data_dir, name) for name in FILES}
        self.sources: dict[str, Source] = {}

    def source(self, table: Table, key: str = "source") -> Source:
        slug = table.text(key)
        if slug not in self.sources:
            raise table.error(key, f"unknown source {slug!r} (see sources.toml)")
        return self.sources[slug]

    def grade(self, table: Table, key: str = "grade") -> str:
        return cast(str, table.choice(key, GRADES))

    def slug_in(self, table: Table, key: str, known: Mapping[str, object], what: str) -> None:
        for slug in table.texts(key):
            if slug not in known:
                raise table.error(key, f"unknown {what} {slug!r}")

    def build_sources(self) -> None:
        for slug, t in self.files["sources"].entries("sources"):
            section = t.text("section")
            if not _SECTION.match(section):
                raise t.error(
                    "section", f"expected a clinical-reference section like §3, got {section!r}"
                )
            self.sources[slug] = Source(slug, section, t.text("cites"))
