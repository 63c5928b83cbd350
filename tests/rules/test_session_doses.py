"""Charting's running totals: what each charted row must say, and what a known allergy stops.

Written against survivors of `make mutate`: mutants that changed the allergy stop or the
row checks without any test noticing.
"""

from __future__ import annotations

import pytest

from mesoclinic.rules import PatientProfile, RulesInputError, check_session_doses

DEOXY = "deoxycholic-10mg-2ml"
PROFILE = PatientProfile(weight_kg=70)


def test_a_charted_allergen_is_a_grade_a_stop_naming_the_ingredient_and_the_area():
    profile = PatientProfile(weight_kg=70, allergies={"deoxycholic-acid"})
    found = check_session_doses(profile, [(DEOXY, 2.0, "submental", 10)])
    [allergy] = [f for f in found if f.code == "ALLERGY"]
    assert (allergy.severity, allergy.grade, allergy.overridable) == ("stop", "A", False)
    assert (allergy.area, allergy.ingredient) == ("submental", "deoxycholic-acid")
    assert allergy.message == (
        "Known allergy to deoxycholic acid: Deoxycholic acid given in Submental (under the chin)."
    )
    assert "Clinical reference §4" in allergy.source


def test_every_charted_row_with_the_allergen_is_stopped_in_its_own_area():
    profile = PatientProfile(weight_kg=70, allergies={"lidocaine"})
    rows = [("lidocaine-1pct-5ml", 1.0, "back", 5), ("ha-booster-lidocaine-3ml", 1.0, "cheeks", 5)]
    found = check_session_doses(profile, rows)
    assert sorted(f.area for f in found if f.code == "ALLERGY") == ["back", "cheeks"]


@pytest.mark.parametrize(
    "row,field,value",
    [
        ((DEOXY, 2.0, "elbow", 10), "administered[0].area", "elbow"),
        ((DEOXY, -0.1, "submental", 10), "administered[0].volume_ml", -0.1),
        ((DEOXY, 1000.5, "submental", 10), "administered[0].volume_ml", 1000.5),
        ((DEOXY, True, "submental", 10), "administered[0].volume_ml", True),
        ((DEOXY, "2", "submental", 10), "administered[0].volume_ml", "2"),
        ((DEOXY, 2.0, "submental", -1), "administered[0].injections", -1),
        ((DEOXY, 2.0, "submental", 2.5), "administered[0].injections", 2.5),
        ((DEOXY, 2.0, "submental", True), "administered[0].injections", True),
        ((DEOXY, 2.0, "submental", 10, 10.0), "administered[0].mg_per_ml", 10.0),
        (("lidocaine", 2.0, "back", 10), "administered[0].mg_per_ml", None),
        (("lidocaine", 2.0, "back", 10, 0.0), "administered[0].mg_per_ml", 0.0),
        (("lidocaine", 2.0, "back", 10, 1000.5), "administered[0].mg_per_ml", 1000.5),
        (("lidocaine", 2.0, "back", 10, True), "administered[0].mg_per_ml", True),
        (("unicorn-serum", 2.0, "back", 10), "administered[0].item", "unicorn-serum"),
    ],
)
def test_a_charted_row_the_engine_cannot_read_names_its_field(row, field, value):
    with pytest.raises(RulesInputError) as caught:
        check_session_doses(PROFILE, [row])
    assert caught.value.field == field and caught.value.value == value


def test_the_row_index_in_an_error_is_the_rows_own():
    rows = [(DEOXY, 1.0, "submental", 5), (DEOXY, 1.0, "elbow", 5)]
    with pytest.raises(RulesInputError) as caught:
        check_session_doses(PROFILE, rows)
    assert caught.value.field == "administered[1].area"


@pytest.mark.parametrize(
    "row",
    [
        ("lidocaine-1pct-5ml", 0, "back", 0),
        ("lidocaine-1pct-5ml", 0.0, "back", 0),
        ("hyaluronic-acid", 1000, "cheeks", 1, 1000.0),
        ("hyaluronic-acid", 1.0, "cheeks", 10, 0.5),
    ],
)
def test_rows_at_the_edges_of_the_accepted_ranges_are_read(row):
    assert isinstance(check_session_doses(PROFILE, [row]), list)


def test_more_than_the_labelled_volume_per_injection_is_a_stop():
    """Kybella: 0.2 mL per injection (label 2.1), from the charted volume and count."""
    found = check_session_doses(PROFILE, [(DEOXY, 4.0, "submental", 10)])
    assert [(f.code, f.severity) for f in found] == [("VOLUME_PER_POINT_LIMIT", "stop")]
    assert "0.4 mL per injection exceeds 0.2 mL" in found[0].message
    assert check_session_doses(PROFILE, [(DEOXY, 2.0, "submental", 10)]) == []


def test_a_fraction_of_a_millilitre_over_the_lidocaine_cap_is_a_stop():
    found = check_session_doses(PROFILE, [("lidocaine-1pct-5ml", 30.4, "back", 200)])
    assert [(f.code, f.severity) for f in found] == [("DOSE_LIMIT", "stop")]
    assert "304 mg" in found[0].message
    assert check_session_doses(PROFILE, [("lidocaine-1pct-5ml", 30.0, "back", 200)]) == []
