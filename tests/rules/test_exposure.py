"""What the patient received, against every limit (clinical-reference §7)."""

import datetime as dt
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic import rules
from mesoclinic.rules import PatientProfile, TreatmentRequest

NOW = dt.datetime(2026, 12, 2, 15, 0)


def dc(session, hours_ago=0.0, ml=4.0, **extra):
    """Deoxycholic acid 10 mg/mL under the chin, 0.2 mL per injection."""
    return rules.given_product(
        "deoxycholic-10mg-2ml",
        ml,
        session=session,
        at=NOW - dt.timedelta(hours=hours_ago),
        area="submental",
        technique=extra.pop("technique", "hypodermic"),
        depth_mm=extra.pop("depth_mm", 6.0),
        injections=extra.pop("injections", round(ml / 0.2)),
        **extra,
    )


def lido(session, product, ml, hours_ago=0.0):
    return rules.given_product(
        product,
        ml,
        session=session,
        at=NOW - dt.timedelta(hours=hours_ago),
        area="back",
        technique="point-by-point",
        depth_mm=5.0,
        injections=max(1, round(ml / 0.15)),
    )


def stops(findings):
    return [f for f in findings if f.severity == "stop"]


def codes(findings):
    return {f.code for f in stops(findings)}


ADULT = PatientProfile(weight_kg=64, birth_date=dt.date(1985, 4, 1))


def test_a_second_deoxycholic_session_the_same_day_is_refused_naming_the_first():
    found = rules.check_exposure(ADULT, [dc("first", hours_ago=3)], [dc("second")], now=NOW)
    interval = [f for f in found if f.code == "INTERVAL_TOO_SHORT"]
    assert interval and interval[0].severity == "stop" and not interval[0].overridable
    assert "02 Dec 2026 12:00" in interval[0].message
    assert "Earliest next treatment: 01 Jan 2027" in interval[0].message


def test_a_seventh_deoxycholic_treatment_is_refused_whatever_plan_gave_the_six():
    months = [dc(f"s{i}", hours_ago=24 * 31 * (i + 1)) for i in range(6)]
    found = rules.check_exposure(ADULT, months, [dc("seventh")], now=NOW)
    assert "COURSE_TOO_LONG" in codes(found)
    assert "treatment 7" in next(f.message for f in found if f.code == "COURSE_TOO_LONG")
    assert "COURSE_TOO_LONG" not in codes(
        rules.check_exposure(ADULT, months[:5], [dc("sixth")], now=NOW)
    )


def test_a_month_after_the_last_treatment_is_allowed():
    found = rules.check_exposure(ADULT, [dc("first", hours_ago=24 * 30)], [dc("next")], now=NOW)
    assert not stops(found)


def test_the_session_cap_counts_every_row_of_the_session():
    rows = [dc("now", ml=4.0), dc("now", ml=4.0), dc("now", ml=4.0)]
    assert "DOSE_LIMIT" in codes(rules.check_exposure(ADULT, [], rows, now=NOW))


def test_lidocaine_from_every_source_within_24_hours_counts_against_one_cap():
    heavy = PatientProfile(weight_kg=90)
    earlier = [lido("morning", "lidocaine-1pct-5ml", 30, hours_ago=5)]  # 300 mg plain
    now = [lido("afternoon", "lidocaine-epi-1pct-20ml", 50)]  # 500 mg with epinephrine
    found = rules.check_exposure(heavy, earlier, now, now=NOW)
    dose = [f for f in stops(found) if f.code == "DOSE_LIMIT"]
    assert dose and "800 mg" in dose[0].message and "500 mg" in dose[0].message
    assert "within 24 hours" in dose[0].message
    # A day later the morning no longer counts.
    later = [lido("morning", "lidocaine-1pct-5ml", 30, hours_ago=25)]
    assert not stops(rules.check_exposure(heavy, later, now, now=NOW))


