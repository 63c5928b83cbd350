"""clinical-reference.md §3, rule by rule: the limits a practitioner would notice."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.rules import PatientProfile, check_session_doses, minimum_interval

from .helpers import START, codes


def _dose(plan, ingredient):
    return next(d for d in plan.doses if d.ingredient == ingredient)


def _stop(plan, code):
    return next(f for f in plan.hard_stops if f.code == code)


# Lidocaine (Xylocaine MPF label, grade A)


def test_lidocaine_limit_for_70_kg_is_the_300_mg_cap_not_315(plan_for):
    plan = plan_for("pain:back", weight_kg=70)
    line = _dose(plan, "lidocaine")
    assert line.limit_mg == 300
    assert "4.5 mg/kg x 70 kg = 315 mg" in line.basis
    assert "Xylocaine" in line.limit_source and "§3" in line.limit_source


def test_lidocaine_limit_for_50_kg_is_weight_based(plan_for):
    assert _dose(plan_for("pain:back", weight_kg=50), "lidocaine").limit_mg == 225


def test_lidocaine_over_the_limit_is_a_grade_a_stop_saying_by_how_much(plan_for):
    plan = plan_for("pain:back", weight_kg=70, area_cm2=2000)
    line = _dose(plan, "lidocaine")
    assert line.mg_per_session > 300
    stop = _stop(plan, "DOSE_LIMIT")
    assert stop.grade == "A" and not stop.overridable
    over = line.mg_per_session - 300
    assert f"by {over:,.3f}".rstrip("0").rstrip(".") + " mg" in stop.message


def test_the_proposal_is_the_largest_lidocaine_plan_under_300_mg(plan_for):
    plan = plan_for("pain:back", weight_kg=70, area_cm2=2000)
    proposal = plan.proposal
    assert proposal is not None and "DOSE_LIMIT" in proposal.reason
    mg = proposal.doses_mg["lidocaine"]
    per_point = 0.15 * 10  # mL per point x mg/mL
    assert 300 - per_point < mg <= 300
    (area,) = proposal.areas
    assert area.volume_per_point_ml == 0.15
    assert set(area.points) <= set(plan.areas[0].points)


def test_lidocaine_with_epinephrine_uses_7_mg_per_kg(plan_for):
    plan = plan_for("pain:back", weight_kg=70, products=["lidocaine-epi-1pct-20ml"])
    assert _dose(plan, "lidocaine-epinephrine").limit_mg == 490


def test_lidocaine_with_epinephrine_is_capped_at_500_mg(plan_for):
    plan = plan_for("pain:back", weight_kg=80, products=["lidocaine-epi-1pct-20ml"])
    assert _dose(plan, "lidocaine-epinephrine").limit_mg == 500


def test_without_a_weight_the_mg_per_kg_limit_cannot_be_checked(plan_for):
    plan = plan_for("pain:back", weight_kg=None)
    assert "WEIGHT_REQUIRED" in codes(plan.hard_stops)


# Deoxycholic acid (Kybella label, grade A)


def test_default_submental_plan_fits_the_label(plan_for):
    plan = plan_for("localized-fat:submental")
    assert plan.hard_stops == ()
    area = plan.areas[0]
    assert area.spacing_mm == 10 and area.volume_per_point_ml == 0.2
    assert len(area.points) <= 50
    assert _dose(plan, "deoxycholic-acid").limit_mg == 100


def test_sixty_deoxycholic_injections_stop_with_a_fifty_injection_proposal(plan_for):
    large = plan_for("localized-fat:submental", area_cm2=80)
    points = large.areas[0].points[:60]
    plan = plan_for("localized-fat:submental", area_cm2=80, points=points)
    stop = _stop(plan, "INJECTION_COUNT_LIMIT")
    assert "60 injections" in stop.message and "maximum of 50 by 10" in stop.message
    assert stop.grade == "A" and not stop.overridable
    (area,) = plan.proposal.areas
    assert len(area.points) == 50
    assert area.total_volume_ml == 10
    assert plan.proposal.doses_mg["deoxycholic-acid"] == 100


def test_deoxycholic_acid_on_the_abdomen_is_not_indicated(plan_for):
    plan = plan_for("localized-fat:abdomen:submental-deoxycholic")
    stop = _stop(plan, "AREA_NOT_INDICATED")
    assert stop.area == "abdomen" and stop.ingredient == "deoxycholic-acid"
    assert not stop.overridable


def test_pc_dc_on_the_abdomen_is_governed_by_the_pc_row_not_the_kybella_label(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc")
    assert "AREA_NOT_INDICATED" not in codes(plan.hard_stops)
    assert _dose(plan, "phosphatidylcholine").limit_mg == 2500
    assert _dose(plan, "deoxycholic-acid").limit_mg is None


def test_deoxycholic_injections_closer_than_1_cm_stop(plan_for):
    plan = plan_for("localized-fat:submental", spacing_mm=8)
    assert "SPACING_TOO_CLOSE" in codes(plan.hard_stops)


def test_more_than_0_2_ml_per_deoxycholic_injection_stops(plan_for):
    plan = plan_for("localized-fat:submental", volume_per_point_ml=0.3)
    assert "VOLUME_PER_POINT_LIMIT" in codes(plan.hard_stops)


def test_a_seventh_deoxycholic_treatment_is_refused(plan_for):
    plan = plan_for("localized-fat:submental", sessions=7)
    stop = _stop(plan, "COURSE_TOO_LONG")
    assert "maximum of 6 by 1" in stop.message and stop.grade == "A"


def test_prior_treatments_count_towards_the_six(plan_for):
    prior = [START - dt.timedelta(days=40 * i) for i in range(1, 6)]
    plan = plan_for("localized-fat:submental", prior_sessions=prior)
    assert "at most 1 more" in _stop(plan, "COURSE_TOO_LONG").message


def test_deoxycholic_sessions_less_than_a_month_apart_stop(plan_for):
    plan = plan_for("localized-fat:submental", interval_days=21)
    stop = _stop(plan, "INTERVAL_TOO_SHORT")
    assert "21 days apart" in stop.message and "30 days" in stop.message


def test_a_session_too_soon_after_the_last_one_gives_the_earliest_date(plan_for):
    last = START - dt.timedelta(days=10)
    plan = plan_for("localized-fat:submental", prior_sessions=[last])
    stop = _stop(plan, "INTERVAL_TOO_SHORT")
    assert f"{last + dt.timedelta(days=30):%d %b %Y}" in stop.message


# Phosphatidylcholine (Network Lipolysis, Thomas 2016, Salti 2008: grade B)


def test_pc_above_2500_mg_is_an_overridable_stop(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc", area_cm2=1000)
    stop = _stop(plan, "DOSE_LIMIT")
    assert stop.ingredient == "phosphatidylcholine"
    assert stop.grade == "B" and stop.overridable
    assert plan.proposal.doses_mg["phosphatidylcholine"] <= 2500


def test_pc_session_total_is_summed_over_all_areas(plan_for):
    one = plan_for("localized-fat:abdomen:body-lipolysis-pcdc")
    both = plan_for(
        "localized-fat:abdomen:body-lipolysis-pcdc", "localized-fat:flanks:body-lipolysis-pcdc"
    )
    flanks = sum(a.total_volume_ml for a in both.areas if a.area == "flanks") * 50
    assert _dose(both, "phosphatidylcholine").mg_per_session == pytest.approx(
        _dose(one, "phosphatidylcholine").mg_per_session + flanks
    )


def test_a_fifth_pc_session_is_refused_but_overridable(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc", sessions=5)
    stop = _stop(plan, "COURSE_TOO_LONG")
    assert stop.grade == "B" and stop.overridable


def test_pc_sessions_less_than_4_weeks_apart_stop(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc", interval_days=21)
    assert _stop(plan, "INTERVAL_TOO_SHORT").grade == "B"


def test_more_than_0_3_ml_per_pc_prick_stops(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc", volume_per_point_ml=0.4)
    assert "VOLUME_PER_POINT_LIMIT" in codes(plan.hard_stops)


# Minoxidil, dutasteride, PRP, HA booster, vitamin C + glutathione


def test_minoxidil_schedule_is_weekly_then_fortnightly_then_monthly(plan_for):
    plan = plan_for("hair-loss:scalp:hair-minoxidil")
    offsets = [(s.date - START).days for s in plan.schedule]
    assert offsets == [0, 7, 14, 21, 35, 49, 79, 109, 139, 169]
    assert [s.session for s in plan.schedule] == list(range(1, 11))


def test_dutasteride_over_2_ml_a_session_stops(plan_for):
    plan = plan_for("hair-loss:scalp:hair-dutasteride", volume_per_point_ml=0.05)
    assert _stop(plan, "VOLUME_LIMIT").grade == "B"


def test_default_dutasteride_plan_stays_within_1_to_2_ml(plan_for):
    plan = plan_for("hair-loss:scalp:hair-dutasteride")
    assert plan.hard_stops == ()
    assert 1 <= plan.areas[0].total_volume_ml <= 2


def test_prp_gives_about_1_ml_per_24_cm2(plan_for):
    plan = plan_for("hair-loss:scalp:hair-prp", area_cm2=24)
    assert plan.areas[0].total_volume_ml == pytest.approx(1.0, abs=0.3)
    assert [(s.date - START).days for s in plan.schedule] == [0, 14, 28]


def test_ha_booster_is_five_points_a_side_and_two_sessions_a_month_apart(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha")
    assert [len(a.points) for a in plan.areas] == [5, 5]
    assert sum(a.total_volume_ml for a in plan.areas) == pytest.approx(2.0)
    assert [(s.date - START).days for s in plan.schedule] == [0, 30]
    assert any("every 180 days" in line for line in plan.aftercare)


def test_vitamin_c_glutathione_is_six_sessions_two_weeks_apart(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:brightening-vitc-glutathione")
    assert [(s.date - START).days for s in plan.schedule] == [0, 14, 28, 42, 56, 70]


@pytest.mark.parametrize(
    ("treat", "ingredients"),
    [
        ("cellulite:thighs-outer:cellulite-mesotherapy", {"aminophylline", "l-carnitine"}),
        ("cellulite:thighs-outer:cellulite-enzymes", {"collagenase", "lipase"}),
        ("hair-loss:scalp:hair-cocktail", {"b-complex"}),
    ],
)
def test_ingredients_without_a_sourced_limit_say_so(plan_for, treat, ingredients):
    plan = plan_for(treat)
    found = [f for f in plan.warnings if f.code == "NO_SOURCED_LIMIT"]
    assert {f.ingredient for f in found} == ingredients
    assert all("no sourced limit: practitioner judgement" in f.message for f in found)
    for line in plan.doses:
        if line.ingredient in ingredients:
            assert line.limit_mg is None
            assert "no sourced limit: practitioner judgement" in line.limit_source


def test_l_carnitine_in_a_custom_formula_warns_no_sourced_limit(plan_for):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-gpc", formula={"l-carnitine": 200})
    assert "NO_SOURCED_LIMIT" in codes(plan.warnings)


# Minimum intervals for scheduling


def test_minimum_interval_for_deoxycholic_protocol_is_a_month():
    days, grade, source = minimum_interval("submental-deoxycholic")
    assert (days, grade) == (30, "A") and "§3" in source


def test_minimum_interval_for_pc_is_four_weeks():
    assert minimum_interval(["phosphatidylcholine"])[:2] == (28, "B")


def test_minimum_interval_without_a_source_says_so():
    days, grade, source = minimum_interval(["hyaluronic-acid"])
    assert days == 0 and grade == "none" and "practitioner judgement" in source


# Charting: running totals


def test_session_doses_sum_lidocaine_across_products_and_areas():
    profile = PatientProfile(weight_kg=70)
    rows = [
        ("lidocaine-1pct-5ml", 30.0, "back", 200),  # 300 mg
        ("ha-booster-lidocaine-3ml", 3.0, "cheeks", 30),  # 9 mg more
    ]
    findings = check_session_doses(profile, rows)
    assert [f.code for f in findings if f.severity == "stop"] == ["DOSE_LIMIT"]
    assert "309 mg" in findings[0].message and "by 9 mg" in findings[0].message


def test_session_doses_within_limits_are_quiet():
    rows = [("lidocaine-1pct-5ml", 10.0, "back", 60)]
    assert check_session_doses(PatientProfile(weight_kg=70), rows) == []


def test_session_doses_flag_deoxycholic_outside_submental_and_allergy():
    profile = PatientProfile(weight_kg=70, allergies={"deoxycholic-acid"})
    found = check_session_doses(profile, [("deoxycholic-10mg-2ml", 2.0, "abdomen", 10)])
    assert {"AREA_NOT_INDICATED", "ALLERGY"} <= set(codes(found))


def test_session_doses_take_an_ingredient_with_its_concentration():
    rows = [("phosphatidylcholine", 60.0, "abdomen", 200, 50.0)]
    assert "DOSE_LIMIT" in codes(check_session_doses(PatientProfile(weight_kg=70), rows))
