"""clinical-reference.md §4 and §7: coded allergies and recognised medicines.

An allergy typed as text is resolved to allergens; each allergen stops the
ingredients its source names, in plans and in charting. What cannot be resolved
stops everything until a practitioner codes it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mesoclinic.rules import (
    ANAPHYLAXIS_HISTORY,
    Override,
    PatientProfile,
    ReferenceDataError,
    RulesInputError,
    bleeding_risk,
    check_session_doses,
    classify_medication,
    load_reference,
    resolve_allergy,
)
from mesoclinic.rules.cli import main
from mesoclinic.rules.loader import DATA_DIR

from .helpers import TODAY, codes

AMIDES = {"lidocaine", "lidocaine-epinephrine", "prilocaine"}
# One plan per amide: a product with lidocaine, one with lidocaine and epinephrine,
# and prilocaine (the other half of EMLA) as a formula.
AMIDE_PLANS = [
    ("texture:cheeks:texture-skin-booster", {}, "lidocaine"),
    ("pain:back", {"products": ["lidocaine-epi-1pct-20ml"]}, "lidocaine-epinephrine"),
    ("pain:back", {"formula": {"prilocaine": 25.0}}, "prilocaine"),
]
AMIDE_ROWS = [
    ("lidocaine-1pct-5ml", 2.0, "back", 10),
    ("lidocaine-epi-1pct-20ml", 2.0, "back", 10),
    ("emla-cream-5g", 2.0, "cheeks", 0),
]


def _allergies(text: str) -> set[str]:
    return set(resolve_allergy(text).allergens)


def _stops(plan, code="ALLERGY"):
    return [f for f in plan.hard_stops if f.code == code]


@pytest.mark.parametrize(
    "text",
    [
        "Xylocaine",
        "xylocain",
        "lignocaine",
        "Lidocain",
        "EMLA",
        "EMLA cream - rash",
        "Xylocaine (anaphylaxis)",
        "amide local anaesthetic",
        "Amide local anesthetics",
        "local anaesthetic at the dentist",
        "LIDOCAÍNA",
        "mepivacaine",
        "bupivacaine",
        "articaine",
        "prilocaine",
    ],
)
def test_any_amide_anaesthetic_resolves_to_the_whole_class(text):
    match = resolve_allergy(text)
    assert match.resolved
    assert "amide-local-anaesthetics" in match.allergens
    assert match.ingredients >= AMIDES


@pytest.mark.parametrize("text", ["Xylocaine (anaphylaxis)", "lignocaine", "EMLA cream - rash"])
@pytest.mark.parametrize(("treat", "request_kw", "ingredient"), AMIDE_PLANS)
def test_amide_allergy_text_stops_every_amide_in_a_plan(
    plan_for, text, treat, request_kw, ingredient
):
    plan = plan_for(treat, allergies=_allergies(text), **request_kw)
    stop = next(f for f in _stops(plan) if f.ingredient == ingredient)
    assert stop.grade == "A" and not stop.overridable
    assert "amide local anaesthetics" in stop.message


@pytest.mark.parametrize("text", ["Xylocaine", "amide local anaesthetic", "EMLA"])
def test_amide_allergy_text_stops_every_amide_while_charting(text):
    profile = PatientProfile(weight_kg=70, allergies=_allergies(text))
    found = check_session_doses(profile, AMIDE_ROWS, today=TODAY)
    stopped = {f.ingredient for f in found if f.code == "ALLERGY"}
    assert stopped == AMIDES


def test_an_allergy_to_lidocaine_stops_prilocaine_and_names_the_class(plan_for):
    plan = plan_for("pain:back", formula={"prilocaine": 25.0}, allergies={"lidocaine"})
    (stop,) = _stops(plan)
    assert stop.message == (
        "Known allergy to amide local anaesthetics (lidocaine): the formula for "
        "Back contains Prilocaine."
    )
    assert "§7" in stop.source


def test_a_coded_class_is_named_in_plain_words(plan_for):
    plan = plan_for("texture:cheeks:texture-skin-booster", allergies={"amide-local-anaesthetics"})
    (stop,) = _stops(plan)
    assert stop.message.startswith("Known allergy to amide local anaesthetics: the formula for")
    assert "amide-local" not in stop.message


def test_charting_names_the_allergy_and_what_was_given():
    profile = PatientProfile(weight_kg=70, allergies={"amide-local-anaesthetics"})
    (stop,) = check_session_doses(profile, [AMIDE_ROWS[0]], today=TODAY)
    assert stop.message == ("Known allergy to amide local anaesthetics: Lidocaine given in Back.")


@pytest.mark.parametrize("text", ["soy", "Soya lecithin", "soybean oil", "peanuts", "arachis oil"])
def test_soy_or_peanut_stops_phosphatidylcholine_in_pcdc(plan_for, text):
    plan = plan_for("localized-fat:abdomen:body-lipolysis-pcdc", allergies=_allergies(text))
    stop = next(f for f in _stops(plan) if f.ingredient == "phosphatidylcholine")
    assert "Lipostabil" in stop.source


def test_soy_is_quiet_for_deoxycholic_acid_alone(plan_for):
    plan = plan_for("localized-fat:submental:submental-deoxycholic", allergies={"soy"})
    assert "ALLERGY" not in codes(plan.hard_stops)


@pytest.mark.parametrize(
    "allergies",
    [{ANAPHYLAXIS_HISTORY}, {"gram-positive-bacterial-proteins"}],
)
def test_anaphylaxis_history_and_bacterial_proteins_stop_hyaluronic_acid(plan_for, allergies):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", allergies=allergies)
    stop = next(f for f in _stops(plan) if f.ingredient == "hyaluronic-acid")
    assert "Restylane" in stop.source


def test_a_text_naming_only_a_reaction_stops_ha_and_still_needs_coding():
    match = resolve_allergy("Anaphylaxis to bee stings")
    assert match.allergens == (ANAPHYLAXIS_HISTORY,)
    assert match.ingredients == {"hyaluronic-acid"}
    assert not match.resolved


@pytest.mark.parametrize("text", ["adrenaline", "Epinephrine", "sulphites", "metabisulfite"])
def test_epinephrine_and_sulfites_stop_lidocaine_with_epinephrine_only(text):
    profile = PatientProfile(weight_kg=70, allergies=_allergies(text))
    found = check_session_doses(profile, AMIDE_ROWS[:2], today=TODAY)
    assert {f.ingredient for f in found if f.code == "ALLERGY"} == {"lidocaine-epinephrine"}


def test_parabens_stop_the_multi_dose_lidocaine_with_epinephrine():
    assert resolve_allergy("methylparaben").ingredients == {"lidocaine-epinephrine"}


@pytest.mark.parametrize(
    ("text", "slug"),
    [("Latex gloves", "latex"), ("chlorhexidine", "chlorhexidine"), ("Nurofen", "nsaids")],
)
def test_latex_chlorhexidine_and_nsaids_are_recognised_and_stop_nothing(plan_for, text, slug):
    match = resolve_allergy(text)
    assert match.resolved and match.allergens == (slug,) and match.ingredients == frozenset()
    assert load_reference().allergens[slug].note
    plan = plan_for("texture:cheeks:texture-skin-booster", allergies=set(match.allergens))
    assert not _stops(plan)


@pytest.mark.parametrize("text", ["ibuprofen", "Ibuprofin", "aspirin", "naproxen", "NSAIDs"])
def test_nsaid_allergies_have_one_class_slug(text):
    assert resolve_allergy(text).allergens == ("nsaids",)


def test_every_ingredient_is_an_allergen_by_slug_and_name(ref):
    for slug, ingredient in ref.ingredients.items():
        assert slug in ref.allergens
        assert slug in resolve_allergy(ingredient.name).ingredients, ingredient.name


def test_names_are_matched_as_whole_words_only():
    assert resolve_allergy("Lasagne").allergens == ()  # not "ASA"
    assert resolve_allergy("soyabeanx").allergens == ()
    assert not resolve_allergy("Penicillin").resolved


def test_an_unresolved_allergy_is_a_grade_a_stop_that_cannot_be_overridden(plan_for):
    plan = plan_for(
        "skin-rejuvenation:cheeks:skin-booster-ha",
        unresolved_allergies=["Penicillin (rash)"],
        overrides=[Override("ALLERGY_UNCODED", "patient says it is fine")],
    )
    (stop,) = _stops(plan, "ALLERGY_UNCODED")
    assert stop.grade == "A" and not stop.overridable
    assert stop.message == (
        "Allergy recorded as “Penicillin (rash)” could not be matched to a known substance: "
        "a practitioner codes it or records why it does not apply before treatment."
    )
    assert plan.overrides[0].status == "refused"


def test_an_unresolved_allergy_stops_charting_too():
    profile = PatientProfile(weight_kg=70, unresolved_allergies=["Bee venom"])
    found = check_session_doses(profile, [("vitc-glutathione-5ml", 1.0, "cheeks", 10)])
    assert "ALLERGY_UNCODED" in codes(found)
    assert check_session_doses(profile, []) == []


def test_without_unresolved_allergies_there_is_no_uncoded_stop(plan_for):
    plan = plan_for("skin-rejuvenation:cheeks:skin-booster-ha", allergies={"latex"})
    assert plan.hard_stops == ()


@pytest.mark.parametrize(
    ("profile_kw", "field"),
    [
        ({"allergies": {"peanuts"}}, "profile.allergies"),
        ({"allergies": {"Xylocaine"}}, "profile.allergies"),
        ({"unresolved_allergies": ["  "]}, "profile.unresolved_allergies"),
        ({"unresolved_allergies": "Penicillin"}, "profile.unresolved_allergies"),
    ],
)
def test_unknown_allergen_slugs_and_blank_texts_are_refused(plan_for, profile_kw, field):
    with pytest.raises(RulesInputError) as err:
        plan_for("skin-rejuvenation:cheeks:skin-booster-ha", **profile_kw)
    assert err.value.field == field


def test_every_allergen_cites_section_4_or_7_and_says_why_when_it_stops_nothing(ref):
    for allergen in ref.allergens.values():
        assert allergen.source.section in {"§4", "§7"}, allergen.slug
        assert allergen.stops <= set(ref.ingredients)
        assert allergen.stops or allergen.note, allergen.slug
        assert "-" not in allergen.slug or allergen.name != allergen.slug  # words, not slugs


# -- medicines (§7) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "classes"),
    [
        ("clopidegrel 75mg", {"antiplatelet"}),
        ("Clopidrogel", {"antiplatelet"}),
        ("warfarine", {"anticoagulant"}),
        ("Warfrin 3 mg", {"anticoagulant"}),
        ("apixiban", {"anticoagulant"}),
        ("rivaroxiban", {"anticoagulant"}),
        ("Elliquis", {"anticoagulant"}),
        ("Xeralto", {"anticoagulant"}),
        ("Zarelto20mg", {"anticoagulant"}),
        ("ticagrelol", {"antiplatelet"}),
        ("ASA 81 mg", {"antiplatelet"}),
        ("Aspro", {"antiplatelet"}),
        ("Effient", {"antiplatelet"}),
        ("Zontivity", {"antiplatelet"}),
        ("vorapaxar", {"antiplatelet"}),
        ("Aggrenox", {"antiplatelet"}),
        ("ibuprophen", {"nsaid"}),
        ("Nurofen 400", {"nsaid"}),
        ("Aleve", {"nsaid"}),
        ("Voltaren gel", {"nsaid"}),
        ("celecoxib", {"nsaid"}),
        ("Omega-3 capsules", {"supplement"}),
        ("fish oil", {"supplement"}),
        ("Gingko", {"supplement"}),
        ("vitamin E 400 IU", {"supplement"}),
        ("garlic", {"supplement"}),
    ],
)
def test_bleeding_risk_medicines_are_recognised_with_misspellings(name, classes):
    assert classify_medication(name) == classes
    assert bleeding_risk(classes)


def test_an_nsaid_gives_the_bleeding_warning_in_plain_words(plan_for):
    plan = plan_for("pain:back", medications=["Nurofen 400 mg", "fish oil"])
    warning = next(f for f in plan.warnings if f.code == "ANTICOAGULANT")
    assert warning.message == (
        "Medicines that raise bleeding risk: Nurofen 400 mg (NSAID); fish oil (supplement). "
        "Bruising and haematoma are more likely; the practitioner confirms before injecting."
    )
    assert warning.grade == "B" and "§7" in warning.source


def test_an_anticoagulant_keeps_the_label_grade(plan_for):
    plan = plan_for("pain:back", medications=["Nurofen", "Xarelto"])
    warning = next(f for f in plan.warnings if f.code == "ANTICOAGULANT")
    assert warning.grade == "A" and "Kybella" in warning.source


def test_an_unknown_medicine_asks_for_practitioner_review(plan_for):
    plan = plan_for("pain:back", medications=["Metformin 500 mg", "warfarin"])
    (review,) = [f for f in plan.warnings if f.code == "MEDICATION_UNRECOGNISED"]
    assert review.message == "Medicine “Metformin 500 mg” not recognised: practitioner review."
    assert review.severity == "warning" and plan.hard_stops == ()


# -- the data file -------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_name_given_to_two_allergens_is_refused(data_copy):
    _edit(data_copy / "allergens.toml", '"groundnut", ', '"groundnut", "soya", ')
    with pytest.raises(ReferenceDataError, match="allergens.peanut.names"):
        load_reference(data_copy)


def test_an_allergen_stopping_an_unknown_ingredient_is_refused(data_copy):
    _edit(data_copy / "allergens.toml", 'stops = ["phosphatidylcholine"]', 'stops = ["lecithin"]')
    with pytest.raises(ReferenceDataError, match="allergens.soy.stops"):
        load_reference(data_copy)


def test_an_allergen_that_stops_nothing_without_a_note_is_refused(data_copy):
    _edit(
        data_copy / "allergens.toml",
        'note = "no product in the catalogue contains it; it matters for gloves and other '
        'equipment"\n',
        "",
    )
    with pytest.raises(ReferenceDataError, match="allergens.latex.note"):
        load_reference(data_copy)


def test_a_missing_allergen_file_is_named(data_copy):
    (data_copy / "allergens.toml").unlink()
    with pytest.raises(ReferenceDataError, match="allergens.toml"):
        load_reference(data_copy)


def test_the_cli_resolves_allergy_text_like_the_app(capsys):
    code = main(
        [
            "--treat", "texture:cheeks:texture-skin-booster", "--weight-kg", "70",
            "--allergy-text", "Xylocaine (anaphylaxis)", "--allergy-text", "Penicillin",
            "--json",
        ]
    )  # fmt: skip
    assert code == 0
    stops = json.loads(capsys.readouterr().out)["hard_stops"]
    assert {(s["code"], s["ingredient"]) for s in stops} == {
        ("ALLERGY_UNCODED", None),
        ("ALLERGY", "lidocaine"),
        ("ALLERGY", "hyaluronic-acid"),
    }


def test_an_ingredient_allergy_stops_what_contains_it_without_any_class(data_copy):
    _edit(
        data_copy / "allergens.toml",
        'members = ["lidocaine", "lidocaine-epinephrine", "prilocaine"]\n',
        "",
    )
    allergens = load_reference(data_copy).allergens
    assert allergens["lidocaine"].stops == {"lidocaine", "lidocaine-epinephrine"}
    assert allergens["lidocaine-epinephrine"].stops == {"lidocaine", "lidocaine-epinephrine"}
