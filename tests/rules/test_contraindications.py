"""clinical-reference.md §4, row by row, plus medication and condition vocabulary."""

from __future__ import annotations

import pytest

from mesoclinic.rules import (
    CONDITIONS,
    LIFESTYLE_FACTORS,
    RulesInputError,
    classify_medication,
    parse_condition,
)

from .helpers import codes


def test_infection_stops_only_the_infected_area(plan_for):
    plan = plan_for(
        "skin-rejuvenation:forehead:skin-revitalising-nappage",
        "skin-rejuvenation:neck:skin-revitalising-nappage",
        infected_areas={"neck"},
    )
    stops = [f for f in plan.hard_stops if f.code == "SITE_INFECTION"]
    assert [f.area for f in stops] == ["neck"]
    assert not stops[0].overridable


def test_allergy_to_the_anaesthetic_in_a_product_stops(plan_for):
    plan = plan_for("texture:cheeks:texture-skin-booster", allergies={"lidocaine"})
    stop = next(f for f in plan.hard_stops if f.code == "ALLERGY")
    assert stop.ingredient == "lidocaine" and stop.grade == "A" and not stop.overridable


def test_allergy_to_lidocaine_covers_lidocaine_with_epinephrine(plan_for):
    plan = plan_for("pain:back", products=["lidocaine-epi-1pct-20ml"], allergies={"lidocaine"})
    assert "ALLERGY" in codes(plan.hard_stops)


