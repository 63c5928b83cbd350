"""Limits of one area (one side): indication, volume per injection, spacing, the
recognised mixture and the usual concentration; and keep-clear zones for placed points."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from .. import findings as F
from ..layout import distance_to_path
from ..models import Point
from ..reference import Area, Ingredient, Limit, Reference
from ..results import Finding, KeepClearZone
from .common import Usage, applies, in_mixture, num, severity


def _names(ref: Reference, slugs: Iterable[str]) -> str:
    return ", ".join(ref.areas[s].name if s in ref.areas else s for s in slugs)


class _Where(NamedTuple):
    ref: Reference
    ing: Ingredient
    lim: Limit
    u: Usage
    place: str  # the area's name
    side: str  # the area's name with its side, if it has one


def _outside_areas(w: _Where) -> bool:
    return w.u.area not in w.lim.areas


def _too_much_per_injection(w: _Where) -> bool:
    vpp, value = w.u.volume_per_point_ml, w.lim.value
    return value is not None and vpp is not None and bool(w.u.injections) and vpp > value


def _too_close(w: _Where) -> bool:
    spacing, value = w.u.spacing_mm, w.lim.value
    return value is not None and spacing is not None and w.u.injections > 1 and spacing < value


def _not_indicated(w: _Where) -> str:
    return (
        f"{w.ing.name} is not indicated for {w.place}: {w.lim.note} ({_names(w.ref, w.lim.areas)})."
    )


def _not_established(w: _Where) -> str:
    return (
        f"{w.ing.name} on {w.place}: use not established; {w.lim.note} "
        f"({_names(w.ref, w.lim.areas)})."
    )


def _per_injection(w: _Where) -> str:
    vpp, value = w.u.volume_per_point_ml, w.lim.value
    assert vpp is not None and value is not None
    return (
        f"{w.ing.name} in {w.side}: {num(vpp)} mL per injection "
        f"exceeds {num(value)} mL by {num(vpp - value)} mL ({w.lim.note})."
    )


def _spacing(w: _Where) -> str:
    spacing, value = w.u.spacing_mm, w.lim.value
    assert spacing is not None and value is not None
    return (
        f"{w.ing.name} in {w.side}: injections {num(spacing)} mm apart, "
        f"closer than {num(value)} mm by {num(value - spacing)} mm ({w.lim.note})."
    )


class _AreaRule(NamedTuple):
    code: str
    breached: Callable[[_Where], bool]
    message: Callable[[_Where], str]
    # "Use not established" informs; it never stops, whatever the grade.
    warning_only: bool = False


_AREA_RULES = {
    "labelled_areas": _AreaRule(F.AREA_NOT_INDICATED, _outside_areas, _not_indicated),
    "established_areas": _AreaRule(
        F.AREA_NOT_ESTABLISHED, _outside_areas, _not_established, warning_only=True
    ),
    "max_volume_per_injection_ml": _AreaRule(
        F.VOLUME_PER_POINT_LIMIT, _too_much_per_injection, _per_injection
    ),
    "min_spacing_mm": _AreaRule(F.SPACING_TOO_CLOSE, _too_close, _spacing),
}


def _mixture(ref: Reference, ing: Ingredient, u: Usage, place: str) -> Finding | None:
    mixture = ing.mixture
    if (
        mixture is None
        or u.formula.get(mixture.with_, 0.0) <= 0.0
        or in_mixture(mixture.with_, mixture.ratio, mixture.tolerance, ing.slug, u.formula)
    ):
        return None
    return F.make(
        F.CUSTOM_MIXTURE,
        "warning",
        f"{ing.name} with {ref.ingredients[mixture.with_].name.lower()} in {place} "
        "is not the recognised 5% / 2.5% mixture: no sourced limit for this mixture, "
        f"so the {ing.name.lower()} label limits apply.",
        mixture.source,
        "A",
        area=u.area,
        ingredient=ing.slug,
    )


def _concentration(ing: Ingredient, u: Usage, place: str) -> Finding | None:
    conc = ing.concentration
    value = u.formula[ing.slug]
    if conc is None or in_mixture(
        conc.unless_with, conc.unless_ratio, conc.unless_tolerance, ing.slug, u.formula
    ):
        return None
    if conc.min_mg_per_ml * (1 - 1e-9) <= value <= conc.max_mg_per_ml * (1 + 1e-9):
        return None
    usual = (
        f"{num(conc.min_mg_per_ml)} mg/mL"
        if conc.min_mg_per_ml == conc.max_mg_per_ml
        else f"{num(conc.min_mg_per_ml)}-{num(conc.max_mg_per_ml)} mg/mL"
    )
    return F.make(
        F.CONCENTRATION_UNUSUAL,
        "warning",
        f"{ing.name} at {num(value)} mg/mL in {place}; the sourced concentration is {usual}.",
        conc.source,
        conc.grade,
        area=u.area,
        ingredient=ing.slug,
    )


def per_area(ref: Reference, ing: Ingredient, u: Usage) -> list[Finding]:
    """What the ingredient's limits say about one area (one side) of one session."""
    out = []
    place = ref.areas[u.area].name if u.area in ref.areas else u.area
    side = f"{place} ({u.side})" if u.side else place
    for lim in ing.limits:
        rule = _AREA_RULES.get(lim.kind)
        if rule is None or not applies(lim, ing.slug, u.formula):
            continue
        where = _Where(ref, ing, lim, u, place, side)
        if rule.breached(where):
            out.append(
                F.make(
                    rule.code,
                    "warning" if rule.warning_only else severity(lim.grade),
                    rule.message(where),
                    lim.source,
                    lim.grade,
                    area=u.area,
                    side=u.side,
                    ingredient=ing.slug,
                )
            )
    out += [f for f in (_mixture(ref, ing, u, place), _concentration(ing, u, place)) if f]
    return out


def check_keep_clear(
    area: Area, side: str | None, points: Sequence[Point], zones: Sequence[KeepClearZone]
) -> list[Finding]:
    """Explicit points near a labelled structure (laid-out grids avoid them by construction)."""
    out = []
    for rule, zone in zip(area.keep_clear, zones, strict=True):
        near = [p for p in points if distance_to_path(p, zone.path) < zone.margin_mm]
        if near:
            out.append(
                F.make(
                    F.KEEP_CLEAR_ZONE,
                    severity(rule.grade),
                    f"{len(near)} point(s) in {area.name} lie within {zone.margin_mm:g} mm of "
                    f"the {zone.structure}.",
                    rule.source,
                    rule.grade,
                    area=area.slug,
                    side=side,
                )
            )
    return out
