"""What every limit check shares: the usage checked, rounding, wording, and which
limits a mixture switches off."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..models import Severity
from ..reference import Limit, Reference

# Totals are rounded before comparing so that 50 x 0.2 mL is 10 mL, not 10.000000000000002.
DIGITS = 6
NO_LIMIT_TEXT = "no sourced limit: practitioner judgement"


@dataclass(frozen=True)
class Usage:
    """What one area (one side) takes in one session."""

    area: str
    side: str | None
    formula: Mapping[str, float]
    volume_ml: float
    injections: int
    volume_per_point_ml: float | None = None
    spacing_mm: float | None = None


def num(x: float) -> str:
    """A number as a person reads it: 2,500 / 0.3 / 315."""
    text = f"{x:,.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def percent(over: float, limit: float) -> str:
    return f" ({100 * over / limit:,.0f}%)" if limit > 0 else ""


def severity(grade: str) -> Severity:
    return "warning" if grade == "C" else "stop"


def total(values: Iterable[float]) -> float:
    return round(math.fsum(values), DIGITS)


def in_mixture(
    unless_with: str | None,
    ratio: float | None,
    tolerance: float,
    ingredient: str,
    formula: Mapping[str, float],
) -> bool:
    """True when the formula is the recognised mixture (PC:DC about 2:1), at any dilution."""
    own, other = formula.get(ingredient, 0.0), formula.get(unless_with or "", 0.0)
    if unless_with is None or ratio is None or own <= 0.0 or other <= 0.0:
        return False
    return abs(other / own - ratio) <= tolerance * ratio


def applies(limit: Limit, ingredient: str, formula: Mapping[str, float]) -> bool:
    """False only in the recognised mixture ``unless_with`` stands for: no rule turns
    another off at any other ratio (clinical-reference §7)."""
    return not in_mixture(
        limit.unless_with, limit.unless_ratio, limit.unless_tolerance, ingredient, formula
    )


def family_of(ref: Reference, slug: str) -> frozenset[str]:
    """Every slug of the same drug (lidocaine, lidocaine with epinephrine), or the slug alone."""
    family = ref.ingredients[slug].family
    if family is None:
        return frozenset({slug})
    return frozenset(s for s, i in ref.ingredients.items() if i.family == family)
