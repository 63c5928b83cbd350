"""The medical history questionnaire: the patient answers at home with the clinic's
own rules, the answers wait as patient-reported entries, and a practitioner adds each
to the chart (as given or corrected) or says why not; nothing becomes the clinical
record by itself, and the answers are kept as sent."""

import uuid

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from mesoclinic.patients import models as pm
from mesoclinic.portal.models import EntryReview, ReportedEntry
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

STAFF = ("owner", "practitioner", "esthetician", "reception")


def send(client, **fields):
    data = {"submission_key": str(uuid.uuid4())} | fields
    return client.post(reverse("portal_questionnaire"), data)


def answers(org):
    with acting_for(org):
        return list(ReportedEntry.objects.order_by("position"))


FULL = {
    "allergy_1": "Xylocaine",
    "reaction_1": "swelling of the face",
    "severity_1": "severe",
    "medicine_1": "Warfarin",
    "dose_1": "5 mg a day",
    "lifestyle": ["smoking"],
    "pregnancy": "not_pregnant",
}


def test_answers_wait_for_review_and_do_not_reach_the_chart(org, me, patient):
    response = send(client_for(me), **FULL)
    assert response.status_code == 302, response.content.decode()[:3000]
    found = answers(org)
    assert [a.kind for a in found] == ["allergy", "medication", "pregnancy", "lifestyle"]
    assert all(a.status == EntryReview.PENDING for a in found)
    assert found[0].data["substance_text"] == "Xylocaine"
    with acting_for(org):
        assert not pm.Allergy.objects.filter(patient=patient).exists()
        assert not pm.Medication.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"no_allergies": "on", "allergy_1": "Latex"}, "You named an allergy"),
        ({"reaction_1": "hives"}, "Say what you are allergic to."),
        ({"dose_2": "twice a day"}, "Name the medicine."),
        ({"skin_problem": "cold sore"}, "Say where it is."),
        ({"concern_areas": ["thighs-outer"]}, "Choose what you would like treated."),
    ],
)
def test_bad_answers_are_refused_next_to_the_field_and_kept(org, me, fields, message):
    response = send(client_for(me), medicine_3="Fish oil", **fields)
    page = response.content.decode()
    assert response.status_code == 400 and message in page
    assert "Fish oil" in page  # nothing typed is lost
    assert answers(org) == []


def test_an_empty_questionnaire_is_refused(org, me):
    response = send(client_for(me))
    assert response.status_code == 400
    assert "Answer at least one question before sending." in response.content.decode()


def test_the_clinics_own_rules_apply_to_the_patients_answers(org, me, patient):
    with acting_for(org):
        pm.Patient.objects.filter(pk=patient.pk).update(sex=pm.Sex.MALE)
    response = send(client_for(me), pregnancy="pregnant")
    assert response.status_code == 400
    assert "recorded as male" in response.content.decode()


def test_a_double_submit_keeps_one_questionnaire(org, me):
    client = client_for(me)
    key = str(uuid.uuid4())
    for _ in range(2):
        send(client, submission_key=key, **FULL)
    assert len(answers(org)) == 4


def test_a_practitioner_adds_an_answer_as_given_or_corrected(org, me, patient, practitioner):
    send(client_for(me), **FULL)
    allergy, medicine = answers(org)[:2]
    client = client_for(practitioner)
    page = client.get(reverse("portal_answers", args=[patient.public_id])).content.decode()
    assert "Xylocaine" in page and "Warfarin" in page
    added = client.post(
        reverse("portal_answer_add", args=[allergy.public_id]),
        {
            f"a{allergy.pk}-substance_text": "Xylocaine",
            f"a{allergy.pk}-reaction": "swelling of the face",
            f"a{allergy.pk}-severity": "severe",
            f"a{allergy.pk}-recorded_on": "2026-12-01",
        },
    )
    assert added.status_code == 302
    corrected = client.post(
        reverse("portal_answer_add", args=[medicine.public_id]),
        {
            f"a{medicine.pk}-name": "Warfarin",
            f"a{medicine.pk}-dose": "3 mg a day",
            f"a{medicine.pk}-recorded_on": "2026-12-01",
        },
    )
    assert corrected.status_code == 302
    allergy, medicine = answers(org)[:2]
    assert allergy.status == EntryReview.ADDED and medicine.status == EntryReview.CORRECTED
    with acting_for(org):
        kept = pm.Allergy.objects.get(patient=patient)
        assert kept.substance_text == "Xylocaine" and str(kept.public_id) == allergy.entry_id
        assert pm.Medication.objects.get(patient=patient).dose == "3 mg a day"