def test_plain_lidocaine_in_24_hours_keeps_its_own_lower_cap():
    found = rules.check_exposure(
        PatientProfile(weight_kg=90),
        [lido("a", "lidocaine-1pct-5ml", 20, hours_ago=2)],
        [lido("b", "lidocaine-1pct-5ml", 15)],
        now=NOW,
    )
    assert any("350 mg" in f.message and "300 mg" in f.message for f in stops(found))


def test_a_numbing_cream_counts_toward_the_lidocaine_cap():
    cream = rules.given_product("emla-cream-5g", 10, session="b", at=NOW)  # 250 mg lidocaine
    found = rules.check_exposure(
        PatientProfile(weight_kg=60),
        [lido("a", "lidocaine-1pct-5ml", 5, hours_ago=1)],  # 50 mg
        [cream, lido("b", "lidocaine-1pct-5ml", 1)],  # 260 mg: 310 in 24 h
        now=NOW,
    )
    assert "DOSE_LIMIT" in codes(found)


def test_the_planner_sums_plain_lidocaine_and_lidocaine_with_epinephrine():
    formula = {"lidocaine": 9, "lidocaine-epinephrine": 15}
    plan = rules.build_plan(
        PatientProfile(weight_kg=100),
        [TreatmentRequest("pain", a, formula=formula) for a in ("back", "buttocks")],
    )
    dose = [f for f in plan.hard_stops if f.code == "DOSE_LIMIT"]
    assert dose and not dose[0].overridable
    assert "781.2 mg" in dose[0].message and "plain and with epinephrine" in dose[0].message


def test_phosphatidylcholine_at_another_ratio_does_not_switch_off_the_label():
    formula = {"deoxycholic-acid": 10, "phosphatidylcholine": 10}
    plan = rules.build_plan(
        PatientProfile(weight_kg=80),
        [
            TreatmentRequest("localized-fat", a, formula=formula)
            for a in ("abdomen", "flanks", "thighs-outer")
        ],
    )
    found = {f.code for f in plan.hard_stops if f.ingredient == "deoxycholic-acid"}
    assert {"DOSE_LIMIT", "AREA_NOT_INDICATED"} <= found
    assert any(f.code == "CUSTOM_MIXTURE" for f in plan.warnings)


def test_the_recognised_pcdc_mixture_takes_the_pcdc_rules():
    plan = rules.build_plan(
        PatientProfile(weight_kg=80), [TreatmentRequest("localized-fat", "abdomen")]
    )
    assert not [f for f in plan.hard_stops if f.ingredient == "deoxycholic-acid"]
    assert not any(f.code == "CUSTOM_MIXTURE" for f in plan.warnings)


def test_deoxycholic_acid_is_refused_under_18():
    teen = PatientProfile(weight_kg=60, birth_date=dt.date(2010, 1, 1))
    found = rules.check_exposure(teen, [], [dc("now")], now=NOW)
    assert "AGE_BELOW_LABEL" in codes(found)
    assert not next(f for f in found if f.code == "AGE_BELOW_LABEL").overridable
    plan = rules.build_plan(teen, [TreatmentRequest("localized-fat", "submental")])
    assert "AGE_BELOW_LABEL" in {f.code for f in plan.hard_stops}


def test_under_18_needs_a_guardian_and_a_reason_and_filler_is_illegal_in_england():
    teen = dict(weight_kg=60, birth_date=dt.date(2010, 1, 1))
    request = [TreatmentRequest("skin-rejuvenation", "cheeks", products=["ha-noncrosslinked-2ml"])]
    elsewhere = rules.build_plan(PatientProfile(**teen), request)
    minor = [f for f in elsewhere.hard_stops if f.code == "MINOR"]
    assert minor and minor[0].overridable
    england = rules.build_plan(PatientProfile(**teen, jurisdiction="GB-ENG"), request)
    banned = [f for f in england.hard_stops if f.code == "AGE_BELOW_LABEL"]
    assert banned and not banned[0].overridable


