"""What goes into the engine (what comes out: :mod:`.results`). Plain frozen dataclasses.

Inputs accept any sequence or set for their collections and are normalised to
tuples and frozensets, so a Django form's lists can be passed as they are.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from .errors import RulesInputError

Point = tuple[float, float]
Severity = Literal["stop", "warning"]
OVERRIDABLE_GRADES = frozenset({"B", "C"})


def _fix(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _slugs(field_name: str, value: object) -> list[str]:
    # A bare string is a collection of characters to Python; from a form it is a mistake.
    if isinstance(value, str) or not isinstance(value, Collection):
        raise RulesInputError(field_name, value, "expected a list of names, not a single value")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise RulesInputError(field_name, item, "expected a name (string)")
    return items


def _date_or_none(field_name: str, value: object) -> None:
    if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
        raise RulesInputError(field_name, value, "expected a date")


@dataclass(frozen=True)
class PatientProfile:
    """The patient as the rules see them. Slugs are checked against the reference data."""

    weight_kg: float | None = None
    birth_date: dt.date | None = None
    age: int | None = None
    sex: str | None = None
    pregnant: bool = False
    breastfeeding: bool = False
    allergies: Collection[str] = frozenset()
    medications: Collection[str] = ()
    conditions: Collection[str] = frozenset()
    infected_areas: Collection[str] = frozenset()
    fitzpatrick: int | None = None
    # ISO 3166-2 of the clinic: "GB-ENG" makes cosmetic filler a hard stop under 18 (§7).
    jurisdiction: str | None = None
    # Allergies recorded as text that no allergen matched: each is a hard stop.
    unresolved_allergies: Collection[str] = ()

    def __post_init__(self) -> None:
        _fix(self, "allergies", frozenset(_slugs("profile.allergies", self.allergies)))
        texts = _slugs("profile.unresolved_allergies", self.unresolved_allergies)
        _fix(self, "unresolved_allergies", tuple(texts))
        _fix(self, "medications", tuple(_slugs("profile.medications", self.medications)))
        _fix(self, "conditions", frozenset(_slugs("profile.conditions", self.conditions)))
        _fix(
            self,
            "infected_areas",
            frozenset(_slugs("profile.infected_areas", self.infected_areas)),
        )
        _date_or_none("profile.birth_date", self.birth_date)


def _point(value: object) -> Point:
    try:
        pair = list(value)  # type: ignore[call-overload]
        if len(pair) != 2:
            raise ValueError
        point = (float(pair[0]), float(pair[1]))
    except (TypeError, ValueError):
        raise RulesInputError("request.points", value, "expected an (x_mm, y_mm) pair") from None
    if not all(math.isfinite(c) for c in point):
        raise RulesInputError("request.points", value, "expected finite coordinates")
    return point


@dataclass(frozen=True)
class TreatmentRequest:
    """What the practitioner wants treated where; every field but the first two is optional.

    ``formula`` maps ingredient slugs to mg/mL and replaces the protocol's products;
    ``products`` names catalogue products mixed one vial each. ``points`` are explicit
    injection points in the area's view coordinates (mm). ``prior_sessions`` are the
    dates this treatment was already given in this area (for course and interval checks).
    """

    concern: str
    area: str
    protocol: str | None = None
    formula: Mapping[str, float] | None = None
    products: Sequence[str] | None = None
    area_cm2: float | None = None
    side: str | None = None
    technique: str | None = None
    depth_mm: float | None = None
    spacing_mm: float | None = None
    volume_per_point_ml: float | None = None
    points: Sequence[Point] | None = None
    sessions: int | None = None
    interval_days: int | None = None
    prior_sessions: Sequence[dt.date] = ()

    def __post_init__(self) -> None:
        if self.formula is not None:
            if not isinstance(self.formula, Mapping):
                raise RulesInputError("request.formula", self.formula, "expected {slug: mg/mL}")
            _fix(self, "formula", MappingProxyType(dict(self.formula)))
        if self.products is not None:
            _fix(self, "products", tuple(_slugs("request.products", self.products)))
        if self.points is not None:
            _fix(self, "points", tuple(_point(p) for p in self.points))
        for day in self.prior_sessions:
            if day is None:
                raise RulesInputError("request.prior_sessions", day, "expected a date")
            _date_or_none("request.prior_sessions", day)
        _fix(self, "prior_sessions", tuple(sorted(self.prior_sessions)))


@dataclass(frozen=True)
class Override:
    """A practitioner's recorded decision to proceed despite a grade-B or grade-C finding.

    An empty reason is refused at once. Overrides of grade-A findings are refused
    by the engine: the stop stays and the plan's ``overrides`` says why.
    """

    code: str
    reason: str
    area: str | None = None
    # Who confirmed a pregnancy or breastfeeding override: a second practitioner, or the
    # patient's signed acknowledgement where the clinic has a single practitioner (§7).
    confirmed_by: str | None = None

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise RulesInputError("override.code", self.code, "name the finding code to override")
        if not self.reason.strip():
            raise RulesInputError(
                "override.reason", self.reason, f"an override of {self.code} needs a reason"
            )