def test_adding_twice_adds_one_entry(org, me, patient, practitioner):
    send(client_for(me), medicine_1="Aspirin")
    (answer,) = answers(org)
    data = {f"a{answer.pk}-name": "Aspirin", f"a{answer.pk}-recorded_on": "2026-12-01"}
    client = client_for(practitioner)
    for _ in range(2):
        client.post(reverse("portal_answer_add", args=[answer.public_id]), data)
    with acting_for(org):
        assert pm.Medication.objects.filter(patient=patient).count() == 1


def test_an_answer_not_recorded_needs_a_reason(org, me, practitioner):
    send(client_for(me), medicine_1="Vitamins")
    (answer,) = answers(org)
    url = reverse("portal_answer_decline", args=[answer.public_id])
    client = client_for(practitioner)
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    nul = client.post(url, {"reason": "Vita\x00mins"})
    assert nul.status_code == 400 and "Null characters are not allowed" in nul.content.decode()
    assert client.post(url, {"reason": "A multivitamin: nothing to record"}).status_code == 302
    assert answers(org)[0].status == EntryReview.NOT_RECORDED


@pytest.mark.parametrize("role", STAFF)
def test_who_sees_and_who_adds_the_answers(org, me, patient, personas, role):
    send(client_for(me), medicine_1="Aspirin")
    (answer,) = answers(org)
    client = client_for(personas[role])
    review = client.get(reverse("portal_answers", args=[patient.public_id]))
    assert review.status_code == (403 if role == "reception" else 200)
    panel = client.get(reverse("portal_invite", args=[patient.public_id])).content.decode()
    assert ("questionnaire answer" in panel) is (role != "reception")
    add = client.post(
        reverse("portal_answer_add", args=[answer.public_id]),
        {f"a{answer.pk}-name": "Aspirin", f"a{answer.pk}-recorded_on": "2026-12-01"},
    )
    assert add.status_code == (302 if role in ("owner", "practitioner") else 403)


def test_an_outsider_gets_404(org, me, patient, outsider):
    send(client_for(me), medicine_1="Aspirin")
    (answer,) = answers(org)
    client = client_for(outsider)
    assert client.get(reverse("portal_answers", args=[patient.public_id])).status_code == 404
    assert (
        client.post(
            reverse("portal_answer_decline", args=[answer.public_id]), {"reason": "x y z"}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_answer_as_a_patient(personas, role):
    assert client_for(personas[role]).get(reverse("portal_questionnaire")).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in():
    response = Client().get(reverse("portal_questionnaire"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_database_keeps_the_answers_as_sent(org, me, practitioner):
    send(client_for(me), medicine_1="Aspirin")
    (answer,) = answers(org)
    with acting_for(org):
        with pytest.raises(DatabaseError), transaction.atomic():
            ReportedEntry.objects.filter(pk=answer.pk).update(data={"name": "Something else"})
        with pytest.raises(DatabaseError), transaction.atomic():
            ReportedEntry.objects.filter(pk=answer.pk).delete()


def test_the_review_page_runs_a_bounded_number_of_queries(
    org, me, patient, practitioner, django_assert_max_num_queries
):
    send(client_for(me), **FULL)
    send(client_for(me), medicine_1="Aspirin", medicine_2="Fish oil", medicine_3="Ginkgo")
    client = client_for(practitioner)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portal_answers", args=[patient.public_id])).status_code == 200
