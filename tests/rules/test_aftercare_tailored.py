"""The aftercare sheet is tailored to the patient and every line keeps its source (§7)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from mesoclinic.rules import (
    PatientProfile,
    ReferenceDataError,
    RulesInputError,
    Treated,
    aftercare_for,
    aftercare_source,
    load_reference,
)
from mesoclinic.rules.aftercare import aftercare_lines
from mesoclinic.rules.inputs import resolve_request
from mesoclinic.rules.loader import DATA_DIR
from mesoclinic.rules.models import TreatmentRequest
from mesoclinic.rules.profile import validate_profile

from .helpers import START, TODAY

IBUPROFEN = "Ibuprofen may be used for swelling."
ASK = "Ask your doctor or pharmacist which pain relief is safe for you."
FLUIDS = "Drink as your doctor has advised."
VASCULAR = "Blanching (white skin), mottling, or any change in vision"
LIDOCAINE = "too much numbing medicine (lidocaine)"
LATE_INFECTION = "up to 12 weeks after treatment, can be a late infection"
SECTION = re.compile(r"^§[1-8]$")


def _text(lines) -> str:
    return " ".join(lines)


@pytest.mark.parametrize(
    "profile",
    [
        {"medications": ["Xarelto 20 mg"]},
        {"medications": ["Plavix"]},
        {"medications": ["aspirin 75 mg"]},
        {"medications": ["a tablet the vocabulary does not know"]},
        {"pregnant": True},
        {"breastfeeding": True},
        {"conditions": ["renal-failure"]},
    ],
    ids=[
        "anticoagulant",
        "antiplatelet",
        "aspirin",
        "unrecognised",
        "pregnant",
        "breastfeeding",
        "renal-failure",
    ],  # fmt: skip
)
def test_patients_for_whom_ibuprofen_is_unsafe_are_told_to_ask_instead(plan_for, profile):
    # Pregnancy and breastfeeding stop lipolysis; skin boosters are only a caution.
    aftercare = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", **profile).aftercare
    assert IBUPROFEN not in aftercare
    assert "ibuprofen" not in _text(aftercare).lower()
    assert ASK in aftercare


def test_an_nsaid_allergy_is_matched_on_its_slug(ref):
    request = TreatmentRequest("skin-rejuvenation", "cheeks", protocol="skin-booster-ha")
    resolved = [resolve_request(request, 0, ref, START)]
    facts = validate_profile(PatientProfile(weight_kg=70), ref, TODAY)
    assert IBUPROFEN in aftercare_lines(ref, resolved, facts)
    allergic = dataclasses.replace(facts, allergies=frozenset({"nsaids"}))
    lines = aftercare_lines(ref, resolved, allergic)
    assert IBUPROFEN not in lines and ASK in lines


def test_a_patient_with_nothing_against_it_may_use_ibuprofen(plan_for):
    aftercare = plan_for("skin-rejuvenation:cheeks:skin-booster-ha").aftercare
    assert IBUPROFEN in aftercare and ASK not in aftercare


@pytest.mark.parametrize("condition", ["renal-failure", "heart-failure"])
def test_no_fluid_loading_in_renal_or_heart_failure(plan_for, condition):
    aftercare = plan_for("localized-fat:submental", conditions=[condition]).aftercare
    assert aftercare[0] == FLUIDS  # in the place of the line it replaces
    assert "80 oz" not in _text(aftercare) and "ten glasses" not in _text(aftercare)


def test_heart_failure_is_a_condition_citing_fluid_aftercare(ref):
    condition = ref.conditions["heart-failure"]
    assert condition.source is ref.sources["fluid-aftercare"]


def test_others_keep_the_seeds_water_line(plan_for):
    assert "80 oz" in plan_for("localized-fat:submental").aftercare[0]


def test_hyaluronic_acid_injected_on_the_face_has_the_vascular_red_flag(plan_for, ref):
    for treat in (
        "skin-rejuvenation:cheeks:skin-booster-ha",
        "facial-symmetry:nasolabial:symmetry-booster-ha",
        "skin-rejuvenation:forehead:skin-revitalising-nappage",
    ):
        lines = [line for line in plan_for(treat).aftercare if VASCULAR in line]
        assert len(lines) == 1, treat
        assert aftercare_source(lines[0]) is ref.sources["filler-vascular"]
        assert "emergency" in lines[0]


def test_no_vascular_red_flag_off_the_face_or_without_a_needle(plan_for):
    for treat in (
        "skin-rejuvenation:hands:skin-revitalising-nappage",  # HA, body view
        "skin-rejuvenation:cheeks:electroporation-needle-free",  # HA, no needle
        "localized-fat:submental",  # face, no HA
    ):
        assert VASCULAR not in _text(plan_for(treat).aftercare), treat


@pytest.mark.parametrize(
    "treat,kw",
    [
        ("pain:knees:pain-point-by-point", {}),  # lidocaine 1%
        ("texture:cheeks:texture-skin-booster", {}),  # HA with lidocaine
        ("pain:knees:pain-point-by-point", {"formula": {"lidocaine-epinephrine": 10}}),
    ],
)
def test_any_lidocaine_gives_the_toxicity_signs(plan_for, ref, treat, kw):
    [line] = [line for line in plan_for(treat, **kw).aftercare if LIDOCAINE in line]
    for sign in ("metallic taste", "ringing in the ears", "irregular heartbeat", "twitching"):
        assert sign in line
    assert "emergency" in line
    assert aftercare_source(line) is ref.sources["xylocaine-label"]


def test_no_toxicity_signs_without_lidocaine(plan_for):
    assert LIDOCAINE not in _text(plan_for("hair-loss:scalp:hair-minoxidil").aftercare)


def test_a_topical_lidocaine_cream_counts_on_the_treatment_day():
    lines = aftercare_for(
        PatientProfile(), [Treated("cheeks", "nappage", ["lidocaine", "prilocaine"])]
    )
    assert any(LIDOCAINE in line for line in lines)


def test_late_infection_signs_follow_every_injection(plan_for):
    assert LATE_INFECTION in _text(plan_for("hair-loss:scalp:hair-prp").aftercare)
    needle_free = plan_for("skin-rejuvenation:cheeks:electroporation-needle-free").aftercare
    assert LATE_INFECTION not in _text(needle_free)


def _every_plan(plan_for):
    ref = load_reference()
    profiles = [
        {},
        {"medications": ["Eliquis"], "conditions": ["renal-failure", "heart-failure"]},
    ]
    for proto in ref.protocols.values():
        for area in proto.areas:
            for profile in profiles:
                yield plan_for(f"{proto.concerns[0]}:{area}:{proto.slug}", **profile)


def test_every_line_of_every_plan_keeps_its_source(plan_for):
    for plan in _every_plan(plan_for):
        for line in plan.aftercare:
            source = aftercare_source(line)
            assert source is not None, line
            assert SECTION.match(source.section), line


def test_no_line_shows_a_slug_or_internal_code(plan_for, ref):
    slugs = {s for s in (*ref.protocols, *ref.areas, *ref.ingredients, *ref.products) if "-" in s}
    for plan in _every_plan(plan_for):
        text = _text(plan.aftercare)
        assert not [s for s in slugs if s in text], text
        assert not re.search(r"\b[A-Z]{2,}_[A-Z_]+\b|seed \d{3}|§", text), text


def test_the_treatment_day_sheet_matches_the_plans_for_the_same_treatment(plan_for):
    profile = {"medications": ["warfarin"], "conditions": ["heart-failure"]}
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", **profile)
    day = aftercare_for(
        PatientProfile(weight_kg=70, **profile),
        [
            Treated(
                "cheeks",
                "point-by-point",
                ["hyaluronic-acid"],
                concern="skin-rejuvenation",
                protocol="skin-booster-ha",
            )
        ],
        today=TODAY,
    )
    assert day == list(plan.aftercare)
    assert "Maintenance for cheeks: repeat every 180 days (practice default)." in day


def test_nothing_treated_is_the_base_sheet():
    lines = aftercare_for(PatientProfile(), [])
    assert lines[0].startswith("Drink about 80 oz") and IBUPROFEN not in lines


@pytest.mark.parametrize(
    "treated,field",
    [
        (Treated("elbow", "nappage", []), "treated[0].area"),
        (Treated("cheeks", "tattoo", []), "treated[0].technique"),
        (Treated("cheeks", "nappage", ["snake-oil"]), "treated[0].ingredients"),
        (Treated("cheeks", "nappage", "lidocaine"), "treated[0].ingredients"),
        (Treated("cheeks", "nappage", [], protocol="nope"), "treated[0].protocol"),
    ],
)
def test_the_treatment_day_refuses_unknown_slugs(treated, field):
    with pytest.raises(RulesInputError) as err:
        aftercare_for(PatientProfile(), [treated])
    assert err.value.field == field


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_an_unknown_patient_fact_is_refused(data_copy):
    _edit(data_copy / "aftercare.toml", '"condition:heart-failure"', '"condition:gout"')
    with pytest.raises(ReferenceDataError, match=r"lines\[0\]\.not_for: unknown patient fact"):
        load_reference(data_copy)


def test_a_line_for_some_patients_needs_an_alternative(data_copy):
    _edit(data_copy / "aftercare.toml", 'instead = "Drink as your doctor has advised."\n', "")
    with pytest.raises(ReferenceDataError, match=r"lines\[0\]\.instead: missing"):
        load_reference(data_copy)


def test_a_line_for_an_ingredient_applies_to_what_contains_it(data_copy):
    _edit(
        data_copy / "aftercare.toml",
        'ingredients = ["lidocaine", "lidocaine-epinephrine"]',
        'ingredients = ["lidocaine"]',
    )
    ref = load_reference(data_copy)
    lines = aftercare_for(
        PatientProfile(), [Treated("knees", "nappage", ["lidocaine-epinephrine"])], reference=ref
    )
    assert any(LIDOCAINE in line for line in lines)
