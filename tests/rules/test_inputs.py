"""Invalid input is refused with a typed error naming the bad value; the engine never guesses."""

from __future__ import annotations

import datetime as dt

import pytest

from mesoclinic.rules import PatientProfile, RulesInputError, TreatmentRequest, build_plan

from .helpers import START, TODAY


def _refused(profile=None, **request):
    request.setdefault("concern", "localized-fat")
    request.setdefault("area", "submental")
    with pytest.raises(RulesInputError) as err:
        build_plan(
            profile or PatientProfile(weight_kg=70),
            [TreatmentRequest(**request)],
            start=START,
            today=TODAY,
        )
    assert isinstance(err.value, ValueError)
    return err.value


@pytest.mark.parametrize("weight", [0, -5, 400.1, float("nan"), float("inf")])
def test_impossible_weights_are_refused(weight):
    err = _refused(PatientProfile(weight_kg=weight))
    assert err.field == "profile.weight_kg"


def test_a_400_kg_patient_is_accepted():
    plan = build_plan(
        PatientProfile(weight_kg=400), [TreatmentRequest("localized-fat", "submental")], start=START
    )
    assert plan.areas


def test_a_future_birth_date_is_refused():
    err = _refused(PatientProfile(weight_kg=70, birth_date=TODAY + dt.timedelta(days=1)))
    assert err.field == "profile.birth_date"


def test_age_is_computed_from_the_birth_date(plan_for):
    assert plan_for("localized-fat:submental", birth_date=dt.date(1985, 4, 1)).age == 40


def test_an_age_that_disagrees_with_the_birth_date_is_refused():
    err = _refused(PatientProfile(weight_kg=70, birth_date=dt.date(1985, 4, 1), age=30))
    assert err.field == "profile.age"


@pytest.mark.parametrize(
    ("profile", "field"),
    [
        (PatientProfile(weight_kg=70, allergies={"peanuts"}), "profile.allergies"),
        (PatientProfile(weight_kg=70, infected_areas={"elbow"}), "profile.infected_areas"),
        (PatientProfile(weight_kg=70, conditions={"gout"}), "profile.conditions"),
        (PatientProfile(weight_kg=70, fitzpatrick=7), "profile.fitzpatrick"),
        (PatientProfile(weight_kg=70, sex="female"), "profile.sex"),
    ],
)
def test_unknown_profile_values_are_refused(profile, field):
    assert _refused(profile).field == field


@pytest.mark.parametrize(
    ("request_kw", "field", "value"),
    [
        ({"concern": "weight-loss"}, "requests[0].concern", "weight-loss"),
        ({"area": "elbow"}, "requests[0].area", "elbow"),
        ({"protocol": "magic"}, "requests[0].protocol", "magic"),
        ({"protocol": "hair-minoxidil"}, "requests[0].protocol", "hair-minoxidil"),
        ({"area": "scalp", "concern": "pain"}, "requests[0].area", "scalp"),
        ({"technique": "laser"}, "requests[0].technique", "laser"),
        ({"formula": {"unicorn": 1.0}}, "requests[0].formula", "unicorn"),
        ({"formula": {"lidocaine": 0}}, "requests[0].formula.lidocaine", 0),
        ({"products": ["no-such-vial"]}, "requests[0].products", "no-such-vial"),
        ({"area_cm2": 0}, "requests[0].area_cm2", 0),
        ({"area_cm2": -3}, "requests[0].area_cm2", -3),
        ({"volume_per_point_ml": 0}, "requests[0].volume_per_point_ml", 0),
        ({"volume_per_point_ml": -0.1}, "requests[0].volume_per_point_ml", -0.1),
        ({"spacing_mm": 0}, "requests[0].spacing_mm", 0),
        ({"side": "left"}, "requests[0].side", "left"),
        ({"sessions": 0}, "requests[0].sessions", 0),
        ({"interval_days": 0}, "requests[0].interval_days", 0),
        ({"prior_sessions": [START]}, "requests[0].prior_sessions", START.isoformat()),
    ],
)
def test_invalid_requests_name_the_field_and_value(request_kw, field, value):
    err = _refused(**request_kw)
    assert (err.field, err.value) == (field, value)
    assert field in str(err)


@pytest.mark.parametrize("depth", [0.5, 10.5, 12])
def test_depth_outside_the_1_to_10_mm_bound_is_refused(depth):
    err = _refused(depth_mm=depth)
    assert err.field == "requests[0].depth_mm" and "1-10 mm" in err.message


def test_depth_outside_the_technique_range_is_refused():
    err = _refused(concern="hair-loss", area="scalp", depth_mm=3)
    assert "papule range 1-2 mm" in err.message


def test_a_needle_free_technique_takes_no_depth():
    err = _refused(technique="electroporation", depth_mm=2)
    assert err.field == "requests[0].depth_mm"


def test_explicit_points_outside_the_outline_are_refused():
    err = _refused(points=[(5.0, 5.0)])
    assert err.field == "requests[0].points"


def test_a_plan_needs_a_request():
    with pytest.raises(RulesInputError):
        build_plan(PatientProfile(weight_kg=70), [])


def test_a_side_of_a_paired_area_is_planned_alone(plan_for):
    plan = plan_for("facial-symmetry:cheeks:symmetry-booster-ha", side="left")
    assert [a.side for a in plan.areas] == ["left"]
    assert plan.schedule[0].areas == ("cheeks (left)",)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: PatientProfile(weight_kg=70, allergies="lidocaine"), "profile.allergies"),
        (lambda: PatientProfile(weight_kg=70, medications="warfarin"), "profile.medications"),
        (lambda: PatientProfile(weight_kg=70, birth_date="1985-04-01"), "profile.birth_date"),
        (
            lambda: TreatmentRequest("pain", "back", products="lidocaine-1pct-5ml"),
            "request.products",
        ),
        (lambda: TreatmentRequest("pain", "back", points=[(1, 2, 3)]), "request.points"),
        (lambda: TreatmentRequest("pain", "back", points=[("a", 2)]), "request.points"),
        (
            lambda: TreatmentRequest("pain", "back", prior_sessions=["2026-01-01"]),
            "request.prior_sessions",
        ),
    ],
)
def test_form_style_mistakes_are_refused_not_misread(make, field):
    with pytest.raises(RulesInputError) as err:
        make()
    assert err.value.field == field
