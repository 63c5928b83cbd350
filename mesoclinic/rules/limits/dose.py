"""One session's doses: mg (absolute and per kg), injection count and volume.

:func:`check_usages` is the whole per-session check: it also asks :mod:`.area` about each
area the ingredient goes into.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .. import findings as F
from ..reference import Ingredient, Limit, Reference
from ..results import DoseLine, Finding
from .area import per_area
from .common import DIGITS, NO_LIMIT_TEXT, Usage, applies, family_of, num, percent, severity, total


class _Known(NamedTuple):
    """An mg limit the weight lets us compute, and what counts against it."""

    value: float
    limit: Limit
    text: str
    counted_mg: float


def _mg(u: Usage, ing: str) -> float:
    return u.volume_ml * u.formula[ing]


def _counted_mg(lim: Limit, slug: str, family: frozenset[str], u: Usage) -> float:
    """What one usage puts against a limit: the ingredient, or its whole drug family."""
    if lim.counts_family:
        return sum(_mg(u, member) for member in family if member in u.formula)
    return _mg(u, slug) if slug in u.formula else 0.0


def _mg_limits(
    ing: Ingredient, weight: float | None, windowed: bool = False
) -> list[tuple[float | None, Limit, str]]:
    out: list[tuple[float | None, Limit, str]] = []
    for lim in ing.limits:
        if windowed and lim.window_hours is None:
            continue
        assert lim.kind not in ("max_mg", "max_mg_per_kg") or lim.value is not None
        if lim.kind == "max_mg" and lim.value is not None:
            out.append((lim.value, lim, f"absolute max {num(lim.value)} mg"))
        elif lim.kind == "max_mg_per_kg" and lim.value is not None:
            if weight is None:
                out.append((None, lim, f"{num(lim.value)} mg/kg (weight unknown)"))
            else:
                value = round(lim.value * weight, DIGITS)
                out.append(
                    (value, lim, f"{num(lim.value)} mg/kg x {num(weight)} kg = {num(value)} mg")
                )
    return out


def _known_limits(
    ing: Ingredient,
    usages: Sequence[Usage],
    mine: Sequence[Usage],
    weight: float | None,
    family: frozenset[str],
    windowed: bool,
) -> tuple[list[Finding], list[_Known]]:
    """The mg limits that apply, each with its counted mg; a stop for each that needs the
    weight we do not have."""
    findings: list[Finding] = []
    known: list[_Known] = []
    for value, lim, text in _mg_limits(ing, weight, windowed):
        pool = usages if lim.counts_family else mine
        applicable = [u for u in pool if applies(lim, ing.slug, u.formula)]
        if not applicable or not mine:
            continue
        if value is None:
            findings.append(
                F.make(
                    F.WEIGHT_REQUIRED,
                    "stop",
                    f"{ing.name}: the patient's weight is needed to check the {text} limit.",
                    lim.source,
                    lim.grade,
                    ingredient=ing.slug,
                )
            )
            continue
        counted = total(_counted_mg(lim, ing.slug, family, u) for u in applicable)
        known.append(_Known(value, lim, text, counted))
    return findings, known


def _governing(known: Sequence[_Known]) -> _Known:
    """The limit that is breached by the most, else the lowest: one line, one finding."""
    breaches = [k for k in known if k.counted_mg > k.value]
    if breaches:
        return max(breaches, key=lambda k: k.counted_mg - k.value)
    return min(known, key=lambda k: k.value)


def _basis(ing: Ingredient, known: Sequence[_Known], chosen: _Known, amount: float) -> str:
    lim, counted = chosen.limit, chosen.counted_mg
    basis = "; ".join(k.text for k in known)
    if len(known) > 1:
        basis += f"; the lower, {num(chosen.value)} mg, applies"
    if lim.counts_family and counted != amount:
        basis += f"; {num(counted)} mg of {ing.family} from every source counts"
    elif counted != amount:
        basis += (
            f"; {num(counted)} of the {num(amount)} mg counts against it "
            f"(not in the recognised mixture with {lim.unless_with})"
        )
    return basis


def _over_limit(ing: Ingredient, chosen: _Known, basis: str, period: str) -> Finding:
    lim, value, counted = chosen.limit, chosen.value, chosen.counted_mg
    over = counted - value
    what = (
        f"{num(counted)} mg of {ing.family} in all (plain and with epinephrine)"
        if lim.counts_family
        else f"{num(counted)} mg"
    )
    return F.make(
        F.DOSE_LIMIT,
        severity(lim.grade),
        f"{ing.name}: {what} {period} exceeds the limit of "
        f"{num(value)} mg by {num(over)} mg{percent(over, value)} "
        f"[{basis}].",
        lim.source,
        lim.grade,
        ingredient=ing.slug,
    )


def _unlimited_basis(ing: Ingredient) -> str:
    if not any(lim.kind in ("max_mg", "max_mg_per_kg") for lim in ing.limits):
        return NO_LIMIT_TEXT
    return "the label limit does not apply to this formula: " + "; ".join(
        f"{lim.note} (not in the recognised mixture with {lim.unless_with})"
        for lim in ing.limits
        if lim.kind == "max_mg" and lim.unless_with
    )


def dose_line(
    ing: Ingredient,
    usages: Sequence[Usage],
    weight: float | None,
    family: frozenset[str] = frozenset(),
    period: str = "this session",
    windowed: bool = False,
) -> tuple[DoseLine, list[Finding]]:
    """The ingredient's line on the plan (amount against its governing mg limit), and the
    stops: dose over the limit, or weight needed to know the limit."""
    slug = ing.slug
    mine = [u for u in usages if slug in u.formula]
    amount = total(_mg(u, slug) for u in mine)
    findings, known = _known_limits(ing, usages, mine, weight, family, windowed)
    chosen = _governing(known) if known else None
    if chosen is not None:
        basis = _basis(ing, known, chosen, amount)
        if chosen.counted_mg > chosen.value:
            findings.append(_over_limit(ing, chosen, basis, period))
    else:
        basis = _unlimited_basis(ing)
    volume = total(u.volume_ml for u in mine)
    line = DoseLine(
        ingredient=slug,
        name=ing.name,
        measure=ing.measure,
        mg_per_session=amount if ing.measure == "mg" else None,
        mg_against_limit=chosen.counted_mg if chosen else None,
        ml_per_session=volume if ing.measure == "mg" else amount,
        injections=sum(u.injections for u in mine),
        limit_mg=chosen.value if chosen else None,
        limit_source=chosen.limit.source.text if chosen else f"{NO_LIMIT_TEXT} ({basis})",
        limit_grade=chosen.limit.grade if chosen else None,
        basis=basis,
    )
    return line, findings


def _count_and_volume(ing: Ingredient, usages: Sequence[Usage]) -> list[Finding]:
    out = []
    for lim in ing.limits:
        if lim.kind not in ("max_injections", "max_volume_ml") or lim.value is None:
            continue
        applicable = [
            u for u in usages if ing.slug in u.formula and applies(lim, ing.slug, u.formula)
        ]
        if not applicable:
            continue
        if lim.kind == "max_injections":
            count = sum(u.injections for u in applicable)
            if count > lim.value:
                out.append(
                    F.make(
                        F.INJECTION_COUNT_LIMIT,
                        severity(lim.grade),
                        f"{ing.name}: {count} injections this session exceed the maximum of "
                        f"{num(lim.value)} by {num(count - lim.value)} ({lim.note}).",
                        lim.source,
                        lim.grade,
                        ingredient=ing.slug,
                    )
                )
        else:
            volume = total(u.volume_ml for u in applicable)
            if volume > lim.value:
                out.append(
                    F.make(
                        F.VOLUME_LIMIT,
                        severity(lim.grade),
                        f"{ing.name}: {num(volume)} mL this session exceeds the maximum of "
                        f"{num(lim.value)} mL by {num(volume - lim.value)} mL ({lim.note}).",
                        lim.source,
                        lim.grade,
                        ingredient=ing.slug,
                    )
                )
    return out


def check_window(
    ref: Reference, usages: Sequence[Usage], weight_kg: float | None, period: str
) -> list[Finding]:
    """The limits that also bound a rolling window (lidocaine: every source in 24 h)."""
    findings: list[Finding] = []
    for slug in sorted({slug for u in usages for slug in u.formula}):
        ing = ref.ingredients[slug]
        if any(lim.window_hours for lim in ing.limits):
            _, found = dose_line(
                ing, usages, weight_kg, family_of(ref, slug), period, windowed=True
            )
            findings += found
    return findings


def check_usages(
    ref: Reference, usages: Sequence[Usage], weight_kg: float | None
) -> tuple[list[Finding], list[DoseLine]]:
    """Check one session (all areas together) against every per-session limit."""
    findings: list[Finding] = []
    lines: list[DoseLine] = []
    present = sorted({slug for u in usages for slug in u.formula})
    for slug in present:
        ing = ref.ingredients[slug]
        line, dose_findings = dose_line(ing, usages, weight_kg, family_of(ref, slug))
        lines.append(line)
        findings += dose_findings
        findings += _count_and_volume(ing, usages)
        for u in usages:
            if slug in u.formula and u.area:
                findings += per_area(ref, ing, u)
        if ing.no_sourced_limit:
            nsl = ref.sources["no-sourced-limit"]
            findings.append(
                F.make(
                    F.NO_SOURCED_LIMIT,
                    "warning",
                    f"{ing.name}: {NO_LIMIT_TEXT}.",
                    nsl,
                    "none",
                    ingredient=slug,
                )
            )
    return F.dedupe(findings), lines
