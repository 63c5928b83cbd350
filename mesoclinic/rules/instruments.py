"""Outcome instruments as typed, immutable objects (built by :mod:`.loader.instruments`).

Each instrument is versioned reference data from ``data/instruments.toml`` and cites
a §5 source, so a charted score can say which scale, which version and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .reference import Source

KINDS: tuple[str, ...] = ("grade", "items", "numeric")
RATERS: tuple[str, ...] = ("clinician", "patient")
DIRECTIONS: tuple[str, ...] = ("lower", "higher")
# How a responder is counted: N grades better, the total N points better, or not at all.
RESPONDER_RULES: tuple[str, ...] = ("grades", "points", "none")
# In the order they happen; every protocol records at least the first and "end".
TIMEPOINTS: tuple[str, ...] = ("baseline", "each-session", "end", "3-months", "6-months")
REQUIRED_TIMEPOINTS: tuple[str, ...] = ("baseline", "end")


@dataclass(frozen=True)
class Option:
    """One allowed answer: its number, the code stored beside it, and staff's words."""

    value: int
    code: str
    label: str
    description: str = ""


@dataclass(frozen=True)
class Item:
    """One item of a multi-item scale (Hexsel: "Depth of depressions", 0-3)."""

    key: str
    label: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Band:
    """A named range of totals, both ends included (Hexsel: mild 1-5)."""

    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Instrument:
    slug: str
    name: str
    version: int
    rater: str
    kind: str
    better: str
    sided: bool
    responder: str
    grade: str
    source: Source
    for_concerns: tuple[str, ...] = ()
    # grade
    options: tuple[Option, ...] = ()
    relative_to: str | None = None
    # items
    items: tuple[Item, ...] = ()
    bands: tuple[Band, ...] = ()
    # numeric
    unit: str = ""
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    maximum_reason: str = ""
    range_source: Source | None = None
    display: str = "{value} {unit}"

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    @property
    def max_total(self) -> int:
        """The largest total of an items scale (Hexsel: 15)."""
        return sum(max(o.value for o in item.options) for item in self.items)

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class ProtocolOutcomes:
    """What a protocol records: one primary instrument, secondary ones, and when."""

    protocol: str
    primary: str
    secondary: tuple[str, ...]
    timepoints: tuple[str, ...]
    source: Source

    @property
    def instruments(self) -> tuple[str, ...]:
        return (self.primary, *self.secondary)


@dataclass(frozen=True)
class Instruments:
    """The validated contents of instruments.toml."""

    version: int
    instruments: Mapping[str, Instrument]
    protocol_outcomes: Mapping[str, ProtocolOutcomes]


@dataclass(frozen=True)
class Score:
    """A scored answer set: ``total`` to compute with, ``display`` for a clinician.

    ``answers`` are normalised (item key -> int for items, ``{"value": n}`` for a
    grade or numeric); ``code`` is the grade's stored code ("improved").
    """

    instrument: str
    version: int
    total: int | float
    band: str | None
    display: str
    answers: Mapping[str, int | float]
    code: str | None = None