def test_deoxycholic_acid_only_into_subcutaneous_fat():
    shallow = rules.check_exposure(ADULT, [], [dc("now", depth_mm=2.0)], now=NOW)
    assert "ROUTE_NOT_SUBCUTANEOUS" in codes(shallow)
    papule = rules.check_exposure(ADULT, [], [dc("now", technique="papule", depth_mm=1.5)], now=NOW)
    assert "ROUTE_NOT_SUBCUTANEOUS" in codes(papule)
    too_shallow = rules.build_plan(
        ADULT, [TreatmentRequest("localized-fat", "submental", depth_mm=2.0)]
    )
    assert "ROUTE_NOT_SUBCUTANEOUS" in {f.code for f in too_shallow.hard_stops}
    planned = rules.build_plan(
        ADULT, [TreatmentRequest("localized-fat", "submental", technique="nappage")]
    )
    assert "ROUTE_NOT_SUBCUTANEOUS" in {f.code for f in planned.hard_stops}


def test_the_planner_counts_charted_sessions_of_any_plan_for_the_course():
    history = [dc(f"s{i}", hours_ago=24 * 31 * (i + 1)) for i in range(4)]
    plan = rules.build_plan(
        ADULT,
        [TreatmentRequest("localized-fat", "submental")],  # 4 sessions planned
        start=NOW.date(),
        history=history,
    )
    course = [f for f in plan.hard_stops if f.code == "COURSE_TOO_LONG"]
    assert course and "4 already given + 4 planned" in course[0].message


def test_a_reason_must_be_a_sentence():
    assert rules.reason_problem("x")
    assert rules.reason_problem("ok")
    assert rules.reason_problem("ok ok ok ok ok")
    assert rules.reason_problem("Patient tolerated 2,600 mg twice; informed") is None


def test_grade_a_caps_follow_weight_and_family():
    caps = {c["ingredient"]: c for c in rules.grade_a_caps(PatientProfile(weight_kg=50))}
    assert caps["lidocaine"]["mg"] == 225  # 4.5 mg/kg x 50 kg
    assert caps["lidocaine-epinephrine"]["mg"] == 350  # 7 mg/kg x 50 kg, all lidocaine
    assert caps["lidocaine-epinephrine"]["ingredients"] == ["lidocaine", "lidocaine-epinephrine"]
    assert caps["deoxycholic-acid"]["mg"] == 100
    assert "pcdc-5ml" not in caps["deoxycholic-acid"]["products"]


# --- Property: whatever the sequence, either a stop is reported or every limit holds ---

PRODUCTS = [
    "deoxycholic-10mg-2ml",
    "lidocaine-1pct-5ml",
    "lidocaine-epi-1pct-20ml",
    "emla-cream-5g",
]


@st.composite
def acts(draw):
    """A charting act: which day and hour, which product, how much."""
    return (
        draw(st.integers(0, 200)),  # day
        draw(st.integers(8, 19)),  # hour
        draw(st.sampled_from(PRODUCTS)),
        draw(st.sampled_from([0.5, 1.0, 2.0, 4.0, 6.0, 10.0, 20.0, 30.0])),
        draw(st.booleans()),  # a new session, or charting more in the last one
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(40, 120), st.lists(acts(), min_size=1, max_size=25))
def test_no_sequence_of_sessions_passes_a_limit_without_a_stop(weight, sequence):
    profile = PatientProfile(weight_kg=round(weight, 1))
    start = dt.datetime(2026, 1, 1)
    accepted: list[rules.Given] = []
    session, n = None, 0
    for day, hour, product, ml, new in sorted(sequence, key=lambda a: (a[0], a[1])):
        at = start + dt.timedelta(days=day, hours=hour)
        if new or session is None or session[1].date() != at.date():
            n += 1
            session = (f"s{n}", at)
        topical = rules.load_reference().products[product].form == "topical"
        row = rules.given_product(
            product,
            ml,
            session=session[0],
            at=session[1],
            area="" if topical else ("submental" if "deoxy" in product else "back"),
            technique=None
            if topical
            else ("hypodermic" if "deoxy" in product else "point-by-point"),
            depth_mm=None if topical else 6.0,
            injections=0 if topical else max(1, round(ml / 0.2)),
        )
        current = [r for r in accepted if r.session == session[0]] + [row]
        history = [r for r in accepted if r.session != session[0]]
        if not stops(rules.check_exposure(profile, history, current, now=at)):
            accepted.append(row)
    _every_limit_holds(profile, accepted)


