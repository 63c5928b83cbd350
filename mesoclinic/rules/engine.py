"""The planner: profile + requests -> a checked, explained, dated and priced plan."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from . import findings as F
from . import layout
from .aftercare import aftercare_lines
from .contraindications import check_patient
from .errors import RulesInputError
from .exposure import Given, earlier_sessions
from .inputs import (
    Resolved,
    describe,
    explicit_points_by_side,
    resolve_request,
)
from .limits import DIGITS, Usage, check_course, check_keep_clear, check_usages, largest_fit
from .loader import load_reference
from .models import Override, PatientProfile, Point, TreatmentRequest
from .profile import validate_profile
from .quote import QuoteItem, build_quote
from .reference import Reference
from .results import (
    AreaPlan,
    Finding,
    FollowUp,
    KeepClearZone,
    Plan,
    Proposal,
    ProposedArea,
    Quote,
    ScheduledSession,
)
from .schedule import combine, gaps, session_dates

MAX_EXPLICIT_POINTS = 10_000


@dataclass(frozen=True)
class _Side:
    resolved: Resolved
    plan: AreaPlan
    usage: Usage


def _round_points(points: Sequence[Point]) -> tuple[Point, ...]:
    return tuple((round(x, layout.ROUND_DIGITS), round(y, layout.ROUND_DIGITS)) for x, y in points)


def _geometry(r: Resolved, side: str | None) -> tuple[tuple[Point, ...], tuple[KeepClearZone, ...]]:
    """The side's outline and keep-clear paths, scaled so the outline measures area_cm2."""
    area = r.area
    outline = area.mirror(area.outline) if side == "left" else area.outline
    origin = layout.centroid(outline)
    factor = math.sqrt(r.area_cm2 * 100.0 / layout.polygon_area(outline))
    zones = []
    for k in area.keep_clear:
        path = area.mirror(k.path) if side == "left" else k.path
        zones.append(
            KeepClearZone(
                k.structure,
                k.margin_mm,
                _round_points(layout.scale_about(path, origin, factor)),
                k.source.text,
            )
        )
    return _round_points(layout.scale_about(outline, origin, factor)), tuple(zones)


def _grid_points(
    r: Resolved, outline: tuple[Point, ...], zones: Sequence[KeepClearZone]
) -> tuple[tuple[Point, ...], str]:
    assert r.spacing_mm is not None
    keep = [(z.path, z.margin_mm) for z in zones]
    points = tuple(layout.hex_grid(outline, r.spacing_mm, keep))
    basis = f"hexagonal grid {r.spacing_mm:g} mm apart inside the outline" + "".join(
        f"; {z.margin_mm:g} mm clear of the {z.structure}" for z in zones
    )
    proto, wanted = r.protocol, r.protocol.points_per_side
    # A protocol that counts points (5 a side) picks them evenly from the grid, so
    # they keep the spacing; a practitioner's own spacing means their own count.
    if (
        wanted is not None
        and r.technique.slug == proto.technique
        and r.request.spacing_mm is None
        and len(points) > wanted
    ):
        points = tuple(layout.evenly_chosen(points, wanted))
        basis += "; " + describe(f"{wanted} points a side", proto.layout_grade, proto.layout_source)
    return points, basis


def _injections(
    r: Resolved,
    side: str | None,
    explicit: tuple[Point, ...] | None,
    outline: tuple[Point, ...],
    zones: Sequence[KeepClearZone],
    basis: dict[str, str],
) -> tuple[tuple[Point, ...], float | None, float, list[Finding]]:
    """Points (the practitioner's, or a grid), their closest spacing, the volume, and
    what is wrong with them."""
    assert r.spacing_mm is not None and r.volume_per_point_ml is not None
    findings: list[Finding] = []
    spacing: float | None = r.spacing_mm
    if explicit is not None:
        points = explicit
        basis["points"] = f"{len(points)} points placed by the practitioner"
        if len(points) > 1:
            spacing = round(layout.min_pair_distance(points), DIGITS)
        findings += check_keep_clear(r.area, side, points, zones)
    else:
        points, basis["points"] = _grid_points(r, outline, zones)
    volume = round(len(points) * r.volume_per_point_ml, DIGITS)
    basis["total_volume_ml"] = (
        f"{len(points)} points x {r.volume_per_point_ml:g} mL = {volume:g} mL"
    )
    if not points:
        findings.append(
            F.make(
                F.NO_POINTS_FIT,
                "warning",
                f"No injection point fits in {r.area.name} at {r.spacing_mm:g} mm spacing"
                + (" outside the keep-clear zones." if zones else "."),
                r.technique.source,
                r.technique.grade,
                area=r.area.slug,
                side=side,
            )
        )
    return points, spacing, volume, findings


