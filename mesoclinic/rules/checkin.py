"""A patient's check-in after a treatment: what they report and how urgent it is.

The symptoms are reference data (``data/checkin.toml``), each citing its source. A
report is as urgent as its most urgent symptom: "emergency" (call the clinic now, or
emergency services if it cannot be reached), "today" (call the clinic today), or
"routine" (the clinic reviews it). A symptom rated at or above its ``severe_from`` on
the 0-10 scale takes its ``severe_urgency``. Pure Python: the portal and the staff
queue both ask this module, never their own copy of the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from .errors import RulesInputError
from .loader import DATA_DIR, load_reference
from .reference import Source
from .toml_tables import Table, read_file

__all__ = ["URGENCIES", "Checkin", "Symptom", "Triage", "load_checkin", "triage"]

# Most urgent first: a report's urgency is the first of these any symptom has.
URGENCIES = ("emergency", "today", "routine")
SEVERITY_MAX = 10


@dataclass(frozen=True)
class Symptom:
    slug: str
    label: str
    urgency: str
    event: str
    source: Source
    severe_from: int | None = None
    severe_urgency: str | None = None
    severe_source: Source | None = None


@dataclass(frozen=True)
class Checkin:
    version: int
    symptoms: Mapping[str, Symptom]


@dataclass(frozen=True)
class Triage:
    urgency: str
    red_flags: tuple[Symptom, ...]  # the symptoms that made it urgent, most urgent first
    sources: tuple[Source, ...]

    @property
    def is_red_flag(self) -> bool:
        return self.urgency != "routine"


def load_checkin(data_dir: str | Path | None = None) -> Checkin:
    return _load(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)


@cache
def _load(data_dir: Path) -> Checkin:
    ref = load_reference(data_dir)
    file = read_file(data_dir, "checkin")

    def source(table: Table, key: str) -> Source:
        slug = table.text(key)
        if slug not in ref.sources:
            raise table.error(key, f"unknown source {slug!r} (see sources.toml)")
        return ref.sources[slug]

    found = {}
    for slug, t in file.entries("symptoms"):
        severe_from = t.integer("severe_from", None)
        if severe_from is not None and not 1 <= severe_from <= SEVERITY_MAX:
            raise t.error("severe_from", f"expected 1 to {SEVERITY_MAX}")
        found[slug] = Symptom(
            slug=slug,
            label=t.text("label"),
            urgency=t.choice("urgency", URGENCIES),
            event=t.text("event"),
            source=source(t, "source"),
            severe_from=severe_from,
            severe_urgency=t.choice("severe_urgency", URGENCIES) if severe_from else None,
            severe_source=source(t, "severe_source") if severe_from else None,
        )
    return Checkin(version=file.data["version"], symptoms=MappingProxyType(found))


def triage(
    symptoms: Iterable[str], severity: int | None = None, *, checkin: Checkin | None = None
) -> Triage:
    """How urgent a report of `symptoms` is, rated `severity` (0-10) by the patient."""
    known = (checkin or load_checkin()).symptoms
    chosen = list(dict.fromkeys(symptoms))
    for slug in chosen:
        if slug not in known:
            raise RulesInputError("symptoms", slug, "not a symptom of the check-in list")
    if severity is not None and not 0 <= severity <= SEVERITY_MAX:
        raise RulesInputError("severity", severity, f"rate it from 0 to {SEVERITY_MAX}")
    graded: list[tuple[str, Symptom, Source]] = []
    for slug in chosen:
        s = known[slug]
        urgency, cited = s.urgency, s.source
        if s.severe_from is not None and severity is not None and severity >= s.severe_from:
            assert s.severe_urgency is not None and s.severe_source is not None
            if URGENCIES.index(s.severe_urgency) < URGENCIES.index(urgency):
                urgency, cited = s.severe_urgency, s.severe_source
        graded.append((urgency, s, cited))
    graded.sort(key=lambda g: URGENCIES.index(g[0]))
    urgency = graded[0][0] if graded else "routine"
    flags = tuple(s for u, s, _ in graded if u != "routine")
    sources = tuple(dict.fromkeys(c for u, _, c in graded if u != "routine"))
    return Triage(urgency, flags, sources)
