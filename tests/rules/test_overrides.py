"""Overrides: only grade-B and grade-C findings, only with a reason, always recorded."""

from __future__ import annotations

import pytest

from mesoclinic.rules import Override, RulesInputError

from .helpers import codes


def test_a_grade_a_stop_cannot_be_overridden(plan_for):
    plan = plan_for(
        "texture:cheeks:texture-skin-booster",
        allergies={"lidocaine"},
        overrides=[Override("ALLERGY", "patient insists")],
    )
    assert "ALLERGY" in codes(plan.hard_stops)
    (outcome,) = plan.overrides
    assert outcome.status == "refused" and "grade A" in outcome.detail
    assert plan.refused


def test_a_grade_a_dose_limit_cannot_be_overridden(plan_for):
    plan = plan_for(
        "localized-fat:submental", area_cm2=80, overrides=[Override("INJECTION_COUNT_LIMIT", "x")]
    )
    assert "INJECTION_COUNT_LIMIT" in codes(plan.hard_stops)
    assert plan.overrides[0].status == "refused"


def test_a_grade_b_stop_with_a_reason_is_overridden_and_recorded(plan_for):
    reason = "second opinion: benefits discussed, patient signed"
    plan = plan_for(
        "localized-fat:abdomen:body-lipolysis-pcdc",
        sessions=5,
        overrides=[Override("COURSE_TOO_LONG", reason, area="abdomen")],
    )
    assert "COURSE_TOO_LONG" not in codes(plan.hard_stops)
    assert codes(plan.overridden) == ["COURSE_TOO_LONG"]
    assert plan.overrides[0].status == "applied" and plan.overrides[0].reason == reason
    assert plan.to_dict()["overrides"][0]["reason"] == reason
    assert not plan.refused


def test_an_overridden_dose_limit_needs_no_proposal(plan_for):
    plan = plan_for(
        "localized-fat:abdomen:body-lipolysis-pcdc",
        area_cm2=1000,
        overrides=[Override("DOSE_LIMIT", "documented higher-dose protocol")],
    )
    assert plan.hard_stops == () and plan.proposal is None


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(reason):
    with pytest.raises(RulesInputError) as err:
        Override("COURSE_TOO_LONG", reason)
    assert err.value.field == "override.reason"


def test_an_override_for_another_area_does_not_apply(plan_for):
    plan = plan_for(
        "localized-fat:abdomen:body-lipolysis-pcdc",
        sessions=5,
        overrides=[Override("COURSE_TOO_LONG", "reason", area="flanks")],
    )
    assert "COURSE_TOO_LONG" in codes(plan.hard_stops)
    assert plan.overrides[0].status == "unmatched"


def test_a_grade_c_warning_can_be_acknowledged(plan_for):
    plan = plan_for(
        "skin-rejuvenation:cheeks:skin-booster-ha",
        fitzpatrick=5,
        overrides=[Override("FITZPATRICK_PIH", "test patch done, no reaction")],
    )
    assert "FITZPATRICK_PIH" not in codes(plan.warnings)
    assert codes(plan.overridden) == ["FITZPATRICK_PIH"]


def test_overriding_a_b_pregnancy_stop_keeps_an_a_allergy_stop(plan_for):
    plan = plan_for(
        "localized-fat:abdomen:body-lipolysis-pcdc",
        pregnant=True,
        allergies={"phosphatidylcholine"},
        overrides=[
            Override("PREGNANCY", "reason", confirmed_by="Dr Second"),
            Override("ALLERGY", "reason"),
        ],
    )
    assert codes(plan.hard_stops) == ["ALLERGY"]
    assert [o.status for o in plan.overrides] == ["applied", "refused"]