def _lay_out_side(
    r: Resolved, side: str | None, explicit: tuple[Point, ...] | None
) -> tuple[_Side, list[Finding]]:
    outline, zones = _geometry(r, side)
    findings: list[Finding] = []
    tech = r.technique
    basis = dict(r.basis)
    points: tuple[Point, ...] = ()
    spacing = r.spacing_mm
    if tech.injection:
        points, spacing, volume, findings = _injections(r, side, explicit, outline, zones, basis)
    else:
        assert r.topical_volume_ml is not None
        volume = r.topical_volume_ml
    needle = None
    if tech.needle_gauge is not None and tech.needle_length_mm is not None:
        needle = (tech.needle_gauge, tech.needle_length_mm)
    plan = AreaPlan(
        concern=r.request.concern,
        area=r.area.slug,
        side=side,
        protocol=r.protocol.slug,
        technique=tech.slug,
        view=r.area.view.slug,
        area_cm2=r.area_cm2,
        outline=outline,
        depth_mm=r.depth_mm,
        spacing_mm=r.spacing_mm,
        points=points,
        volume_per_point_ml=r.volume_per_point_ml,
        total_volume_ml=volume,
        formula=dict(r.formula),
        products=r.products,
        sessions=r.sessions,
        needle=needle,
        keep_clear=zones,
        basis=basis,
    )
    usage = Usage(
        area=r.area.slug,
        side=side,
        formula=r.formula,
        volume_ml=volume,
        injections=len(points),
        volume_per_point_ml=r.volume_per_point_ml if tech.injection else None,
        spacing_mm=spacing if tech.injection else None,
    )
    return _Side(r, plan, usage), findings


def _lay_out(r: Resolved) -> tuple[list[_Side], list[Finding]]:
    explicit: dict[str | None, tuple[Point, ...]] | None = None
    where = f"requests[{r.index}]"
    if r.request.points is not None:
        if len(r.request.points) > MAX_EXPLICIT_POINTS:
            raise RulesInputError(f"{where}.points", len(r.request.points), "too many points")
        outlines = {side: _geometry(r, side)[0] for side in r.sides}
        explicit = explicit_points_by_side(tuple(r.request.points), outlines, where)
    sides, findings = [], []
    for side in r.sides:
        laid, found = _lay_out_side(r, side, None if explicit is None else explicit[side])
        sides.append(laid)
        findings += found
    return sides, findings


def _label(r: Resolved) -> str:
    if len(r.sides) == 1 and r.sides[0] is not None:
        return f"{r.area.slug} ({r.sides[0]})"
    return r.area.slug


def _proposal(
    ref: Reference,
    sides: Sequence[_Side],
    weight: float | None,
    stops: Sequence[Finding],
    overridden: Sequence[Finding],
) -> Proposal | None:
    reasons = tuple(dict.fromkeys(f.code for f in stops if f.code in F.QUANTITATIVE))
    if not reasons:
        return None
    ignored = {(f.code, f.ingredient) for f in overridden if f.code in F.QUANTITATIVE}
    usages = [s.usage for s in sides]
    counts = largest_fit(ref, usages, weight, ignored)
    if counts is None:
        return None
    proposed, changes = [], []
    doses: dict[str, float] = {}
    for s, n in zip(sides, counts, strict=True):
        vpp = s.usage.volume_per_point_ml
        volume = round(n * vpp, DIGITS) if vpp is not None else s.usage.volume_ml
        for ing, conc in s.usage.formula.items():
            if ref.ingredients[ing].measure == "mg":
                doses[ing] = round(doses.get(ing, 0.0) + volume * conc, DIGITS)
        if vpp is None:
            continue
        points = tuple(layout.evenly_chosen(s.plan.points, n))
        proposed.append(ProposedArea(s.plan.area, s.plan.side, points, vpp, volume))
        if n != len(s.plan.points):
            where = f"{s.plan.area} ({s.plan.side})" if s.plan.side else s.plan.area
            changes.append(
                f"{where}: {n} injections ({volume:g} mL) instead of {len(s.plan.points)}"
            )
    message = "Largest plan within the limits, same spacing and volume per point: " + "; ".join(
        changes
    )
    return Proposal(reasons, tuple(proposed), dict(sorted(doses.items())), message + ".")


