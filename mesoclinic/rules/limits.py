"""Every dose, count, volume, spacing, area, course and interval limit is checked here.

"Where is the dose limit checked?" -- :func:`check_usages` for one session,
:func:`check_course` for a course, :func:`check_keep_clear` for hand-placed
points. :func:`mesoclinic.rules.build_plan` and
:func:`mesoclinic.rules.check_session_doses` call them; nothing else compares
a quantity with a limit.

Severity follows the grade: a grade-A or grade-B limit that is exceeded is a hard
stop (B can be overridden with a reason), a grade-C figure is only ever a warning
(clinical-reference: "never as a limit").
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from . import findings as F
from .layout import distance_to_path
from .models import DoseLine, Finding, KeepClearZone, Point, Severity
from .reference import Area, Ingredient, Limit, Protocol, Reference, Source

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


# One earlier charted session: its date and the formulas it gave.
EarlierSession = tuple[dt.date, tuple[Mapping[str, float], ...]]


class MinimumInterval(NamedTuple):
    days: int
    grade: str
    source: str


def _num(x: float) -> str:
    """A number as a person reads it: 2,500 / 0.3 / 315."""
    text = f"{x:,.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _percent(over: float, limit: float) -> str:
    return f" ({100 * over / limit:,.0f}%)" if limit > 0 else ""


def _severity(grade: str) -> Severity:
    return "warning" if grade == "C" else "stop"


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


def _total(values: Iterable[float]) -> float:
    return round(math.fsum(values), DIGITS)


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
            out.append((lim.value, lim, f"absolute max {_num(lim.value)} mg"))
        elif lim.kind == "max_mg_per_kg" and lim.value is not None:
            if weight is None:
                out.append((None, lim, f"{_num(lim.value)} mg/kg (weight unknown)"))
            else:
                value = round(lim.value * weight, DIGITS)
                out.append(
                    (value, lim, f"{_num(lim.value)} mg/kg x {_num(weight)} kg = {_num(value)} mg")
                )
    return out


def _dose_line(
    ing: Ingredient,
    usages: Sequence[Usage],
    weight: float | None,
    family: frozenset[str] = frozenset(),
    period: str = "this session",
    windowed: bool = False,
) -> tuple[DoseLine, list[Finding]]:
    slug = ing.slug
    mine = [u for u in usages if slug in u.formula]
    volume = _total(u.volume_ml for u in mine)
    amount = _total(_mg(u, slug) for u in mine)
    injections = sum(u.injections for u in mine)
    findings: list[Finding] = []
    known = []
    for value, lim, text in _mg_limits(ing, weight, windowed):
        pool = usages if lim.counts_family else mine
        applicable = [u for u in pool if applies(lim, slug, u.formula)]
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
                    ingredient=slug,
                )
            )
            continue
        counted_mg = _total(_counted_mg(lim, slug, family, u) for u in applicable)
        known.append((value, lim, text, counted_mg))
    limit_mg = limit_source = limit_grade = counted = None
    breaches = [k for k in known if k[3] > k[0]]
    if known:
        # The limit that is breached by the most, else the lowest: one line, one finding.
        value, lim, _, applicable_mg = (
            max(breaches, key=lambda k: k[3] - k[0]) if breaches else min(known, key=lambda k: k[0])
        )
        limit_mg, limit_source, limit_grade = value, lim.source.text, lim.grade
        counted = applicable_mg
        parts = [k[2] for k in known]
        basis = "; ".join(parts)
        if len(known) > 1:
            basis += f"; the lower, {_num(value)} mg, applies"
        if lim.counts_family and applicable_mg != amount:
            basis += f"; {_num(applicable_mg)} mg of {ing.family} from every source counts"
        elif applicable_mg != amount:
            basis += (
                f"; {_num(applicable_mg)} of the {_num(amount)} mg counts against it "
                f"(not in the recognised mixture with {lim.unless_with})"
            )
        if applicable_mg > value:
            over = applicable_mg - value
            what = (
                f"{_num(applicable_mg)} mg of {ing.family} in all (plain and with epinephrine)"
                if lim.counts_family
                else f"{_num(applicable_mg)} mg"
            )
            findings.append(
                F.make(
                    F.DOSE_LIMIT,
                    _severity(lim.grade),
                    f"{ing.name}: {what} {period} exceeds the limit of "
                    f"{_num(value)} mg by {_num(over)} mg{_percent(over, value)} "
                    f"[{basis}].",
                    lim.source,
                    lim.grade,
                    ingredient=slug,
                )
            )
    elif any(lim.kind in ("max_mg", "max_mg_per_kg") for lim in ing.limits):
        basis = "the label limit does not apply to this formula: " + "; ".join(
            f"{lim.note} (not in the recognised mixture with {lim.unless_with})"
            for lim in ing.limits
            if lim.kind == "max_mg" and lim.unless_with
        )
    else:
        basis = NO_LIMIT_TEXT
    line = DoseLine(
        ingredient=slug,
        name=ing.name,
        measure=ing.measure,
        mg_per_session=amount if ing.measure == "mg" else None,
        mg_against_limit=counted,
        ml_per_session=volume if ing.measure == "mg" else amount,
        injections=injections,
        limit_mg=limit_mg,
        limit_source=limit_source if limit_source is not None else f"{NO_LIMIT_TEXT} ({basis})",
        limit_grade=limit_grade,
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
                        _severity(lim.grade),
                        f"{ing.name}: {count} injections this session exceed the maximum of "
                        f"{_num(lim.value)} by {_num(count - lim.value)} ({lim.note}).",
                        lim.source,
                        lim.grade,
                        ingredient=ing.slug,
                    )
                )
        else:
            volume = _total(u.volume_ml for u in applicable)
            if volume > lim.value:
                out.append(
                    F.make(
                        F.VOLUME_LIMIT,
                        _severity(lim.grade),
                        f"{ing.name}: {_num(volume)} mL this session exceeds the maximum of "
                        f"{_num(lim.value)} mL by {_num(volume - lim.value)} mL ({lim.note}).",
                        lim.source,
                        lim.grade,
                        ingredient=ing.slug,
                    )
                )
    return out


def _names(ref: Reference, slugs: Iterable[str]) -> str:
    return ", ".join(ref.areas[s].name if s in ref.areas else s for s in slugs)


def _per_area(ref: Reference, ing: Ingredient, u: Usage) -> list[Finding]:
    out = []
    place = ref.areas[u.area].name if u.area in ref.areas else u.area
    for lim in ing.limits:
        if not applies(lim, ing.slug, u.formula):
            continue
        where = f"{place} ({u.side})" if u.side else place
        if lim.kind == "labelled_areas" and u.area not in lim.areas:
            out.append(
                F.make(
                    F.AREA_NOT_INDICATED,
                    _severity(lim.grade),
                    f"{ing.name} is not indicated for {place}: {lim.note} "
                    f"({_names(ref, lim.areas)}).",
                    lim.source,
                    lim.grade,
                    area=u.area,
                    side=u.side,
                    ingredient=ing.slug,
                )
            )
        elif lim.kind == "established_areas" and u.area not in lim.areas:
            out.append(
                F.make(
                    F.AREA_NOT_ESTABLISHED,
                    "warning",
                    f"{ing.name} on {place}: use not established; {lim.note} "
                    f"({_names(ref, lim.areas)}).",
                    lim.source,
                    lim.grade,
                    area=u.area,
                    side=u.side,
                    ingredient=ing.slug,
                )
            )
        elif (
            lim.kind == "max_volume_per_injection_ml"
            and lim.value is not None
            and u.volume_per_point_ml is not None
            and u.injections
            and u.volume_per_point_ml > lim.value
        ):
            out.append(
                F.make(
                    F.VOLUME_PER_POINT_LIMIT,
                    _severity(lim.grade),
                    f"{ing.name} in {where}: {_num(u.volume_per_point_ml)} mL per injection "
                    f"exceeds {_num(lim.value)} mL by {_num(u.volume_per_point_ml - lim.value)} mL "
                    f"({lim.note}).",
                    lim.source,
                    lim.grade,
                    area=u.area,
                    side=u.side,
                    ingredient=ing.slug,
                )
            )
        elif (
            lim.kind == "min_spacing_mm"
            and lim.value is not None
            and u.spacing_mm is not None
            and u.injections > 1
            and u.spacing_mm < lim.value
        ):
            out.append(
                F.make(
                    F.SPACING_TOO_CLOSE,
                    _severity(lim.grade),
                    f"{ing.name} in {where}: injections {_num(u.spacing_mm)} mm apart, "
                    f"closer than {_num(lim.value)} mm by {_num(lim.value - u.spacing_mm)} mm "
                    f"({lim.note}).",
                    lim.source,
                    lim.grade,
                    area=u.area,
                    side=u.side,
                    ingredient=ing.slug,
                )
            )
    mixture = ing.mixture
    if (
        mixture is not None
        and u.formula.get(mixture.with_, 0.0) > 0.0
        and not in_mixture(mixture.with_, mixture.ratio, mixture.tolerance, ing.slug, u.formula)
    ):
        out.append(
            F.make(
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
        )
    conc = ing.concentration
    value = u.formula[ing.slug]
    if conc is not None and in_mixture(
        conc.unless_with, conc.unless_ratio, conc.unless_tolerance, ing.slug, u.formula
    ):
        conc = None
    if conc is not None and not (
        conc.min_mg_per_ml * (1 - 1e-9) <= value <= conc.max_mg_per_ml * (1 + 1e-9)
    ):
        usual = (
            f"{_num(conc.min_mg_per_ml)} mg/mL"
            if conc.min_mg_per_ml == conc.max_mg_per_ml
            else f"{_num(conc.min_mg_per_ml)}-{_num(conc.max_mg_per_ml)} mg/mL"
        )
        out.append(
            F.make(
                F.CONCENTRATION_UNUSUAL,
                "warning",
                f"{ing.name} at {_num(value)} mg/mL in {place}; the sourced concentration is "
                f"{usual}.",
                conc.source,
                conc.grade,
                area=u.area,
                ingredient=ing.slug,
            )
        )
    return out


def family_of(ref: Reference, slug: str) -> frozenset[str]:
    """Every slug of the same drug (lidocaine, lidocaine with epinephrine), or the slug alone."""
    family = ref.ingredients[slug].family
    if family is None:
        return frozenset({slug})
    return frozenset(s for s, i in ref.ingredients.items() if i.family == family)


def check_window(
    ref: Reference, usages: Sequence[Usage], weight_kg: float | None, period: str
) -> list[Finding]:
    """The limits that also bound a rolling window (lidocaine: every source in 24 h)."""
    findings: list[Finding] = []
    for slug in sorted({slug for u in usages for slug in u.formula}):
        ing = ref.ingredients[slug]
        if any(lim.window_hours for lim in ing.limits):
            _, found = _dose_line(
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
        line, dose_findings = _dose_line(ing, usages, weight_kg, family_of(ref, slug))
        lines.append(line)
        findings += dose_findings
        findings += _count_and_volume(ing, usages)
        for u in usages:
            if slug in u.formula and u.area:
                findings += _per_area(ref, ing, u)
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
                    _severity(rule.grade),
                    f"{len(near)} point(s) in {area.name} lie within {zone.margin_mm:g} mm of "
                    f"the {zone.structure}.",
                    rule.source,
                    rule.grade,
                    area=area.slug,
                    side=side,
                )
            )
    return out


def _interval_limits(
    ref: Reference, formula: Mapping[str, float], protocol: Protocol | None
) -> list[tuple[int, str, Source, str, tuple[Limit, str] | None]]:
    out: list[tuple[int, str, Source, str, tuple[Limit, str] | None]] = []
    for slug in sorted(formula):
        ing = ref.ingredients[slug]
        for lim in ing.limits_of("min_interval_days"):
            if lim.value is not None and applies(lim, slug, formula):
                out.append((int(lim.value), lim.grade, lim.source, ing.name, (lim, slug)))
    if protocol is not None and protocol.min_interval_days is not None:
        out.append(
            (
                protocol.min_interval_days,
                protocol.schedule_grade,
                protocol.schedule_source,
                f"Protocol {protocol.name}",
                None,
            )
        )
    return out


def minimum_interval(
    ref: Reference, protocol: Protocol | None = None, formula: Mapping[str, float] | None = None
) -> MinimumInterval:
    """The strictest sourced minimum interval in days, with its grade and source."""
    if formula is None:
        formula = dict(protocol.formula) if protocol is not None else {}
        if protocol is not None and protocol.products:
            from .inputs import mix

            formula = mix(protocol.products, ref)
    found = _interval_limits(ref, formula, protocol)
    if not found:
        return MinimumInterval(0, "none", f"{NO_LIMIT_TEXT} (no sourced minimum interval)")
    days, grade, source, _, _ = max(found, key=lambda f: (f[0], f[1] == "A"))
    return MinimumInterval(days, grade, source.text)


def check_course(
    ref: Reference,
    *,
    area: str,
    formula: Mapping[str, float],
    protocol: Protocol | None,
    gaps: Sequence[int],
    sessions: int,
    prior: Sequence[dt.date],
    start: dt.date,
    earlier: Sequence[EarlierSession] = (),
) -> list[Finding]:
    """Course length and minimum intervals, including sessions already given.

    ``prior`` are dates given for this area by hand; ``earlier`` is the patient's charted
    history (any plan, ad hoc too), counted for each limit where it carried the ingredient
    in a formula that limit applies to.
    """
    out: list[Finding] = []

    def given_before(lim: Limit, slug: str) -> list[dt.date]:
        charted = [
            day
            for day, formulas in earlier
            if day < start and any(f.get(slug, 0.0) > 0 and applies(lim, slug, f) for f in formulas)
        ]
        return sorted([*prior, *charted])

    for slug in sorted(formula):
        ing = ref.ingredients[slug]
        for lim in ing.limits_of("max_sessions"):
            if lim.value is None or not applies(lim, slug, formula):
                continue
            before = given_before(lim, slug)
            total = len(before) + sessions
            if total > lim.value:
                room = max(0, int(lim.value) - len(before))
                given = (
                    f"{len(before)} already given + {sessions} planned"
                    if before
                    else f"{sessions} planned"
                )
                out.append(
                    F.make(
                        F.COURSE_TOO_LONG,
                        _severity(lim.grade),
                        f"{ing.name}: {total} sessions ({given}) exceed the maximum of "
                        f"{_num(lim.value)} by {_num(total - lim.value)}; at most {room} more "
                        f"can be planned ({lim.note}).",
                        lim.source,
                        lim.grade,
                        area=area,
                        ingredient=slug,
                    )
                )
    for days, grade, source, who, limit in _interval_limits(ref, formula, protocol):
        before = given_before(*limit) if limit is not None else sorted(prior)
        short = [g for g in gaps if g < days]
        if short:
            out.append(
                F.make(
                    F.INTERVAL_TOO_SHORT,
                    _severity(grade),
                    f"{who}: sessions planned {min(short)} days apart; at least {days} days are "
                    f"needed (short by {days - min(short)} days).",
                    source,
                    grade,
                    area=area,
                )
            )
        if before:
            since = (start - before[-1]).days
            if since < days:
                earliest = before[-1] + dt.timedelta(days=days)
                out.append(
                    F.make(
                        F.INTERVAL_TOO_SHORT,
                        _severity(grade),
                        f"{who}: {since} days since the last session on {before[-1]:%d %b %Y}; "
                        f"at least {days} days are needed (earliest {earliest:%d %b %Y}).",
                        source,
                        grade,
                        area=area,
                    )
                )
    return F.dedupe(out)


def _violations(
    ref: Reference,
    usages: Sequence[Usage],
    weight: float | None,
    ignored: set[tuple[str, str | None]],
) -> list[Finding]:
    found, _ = check_usages(ref, usages, weight)
    return [
        f
        for f in found
        if f.code in F.QUANTITATIVE
        and f.severity == "stop"
        and (f.code, f.ingredient) not in ignored
    ]


def largest_fit(
    ref: Reference,
    usages: Sequence[Usage],
    weight: float | None,
    ignored: set[tuple[str, str | None]] = frozenset(),  # type: ignore[assignment]
) -> list[int] | None:
    """Injection counts per usage for the largest plan that fits every active limit.

    Only areas that carry an ingredient in breach lose points; each keeps its volume
    per point and spacing (the label fixes both for deoxycholic acid). Returns None
    when fewer points cannot help (a fixed, needle-free volume is already too much).
    """
    first = _violations(ref, usages, weight, ignored)
    if not first:
        return [u.injections for u in usages]
    breached = {f.ingredient for f in first}
    scalable = [
        i
        for i, u in enumerate(usages)
        if u.volume_per_point_ml is not None and breached & set(u.formula)
    ]

    def with_counts(counts: Sequence[int]) -> list[Usage]:
        out = list(usages)
        for i in scalable:
            vpp = usages[i].volume_per_point_ml
            assert vpp is not None
            out[i] = replace(
                usages[i], injections=counts[i], volume_ml=round(counts[i] * vpp, DIGITS)
            )
        return out

    def fits(counts: Sequence[int]) -> bool:
        return not _violations(ref, with_counts(counts), weight, ignored)

    full = [u.injections for u in usages]

    def scaled(s: float) -> list[int]:
        return [math.floor(full[i] * s) if i in scalable else full[i] for i in range(len(usages))]

    if not fits(scaled(0.0)):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(scaled(mid)) else (lo, mid)
    counts = scaled(lo)
    grown = True
    while grown:  # floor() can leave a point or two of room per area
        grown = False
        for i in scalable:
            if counts[i] < full[i]:
                trial = list(counts)
                trial[i] += 1
                if fits(trial):
                    counts, grown = trial, True
    return counts
