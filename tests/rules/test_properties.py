"""Property-based tests over random profiles, areas and formulas.

Whatever is asked: either a hard stop says a limit is exceeded or every limit holds;
points lie inside their outline and never closer than the spacing; totals equal
their parts; every limit and finding traces to a section of clinical-reference.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.rules import (
    PatientProfile,
    RulesInputError,
    TreatmentRequest,
    build_plan,
    layout,
    load_reference,
    minimum_interval,
)
from mesoclinic.rules.limits import applies

from .helpers import START, TODAY

REF = load_reference()
SECTION = re.compile(r"Clinical reference §[1-8]")
MEDICATIONS = ["warfarin", "Eliquis", "aspirin", "paracetamol", "Plavix", "vitamin D"]
PROFILE_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def profiles(draw):
    return PatientProfile(
        weight_kg=draw(st.one_of(st.none(), st.floats(1, 400))),
        pregnant=draw(st.booleans()),
        breastfeeding=draw(st.booleans()),
        allergies=draw(st.sets(st.sampled_from(sorted(REF.ingredients)), max_size=2)),
        medications=draw(st.lists(st.sampled_from(MEDICATIONS), max_size=2)),
        conditions=draw(
            st.sets(
                st.sampled_from(sorted(REF.conditions) + sorted(REF.lifestyle_factors)), max_size=3
            )
        ),
        infected_areas=draw(st.sets(st.sampled_from(sorted(REF.areas)), max_size=1)),
        fitzpatrick=draw(st.one_of(st.none(), st.integers(1, 6))),
    )


@st.composite
def requests(draw):
    proto = draw(st.sampled_from(sorted(REF.protocols.values(), key=lambda p: p.slug)))
    area = draw(st.one_of(st.sampled_from(proto.areas), st.sampled_from(sorted(REF.areas))))
    kw = {}
    if draw(st.booleans()):
        kw["area_cm2"] = draw(st.floats(1, 800))
    if draw(st.integers(0, 3)) == 0:
        ingredients = st.sampled_from(sorted(REF.ingredients))
        kw["formula"] = draw(
            st.dictionaries(ingredients, st.floats(0.1, 200), min_size=1, max_size=3)
        )
    tech = REF.techniques[proto.technique]
    if tech.injection:
        if draw(st.booleans()):
            kw["spacing_mm"] = draw(st.floats(2, 40))
        if draw(st.booleans()):
            kw["volume_per_point_ml"] = draw(st.floats(0.005, 0.5))
    if REF.areas[area].paired:
        kw["side"] = draw(st.sampled_from(["left", "right", "both"]))
    if draw(st.integers(0, 4)) == 0:
        kw["sessions"] = draw(st.integers(1, 12))
    return TreatmentRequest(proto.concerns[0], area, protocol=proto.slug, **kw)


def _plan(profile, reqs):
    return build_plan(profile, reqs, start=START, today=TODAY)


def _stop(plan, code, ingredient):
    return any(f.code == code and f.ingredient == ingredient for f in plan.hard_stops)


def _min_distance_at_least(points, spacing):
    """Bucketed neighbour check: O(n), so large layouts can be checked too."""
    buckets = defaultdict(list)
    for p in points:
        buckets[(math.floor(p[0] / spacing), math.floor(p[1] / spacing))].append(p)
    for (bx, by), here in buckets.items():
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for q in buckets.get((bx + dx, by + dy), ()):
                    for p in here:
                        if p is not q and p != q and math.dist(p, q) < spacing - 1e-9:
                            return False
    return len(set(points)) == len(points)


@PROFILE_SETTINGS
@given(profiles(), st.lists(requests(), min_size=1, max_size=3))
def test_a_limit_is_either_kept_or_reported_as_a_stop(profile, reqs):
    plan = _plan(profile, reqs)
    stopped = {(f.code, f.ingredient) for f in plan.hard_stops}
    for line in plan.doses:
        # A limit counts only the milligrams it applies to (deoxycholic acid given alone,
        # not inside PC/DC): the engine reports those as mg_against_limit.
        counted = line.mg_per_session if line.mg_against_limit is None else line.mg_against_limit
        if line.limit_mg is not None and counted is not None:
            assert counted <= line.limit_mg or ("DOSE_LIMIT", line.ingredient) in stopped
    # Recount injections and volumes from the areas, independently of limits.py.
    for slug, ing in REF.ingredients.items():
        for lim in ing.limits:
            used = [a for a in plan.areas if slug in a.formula and applies(lim, slug, a.formula)]
            if lim.kind == "max_injections":
                count = sum(len(a.points) for a in used)
                assert count <= lim.value or _stop(plan, "INJECTION_COUNT_LIMIT", slug)
            if lim.kind == "max_volume_ml":
                volume = round(sum(a.total_volume_ml for a in used), 6)
                assert volume <= lim.value or _stop(plan, "VOLUME_LIMIT", slug)
            if lim.kind == "labelled_areas":
                for a in used:
                    assert a.area in lim.areas or _stop(plan, "AREA_NOT_INDICATED", slug)


@PROFILE_SETTINGS
@given(profiles(), st.lists(requests(), min_size=1, max_size=3))
def test_a_proposal_fits_the_limits_that_stopped_the_plan(profile, reqs):
    plan = _plan(profile, reqs)
    if plan.proposal is None:
        return
    limits = {
        d.ingredient: d.limit_mg
        for d in plan.doses
        if d.limit_mg is not None and d.mg_against_limit == d.mg_per_session
    }
    for slug, mg in plan.proposal.doses_mg.items():
        stopped_here = any(f.code == "DOSE_LIMIT" and f.ingredient == slug for f in plan.hard_stops)
        if stopped_here and slug in limits:
            assert mg <= limits[slug] + 1e-6
    for area in plan.proposal.areas:
        assert area.total_volume_ml == round(len(area.points) * area.volume_per_point_ml, 6)


@PROFILE_SETTINGS
@given(st.lists(requests(), min_size=1, max_size=3))
def test_points_are_inside_and_never_closer_than_the_spacing(reqs):
    plan = _plan(PatientProfile(weight_kg=70), reqs)
    for area in plan.areas:
        assert all(layout.contains(area.outline, p) for p in area.points)
        if area.spacing_mm is not None:
            assert _min_distance_at_least(area.points, area.spacing_mm)
        for zone in area.keep_clear:
            assert all(layout.distance_to_path(p, zone.path) >= zone.margin_mm for p in area.points)


@PROFILE_SETTINGS
@given(st.lists(requests(), min_size=1, max_size=3))
def test_totals_equal_their_parts(reqs):
    plan = _plan(PatientProfile(weight_kg=70), reqs)
    for area in plan.areas:
        if area.volume_per_point_ml is not None:
            assert area.total_volume_ml == round(len(area.points) * area.volume_per_point_ml, 6)
    for line in plan.doses:
        parts = [a for a in plan.areas if line.ingredient in a.formula]
        mg = sum(a.total_volume_ml * a.formula[line.ingredient] for a in parts)
        amount = line.mg_per_session if line.measure == "mg" else line.ml_per_session
        assert math.isclose(amount, mg, rel_tol=1e-9, abs_tol=1e-5)
        assert line.injections == sum(len(a.points) for a in parts)


@PROFILE_SETTINGS
@given(profiles(), st.lists(requests(), min_size=1, max_size=3))
def test_every_number_traces_to_a_source(profile, reqs):
    plan = _plan(profile, reqs)
    for line in plan.doses:
        if line.limit_mg is not None:
            assert SECTION.search(line.limit_source)
            assert line.limit_grade in {"A", "B", "C"}
        else:
            assert "no sourced limit: practitioner judgement" in line.limit_source
    for finding in plan.hard_stops + plan.warnings:
        assert SECTION.search(finding.source), finding
        assert finding.overridable == (finding.grade in {"B", "C"})
    for area in plan.areas:
        for name, text in area.basis.items():
            if name in ("depth_mm", "spacing_mm", "volume_per_point_ml", "sessions", "area_cm2"):
                assert SECTION.search(text) or "by the practitioner" in text, (name, text)


@PROFILE_SETTINGS
@given(profiles(), st.lists(requests(), min_size=1, max_size=2))
def test_plans_are_deterministic_and_json_serialisable(profile, reqs):
    first = json.dumps(_plan(profile, reqs).to_dict(), sort_keys=True)
    assert first == json.dumps(_plan(profile, reqs).to_dict(), sort_keys=True)


@PROFILE_SETTINGS
@given(profiles(), requests())
def test_schedule_honours_the_minimum_interval_or_says_so(profile, req):
    plan = _plan(profile, [req])
    flagged = any(f.code == "INTERVAL_TOO_SHORT" for f in plan.hard_stops + plan.warnings)
    days = minimum_interval(req.protocol).days if req.formula is None else 0
    dates = [s.date for s in plan.schedule]
    assert flagged or all((b - a).days >= days for a, b in zip(dates, dates[1:], strict=False))


@st.composite
def star_polygons(draw):
    n = draw(st.integers(3, 12))
    angles = sorted(
        draw(st.lists(st.floats(0, 2 * math.pi - 0.01), min_size=n, max_size=n, unique=True))
    )
    radii = draw(st.lists(st.floats(5, 150), min_size=n, max_size=n))
    cx, cy = draw(st.floats(-500, 500)), draw(st.floats(-500, 500))
    return [
        (cx + r * math.cos(a), cy + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)
    ]


@settings(max_examples=200, deadline=None)
@given(star_polygons(), st.floats(2, 60))
def test_hex_grid_on_any_star_polygon(poly, spacing):
    points = layout.hex_grid(poly, spacing)
    assert all(layout.contains(poly, p) for p in points)
    assert _min_distance_at_least(points, spacing)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 500))
def test_weights_outside_0_to_400_kg_are_refused(weight):
    profile = PatientProfile(weight_kg=weight)
    ok = isinstance(weight, int | float) and math.isfinite(weight) and 0 < weight <= 400
    try:
        _plan(profile, [TreatmentRequest("pain", "back")])
    except RulesInputError as err:
        assert not ok and err.field == "profile.weight_kg"
    else:
        assert ok


def test_dates_are_iso_strings_in_json(plan_for):
    data = plan_for("hair-loss:scalp").to_dict()
    assert all(dt.date.fromisoformat(s["date"]) for s in data["schedule"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), max_size=40))
def test_min_pair_distance_matches_all_pairs(points):
    brute = min(
        (math.dist(p, q) for i, p in enumerate(points) for q in points[i + 1 :]),
        default=math.inf,
    )
    assert layout.min_pair_distance(points) == brute