def _mg(rows, ingredient):
    return math.fsum(r.volume_ml * r.formula.get(ingredient, 0.0) for r in rows)


def _every_limit_holds(profile, rows):
    w = profile.weight_kg
    by_session: dict[str, list[rules.Given]] = {}
    for r in rows:
        by_session.setdefault(r.session, []).append(r)
    dc_days = sorted(rs[0].at for rs in by_session.values() if _mg(rs, "deoxycholic-acid") > 0)
    assert len(dc_days) <= 6
    assert all((b.date() - a.date()).days >= 30 for a, b in zip(dc_days, dc_days[1:], strict=False))
    for rs in by_session.values():
        assert _mg(rs, "deoxycholic-acid") <= 100 + 1e-6
    for r in rows:
        window = [x for x in rows if r.at - dt.timedelta(hours=24) < x.at <= r.at]
        plain = _mg(window, "lidocaine")
        total = plain + _mg(window, "lidocaine-epinephrine")
        assert plain <= min(300, 4.5 * w) + 1e-6
        assert total <= min(500, 7 * w) + 1e-6


def test_a_numbing_cream_is_refused_for_a_lidocaine_allergy():
    allergic = PatientProfile(weight_kg=60, allergies={"lidocaine"})
    cream = rules.given_product("emla-cream-5g", 2, session="now", at=NOW)
    found = rules.check_exposure(allergic, [], [cream], now=NOW)
    allergy = [f for f in stops(found) if f.code == "ALLERGY"]
    assert allergy and "numbing cream" in allergy[0].message and not allergy[0].overridable


def test_a_depth_outside_the_technique_is_pointed_out():
    found = rules.check_exposure(
        ADULT, [], [dc("now", technique="point-by-point", depth_mm=2.0)], now=NOW
    )
    depth = [f for f in found if f.code == "DEPTH_OUTSIDE_TECHNIQUE"]
    assert depth and depth[0].severity == "warning" and "4-10 mm" in depth[0].message


def test_a_session_without_the_ingredient_does_not_count_toward_its_interval():
    earlier = [lido("morning", "lidocaine-1pct-5ml", 2, hours_ago=3)]
    found = rules.check_exposure(ADULT, earlier, [dc("now")], now=NOW)
    assert "INTERVAL_TOO_SHORT" not in codes(found)


def test_pcdc_sessions_do_not_count_toward_the_deoxycholic_acid_label_course():
    pcdc = [
        rules.given_product(
            "pcdc-5ml", 10, session=f"p{i}", at=NOW - dt.timedelta(days=40 * (i + 1)),
            area="abdomen", technique="hypodermic", depth_mm=6.0, injections=40,
        )
        for i in range(6)
    ]  # fmt: skip
    found = rules.check_exposure(ADULT, pcdc, [dc("now")], now=NOW)
    assert "COURSE_TOO_LONG" not in codes(found)


def test_a_weak_strength_still_counts_for_the_interval():
    def duta(session, days_ago):
        return rules.given_product(
            "dutasteride-001pct-2ml", 1, session=session, at=NOW - dt.timedelta(days=days_ago),
            area="scalp", technique="nappage", depth_mm=2.0, injections=50,
        )  # fmt: skip

    found = rules.check_exposure(ADULT, [duta("before", 3)], [duta("now", 0)], now=NOW)
    interval = [f for f in found if f.code == "INTERVAL_TOO_SHORT"]
    assert interval and interval[0].ingredient == "dutasteride" and interval[0].overridable


def test_grade_a_caps_list_only_the_products_asked_for():
    caps = rules.grade_a_caps(PatientProfile(weight_kg=70), products=["lidocaine-1pct-5ml"])
    assert {c["ingredient"] for c in caps} >= {"lidocaine"}
    assert all(c["products"] in ([], ["lidocaine-1pct-5ml"]) for c in caps)
