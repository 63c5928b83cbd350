"""What comes out of the engine: findings, the plan and its parts. Plain frozen
dataclasses; ``to_dict()`` is the CLI's and the API's JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .models import Point, Severity


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    source: str
    grade: str
    overridable: bool
    area: str | None = None
    side: str | None = None
    ingredient: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "source": self.source,
            "grade": self.grade,
            "overridable": self.overridable,
            "area": self.area,
            "side": self.side,
            "ingredient": self.ingredient,
        }


@dataclass(frozen=True)
class OverrideOutcome:
    code: str
    area: str | None
    reason: str
    status: Literal["applied", "refused", "unmatched"]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "area": self.area,
            "reason": self.reason,
            "status": self.status,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class KeepClearZone:
    structure: str
    margin_mm: float
    path: tuple[Point, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "structure": self.structure,
            "margin_mm": self.margin_mm,
            "path": [list(p) for p in self.path],
            "source": self.source,
        }


@dataclass(frozen=True)
class AreaPlan:
    """One area (one side of a paired area) as planned, with the basis of each number."""

    concern: str
    area: str
    side: str | None
    protocol: str
    technique: str
    view: str
    area_cm2: float
    outline: tuple[Point, ...]
    depth_mm: float | None
    spacing_mm: float | None
    points: tuple[Point, ...]
    volume_per_point_ml: float | None
    total_volume_ml: float
    formula: Mapping[str, float]
    products: tuple[str, ...]
    sessions: int
    needle: tuple[int, float] | None = None
    keep_clear: tuple[KeepClearZone, ...] = ()
    basis: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "concern": self.concern,
            "area": self.area,
            "side": self.side,
            "protocol": self.protocol,
            "technique": self.technique,
            "view": self.view,
            "area_cm2": self.area_cm2,
            "outline": [list(p) for p in self.outline],
            "depth_mm": self.depth_mm,
            "spacing_mm": self.spacing_mm,
            "points": [list(p) for p in self.points],
            "point_count": len(self.points),
            "volume_per_point_ml": self.volume_per_point_ml,
            "total_volume_ml": self.total_volume_ml,
            "formula_mg_per_ml": dict(self.formula),
            "products": list(self.products),
            "sessions": self.sessions,
            "needle": (
                None
                if self.needle is None
                else {"gauge": self.needle[0], "length_mm": self.needle[1]}
            ),
            "keep_clear": [k.to_dict() for k in self.keep_clear],
            "basis": dict(self.basis),
        }


@dataclass(frozen=True)
class DoseLine:
    ingredient: str
    name: str
    measure: str
    mg_per_session: float | None
    ml_per_session: float
    injections: int
    limit_mg: float | None
    limit_source: str | None
    limit_grade: str | None
    basis: str
    # The part of mg_per_session the limit governs: less when a label limit covers
    # the ingredient only in some formulas (deoxycholic acid alone, not in PC/DC).
    mg_against_limit: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ingredient": self.ingredient,
            "name": self.name,
            "measure": self.measure,
            "mg_per_session": self.mg_per_session,
            "mg_against_limit": self.mg_against_limit,
            "ml_per_session": self.ml_per_session,
            "injections": self.injections,
            "limit_mg": self.limit_mg,
            "limit_source": self.limit_source,
            "limit_grade": self.limit_grade,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class ScheduledSession:
    session: int
    date: dt.date
    areas: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"session": self.session, "date": self.date.isoformat(), "areas": list(self.areas)}


@dataclass(frozen=True)
class FollowUp:
    date: dt.date
    after_session: int
    area: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "after_session": self.after_session,
            "area": self.area,
            "source": self.source,
        }


@dataclass(frozen=True)
class QuoteLine:
    """One request's share: per session (area fee x sides + vials opened) and over the course."""

    area: str
    products: tuple[str, ...]
    sides: int
    volume_ml: float
    product_cost: float
    session_low: float
    session_high: float
    sessions_min: int
    sessions_max: int
    course_low: float
    course_high: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "products": list(self.products),
            "sides": self.sides,
            "volume_ml": self.volume_ml,
            "product_cost": self.product_cost,
            "session_low": self.session_low,
            "session_high": self.session_high,
            "sessions_min": self.sessions_min,
            "sessions_max": self.sessions_max,
            "course_low": self.course_low,
            "course_high": self.course_high,
        }


@dataclass(frozen=True)
class VisitFee:
    """Low: areas share visits (the longest course); high: a visit per area session."""

    visits_min: int
    visits_max: int
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "visits_min": self.visits_min,
            "visits_max": self.visits_max,
            "low": self.low,
            "high": self.high,
        }


@dataclass(frozen=True)
class Quote:
    currency: str
    low: float
    high: float
    notes: tuple[str, ...] = ()
    lines: tuple[QuoteLine, ...] = ()
    visit_fee: VisitFee | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "low": self.low,
            "high": self.high,
            "notes": list(self.notes),
            "lines": [line.to_dict() for line in self.lines],
            "visit_fee": None if self.visit_fee is None else self.visit_fee.to_dict(),
        }


@dataclass(frozen=True)
class ProposedArea:
    area: str
    side: str | None
    points: tuple[Point, ...]
    volume_per_point_ml: float
    total_volume_ml: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "side": self.side,
            "point_count": len(self.points),
            "points": [list(p) for p in self.points],
            "volume_per_point_ml": self.volume_per_point_ml,
            "total_volume_ml": self.total_volume_ml,
        }


@dataclass(frozen=True)
class Proposal:
    """The largest plan that fits the limits that stopped this one (fewer points, same spacing)."""

    reason: tuple[str, ...]
    areas: tuple[ProposedArea, ...]
    doses_mg: Mapping[str, float]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "reason": list(self.reason),
            "message": self.message,
            "areas": [a.to_dict() for a in self.areas],
            "doses_mg": dict(self.doses_mg),
        }


@dataclass(frozen=True)
class Plan:
    areas: tuple[AreaPlan, ...]
    doses: tuple[DoseLine, ...]
    schedule: tuple[ScheduledSession, ...]
    follow_ups: tuple[FollowUp, ...]
    quote: Quote
    aftercare: tuple[str, ...]
    hard_stops: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    overridden: tuple[Finding, ...] = ()
    overrides: tuple[OverrideOutcome, ...] = ()
    proposal: Proposal | None = None
    age: int | None = None
    reference_versions: Mapping[str, int] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        """True when a hard stop remains: the plan must not go ahead as proposed."""
        return bool(self.hard_stops)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON shape; deterministic and JSON-serialisable."""
        return {
            "hard_stops": [f.to_dict() for f in self.hard_stops],
            "warnings": [f.to_dict() for f in self.warnings],
            "areas": [a.to_dict() for a in self.areas],
            "doses": [d.to_dict() for d in self.doses],
            "schedule": [s.to_dict() for s in self.schedule],
            "follow_ups": [f.to_dict() for f in self.follow_ups],
            "quote": self.quote.to_dict(),
            "aftercare": list(self.aftercare),
            "overridden": [f.to_dict() for f in self.overridden],
            "overrides": [o.to_dict() for o in self.overrides],
            "proposal": None if self.proposal is None else self.proposal.to_dict(),
            "age": self.age,
            "reference_versions": dict(self.reference_versions),
        }