def test_allergy_to_an_ingredient_not_in_the_formula_is_quiet(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", allergies={"lidocaine"})
    assert "ALLERGY" not in codes(plan.hard_stops)


@pytest.mark.parametrize(
    "treat",
    [
        "localized-fat:abdomen:body-lipolysis-pcdc",
        "localized-fat:submental:submental-deoxycholic",
        "hair-loss:scalp:hair-minoxidil",
        "hair-loss:scalp:hair-dutasteride",
    ],
)
@pytest.mark.parametrize(
    ("state", "code"), [("pregnant", "PREGNANCY"), ("breastfeeding", "BREASTFEEDING")]
)
def test_pregnancy_and_breastfeeding_stop_lipolysis_minoxidil_and_dutasteride(
    plan_for, treat, state, code
):
    plan = plan_for(treat, **{state: True})
    stop = next(f for f in plan.hard_stops if f.code == code)
    assert stop.grade == "B" and stop.overridable


def test_pregnancy_with_an_ha_booster_is_a_warning_only(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", pregnant=True)
    assert "PREGNANCY" not in codes(plan.hard_stops)
    warning = next(f for f in plan.warnings if f.code == "PREGNANCY")
    assert "safety not established" in warning.message.lower()


def test_warfarin_warns_of_bruising(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", medications=["Warfarin 5 mg"])
    warning = next(f for f in plan.warnings if f.code == "ANTICOAGULANT")
    assert "Warfarin 5 mg (anticoagulant)" in warning.message
    assert plan.hard_stops == ()


def test_a_needle_free_plan_has_no_anticoagulant_warning(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:electroporation-needle-free", medications=["Plavix"])
    assert "ANTICOAGULANT" not in codes(plan.warnings)


def test_a_bleeding_disorder_warns(plan_for):
    plan = plan_for("pain:back", conditions={"bleeding-disorder"})
    assert next(f for f in plan.warnings if f.code == "BLEEDING_DISORDER").grade == "A"


def test_dysphagia_warns_for_submental_treatment_only(plan_for):
    assert "DYSPHAGIA" in codes(
        plan_for("localized-fat:submental", conditions={"dysphagia"}).warnings
    )
    assert "DYSPHAGIA" not in codes(plan_for("pain:back", conditions={"dysphagia"}).warnings)


def test_prior_submental_surgery_warns_for_that_area(plan_for):
    plan = plan_for("localized-fat:submental", conditions={"prior-surgery-in-area:submental"})
    assert "PRIOR_SURGERY" in codes(plan.warnings)
    elsewhere = plan_for("localized-fat:submental", conditions={"prior-surgery-in-area:abdomen"})
    assert "PRIOR_SURGERY" not in codes(elsewhere.warnings)


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("cancer", "CANCER"),
        ("renal-failure", "RENAL_FAILURE"),
        ("gallstones", "GALLSTONES"),
        ("cardiovascular-disease", "CARDIOVASCULAR_DISEASE"),
        ("hypertension-grade-3", "HYPERTENSION_GRADE_3"),
        ("autoimmune-disease", "AUTOIMMUNE_DISEASE"),
        ("diabetes", "DIABETES"),
        ("pacemaker", "PACEMAKER"),
    ],
)
def test_clinic_listed_conditions_are_grade_c_warnings(plan_for, condition, code):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", conditions={condition})
    (warning,) = [f for f in plan.warnings if f.code == code]
    assert warning.grade == "C" and warning.overridable and plan.hard_stops == ()


def test_plain_hypertension_is_recorded_without_a_warning(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", conditions={"hypertension"})
    assert plan.warnings == ()


@pytest.mark.parametrize(("fitzpatrick", "warns"), [(3, False), (4, True), (6, True)])
def test_fitzpatrick_iv_to_vi_warns_of_hyperpigmentation(plan_for, fitzpatrick, warns):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", fitzpatrick=fitzpatrick)
    assert ("FITZPATRICK_PIH" in codes(plan.warnings)) is warns


def test_cellulite_triggers_are_raised_for_a_cellulite_plan(plan_for):
    plan = plan_for("cellulite:thighs-outer", conditions={"smoking", "high-heels"})
    warning = next(f for f in plan.warnings if f.code == "CELLULITE_TRIGGER")
    assert "smoking" in warning.message and "high heels" in warning.message


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("warfarin", {"anticoagulant"}),
        ("Coumadin", {"anticoagulant"}),
        ("ELIQUIS 5mg twice daily", {"anticoagulant"}),
        ("rivaroxaban", {"anticoagulant"}),
        ("Xarelto", {"anticoagulant"}),
        ("Pradaxa", {"anticoagulant"}),
        ("edoxaban", {"anticoagulant"}),
        ("heparin sodium", {"anticoagulant"}),
        ("Lovenox 40 mg", {"anticoagulant"}),
        ("dalteparin", {"anticoagulant"}),
        ("fondaparinux", {"anticoagulant"}),
        ("acenocoumarol", {"anticoagulant"}),
        ("phenprocoumon", {"anticoagulant"}),
        ("Aspirin 81", {"antiplatelet"}),
        ("acetylsalicylic acid", {"antiplatelet"}),
        ("Plavix", {"antiplatelet"}),
        ("clopidogrel 75mg", {"antiplatelet"}),
        ("prasugrel", {"antiplatelet"}),
        ("Brilinta", {"antiplatelet"}),
        ("dipyridamole", {"antiplatelet"}),
        ("cilostazol", {"antiplatelet"}),
        ("warfarin and aspirin", {"anticoagulant", "antiplatelet"}),
    ],
)
def test_classify_medication_recognises_generic_and_brand_names(name, classes):
    assert classify_medication(name) == classes


@pytest.mark.parametrize("name", ["paracetamol", "levothyroxine", "heparinoid cream", ""])
def test_classify_medication_leaves_other_drugs_alone(name):
    assert classify_medication(name) == frozenset()


def test_condition_vocabulary_has_the_issue_slugs():
    assert {
        "bleeding-disorder", "autoimmune-disease", "diabetes", "cancer", "renal-failure",
        "gallstones", "cardiovascular-disease", "hypertension-grade-3", "hypertension",
        "keloid-tendency", "dysphagia", "prior-surgery-in-area", "pacemaker",
    } <= set(CONDITIONS)  # fmt: skip
    assert set(LIFESTYLE_FACTORS) == {
        "legs-crossed", "immobility", "smoking", "alcohol", "high-heels",
    }  # fmt: skip


def test_parse_condition_refuses_unknown_slugs_and_areas():
    with pytest.raises(RulesInputError) as err:
        parse_condition("gout")
    assert err.value.value == "gout"
    with pytest.raises(RulesInputError):
        parse_condition("prior-surgery-in-area:elbow")
    with pytest.raises(RulesInputError):
        parse_condition("diabetes:abdomen")
    condition, area, _ = parse_condition("prior-surgery-in-area:submental")
    assert condition is not None and area == "submental"
