"""The patient's own ratings in the portal: the scales the patient rates, when the
protocol asks for them; recorded as the clinic's outcome scores (rater: patient);
never a practitioner's scale, never another patient's course."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from mesoclinic.outcomes import services
from mesoclinic.outcomes.models import Assessment
from mesoclinic.rules import outcomes
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

STAFF = ("owner", "practitioner", "esthetician", "reception")


def rate_url(plan, instrument="pr-smfrs", when="baseline"):
    return reverse("portal_rate", args=[instrument]) + f"?when={when}&plan={plan.public_id}"


def test_a_patient_rated_baseline_is_offered_and_recorded_as_the_patients(
    org, me, patient, approved_plan
):
    client = client_for(me)
    page = client.get(reverse("portal_scores")).content.decode()
    assert outcomes.instrument("pr-smfrs").name in page
    assert rate_url(approved_plan).replace("&", "&amp;") in page
    form = client.get(rate_url(approved_plan)).content.decode()
    assert 'name="value"' in form
    response = client.post(
        rate_url(approved_plan),
        {"value": "2", "when": "baseline", "plan": str(approved_plan.public_id),
         "submission_key": str(uuid.uuid4())},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    with acting_for(org):
        (score,) = Assessment.objects.filter(patient=patient)
    assert score.rater == "patient" and score.instrument == "pr-smfrs"
    assert score.timepoint == "baseline" and score.plan == approved_plan
    after = client.get(reverse("portal_scores")).content.decode()
    assert rate_url(approved_plan).replace("&", "&amp;") not in after


def test_a_practitioner_scale_is_not_offered_nor_accepted(org, me, patient, approved_plan):
    client = client_for(me)
    page = client.get(reverse("portal_scores")).content.decode()
    assert "cr-smfrs" not in page
    assert client.get(rate_url(approved_plan, "cr-smfrs")).status_code == 404
    with acting_for(org), pytest.raises(services.AssessmentRefused):
        services.record_patient_reported(
            me,
            patient,
            services.Entry(instrument="cr-smfrs", timepoint="baseline", plan=approved_plan),
            {"value": 2},
            uuid.uuid4(),
        )


def test_staff_cannot_send_a_patient_rating_through_the_patient_path(
    org, practitioner, patient, approved_plan
):
    with acting_for(org), pytest.raises(services.AssessmentRefused):
        services.record_patient_reported(
            practitioner,
            patient,
            services.Entry(instrument="pr-smfrs", timepoint="baseline", plan=approved_plan),
            {"value": 2},
            uuid.uuid4(),
        )


def test_an_answer_out_of_range_is_refused_next_to_it(org, me, approved_plan):
    response = client_for(me).post(
        rate_url(approved_plan),
        {"value": "9", "when": "baseline", "plan": str(approved_plan.public_id),
         "submission_key": str(uuid.uuid4())},
    )  # fmt: skip
    assert response.status_code == 400
    assert 'id="id_value_error"' in response.content.decode()


def test_another_patients_course_is_not_found(org, reception, make_patient, approved_plan):
    other = make_patient(first_name="Berta", email="berta@example.com")
    them = portal_user(org, reception, other)
    assert client_for(them).get(rate_url(approved_plan)).status_code == 404


@pytest.mark.parametrize("role", STAFF)
def test_staff_get_403(personas, role):
    assert client_for(personas[role]).get(reverse("portal_scores")).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in():
    response = Client().get(reverse("portal_scores"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