def _check_arguments(requests: Sequence[TreatmentRequest], overrides: Sequence[Override]) -> None:
    if not requests:
        raise RulesInputError("requests", [], "at least one treatment request is needed")
    for ov in overrides:
        if not isinstance(ov, Override):
            raise RulesInputError("overrides", ov, "expected Override(code, reason, area=None)")


# A follow-up: its day, the area's label, and the session day it follows.
_FollowUpDay = tuple[dt.date, str, dt.date]


def _courses(
    ref: Reference, resolved: Sequence[Resolved], start: dt.date, history: Sequence[Given]
) -> tuple[list[Finding], list[tuple[str, list[dt.date]]], list[_FollowUpDay]]:
    """Each request's course checked, its session dates, and the follow-ups they bring."""
    earlier = earlier_sessions(history)
    findings: list[Finding] = []
    per_area_dates = []
    follow_ups: list[_FollowUpDay] = []
    for r in resolved:
        findings += check_course(
            ref,
            area=r.area.slug,
            formula=r.formula,
            protocol=r.protocol,
            gaps=gaps(r.phases),
            sessions=r.sessions,
            prior=tuple(r.request.prior_sessions),
            start=start,
            earlier=earlier,
        )
        dates = session_dates(start, r.phases)
        per_area_dates.append((_label(r), dates))
        if r.protocol.follow_up_days is not None and r.technique.slug == r.protocol.technique:
            days = dt.timedelta(days=r.protocol.follow_up_days)
            follow_ups += [(d + days, _label(r), d) for d in dates]
    return findings, per_area_dates, follow_ups


def _quote(ref: Reference, resolved: Sequence[Resolved], sides: Sequence[_Side]) -> Quote:
    return build_quote(
        ref,
        [
            QuoteItem(
                area=r.area.slug,
                products=r.products,
                volume_ml=round(sum(s.usage.volume_ml for s in sides if s.resolved is r), DIGITS),
                sides=len(r.sides),
                sessions_min=r.sessions
                if r.request.sessions
                else min(r.sessions, r.protocol.sessions_min),
                sessions_max=r.sessions
                if r.request.sessions
                else max(r.sessions, r.protocol.sessions_max),
            )
            for r in resolved
        ],
    )


def build_plan(
    profile: PatientProfile,
    requests: Sequence[TreatmentRequest],
    *,
    start: dt.date | None = None,
    today: dt.date | None = None,
    overrides: Sequence[Override] = (),
    reference: Reference | None = None,
    history: Sequence[Given] = (),
) -> Plan:
    """Plan one visit's treatments and the course that follows. See the package docstring.

    ``history`` is the patient's charted record (:class:`~.exposure.Given` rows): courses
    and intervals count every earlier session that carried an ingredient, in any plan.
    """
    ref = reference or load_reference()
    today = today or dt.date.today()
    start = start or today
    _check_arguments(requests, overrides)
    facts = validate_profile(profile, ref, today)
    resolved = [resolve_request(req, i, ref, start) for i, req in enumerate(requests)]
    sides: list[_Side] = []
    findings: list[Finding] = []
    for r in resolved:
        laid, found = _lay_out(r)
        sides += laid
        findings += r.findings + found
    findings = check_patient(ref, facts, resolved) + findings
    dose_findings, doses = check_usages(ref, [s.usage for s in sides], facts.weight_kg)
    findings += dose_findings
    course_findings, per_area_dates, follow_ups = _courses(ref, resolved, start, history)
    findings += course_findings
    active, overridden, outcomes = F.apply_overrides(F.dedupe(findings), overrides)
    stops = [f for f in active if f.severity == "stop"]
    visits = combine(per_area_dates)
    number_of = {day: n for n, day, _ in visits}
    practice = ref.sources["practice-default"].text
    return Plan(
        areas=tuple(s.plan for s in sides),
        doses=tuple(doses),
        schedule=tuple(ScheduledSession(n, day, labels) for n, day, labels in visits),
        follow_ups=tuple(
            FollowUp(day, number_of[session_day], label, practice)
            for day, label, session_day in sorted(set(follow_ups))
        ),
        quote=_quote(ref, resolved, sides),
        aftercare=aftercare_lines(ref, resolved, facts),
        hard_stops=tuple(stops),
        warnings=tuple(f for f in active if f.severity == "warning"),
        overridden=tuple(overridden),
        overrides=tuple(outcomes),
        proposal=_proposal(ref, sides, facts.weight_kg, stops, overridden),
        age=facts.age,
        reference_versions=dict(ref.versions),
    )
