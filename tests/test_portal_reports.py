"""A patient's check-in after a treatment: red flags tell the patient at once to call
(with the number), and every report reaches the clinic's queue, red flags first; a
practitioner reviews it once (adverse event or note); the report is kept as sent."""

import uuid

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.portal import reports
from mesoclinic.portal.models import SymptomReport
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import client_for, make_event, make_lot, session_in_status
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

STAFF = ("owner", "practitioner", "esthetician", "reception")


@pytest.fixture
def treated(org, site, practitioner, patient):
    lot = make_lot(org, site, practitioner)
    return session_in_status(org, patient, site, practitioner, lot, SessionStatus.SIGNED)


def send(client, **fields):
    data = {"feeling": "unwell", "submission_key": str(uuid.uuid4())} | fields
    return client.post(reverse("portal_checkin"), data)


def reports_of(org):
    with acting_for(org):
        return list(SymptomReport.objects.order_by("id"))


def test_a_red_flag_tells_the_patient_to_call_the_clinic_today_with_its_number(
    org, me, site, treated
):
    client = client_for(me)
    form = client.get(reverse("portal_checkin")).content.decode()
    assert "Redness that is spreading" in form and str(treated.public_id) in form
    response = send(
        client, symptoms=["swelling", "fever"], severity="4", session=str(treated.public_id)
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Call the clinic today" in page and site.phone.replace(" ", "") in page
    assert "Fever or chills" in page
    (kept,) = reports_of(org)
    assert kept.urgency == "today" and kept.session == treated and kept.reported_by == me


def test_blanching_or_a_change_in_sight_is_an_emergency(org, me):
    client = client_for(me)
    response = send(client, symptoms=["vision"])
    page = client.get(response["Location"]).content.decode()
    assert "Call the clinic now" in page and "emergency number" in page


def test_intense_pain_is_a_red_flag(org, me):
    page = client_for(me).get(send(client_for(me), symptoms=["pain"], severity="8")["Location"])
    assert "Call the clinic today" in page.content.decode()


def test_common_side_effects_are_thanked_and_queued_without_alarm(org, me):
    client = client_for(me)
    page = client.get(send(client, symptoms=["swelling"], severity="2")["Location"])
    text = page.content.decode()
    assert "the clinic has your report" in text and "Call the clinic today" not in text
    assert reports_of(org)[0].urgency == "routine"


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"symptoms": []}, "group-symptoms", "Tick what you notice"),
        ({"symptoms": ["pain"], "severity": "11"}, "id_severity", "less than or equal to 10"),
        ({"symptoms": ["pain"], "started_on": "2999-01-01"}, "id_started_on", "still to come"),
        ({"feeling": "", "symptoms": ["pain"]}, "group-feeling", "required"),
    ],
)
def test_bad_answers_are_refused_next_to_the_field_and_nothing_typed_is_lost(
    org, me, fields, field_id, message
):
    response = send(client_for(me), note="it started after the bath", **fields)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert "it started after the bath" in page  # nothing typed is lost
    assert reports_of(org) == []


def test_a_double_submit_keeps_one_report(org, me):
    client = client_for(me)
    key = str(uuid.uuid4())
    for _ in range(2):
        assert send(client, symptoms=["fever"], submission_key=key).status_code == 302
    assert len(reports_of(org)) == 1


def test_another_patients_treatment_or_report_is_not_theirs(
    org, reception, me, make_patient, site, practitioner
):
    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    lot = make_lot(org, site, practitioner, number="LOT-2")
    theirs = session_in_status(org, other, site, practitioner, lot, SessionStatus.SIGNED)
    client = client_for(me)
    response = send(client, symptoms=["fever"], session=str(theirs.public_id))
    assert response.status_code == 400  # not among the patient's choices
    them = portal_user(org, reception, other)
    sent = send(client_for(them), symptoms=["fever"])
    assert client.get(sent["Location"]).status_code == 404


@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_report_as_a_patient(personas, role):
    assert client_for(personas[role]).get(reverse("portal_checkin")).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in():
    response = Client().get(reverse("portal_checkin"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_queue_puts_emergencies_then_red_flags_before_routine_reports(org, me, practitioner):
    client = client_for(me)
    for symptoms in (["swelling"], ["fever"], ["itching"], ["blanching"]):
        send(client, symptoms=symptoms)
    page = client_for(practitioner).get(reverse("report_queue")).content.decode()
    order = [page.index(s) for s in ("Emergency", "Red flag: call today", "Itching", "Swelling")]
    assert order == sorted(order)
    home = client_for(practitioner).get("/").content.decode()
    assert "4 patient reports waiting for review" in home and "2 with a red flag" in home


@pytest.mark.parametrize("role", STAFF)
def test_clinical_roles_see_the_queue_and_reception_does_not(personas, role):
    status = client_for(personas[role]).get(reverse("report_queue")).status_code
    assert status == (403 if role == "reception" else 200)


def test_a_practitioner_closes_a_report_with_a_note_once(org, me, practitioner, owner):
    send(client_for(me), symptoms=["swelling"])
    (kept,) = reports_of(org)
    url = reverse("report_review", args=[kept.public_id])
    client = client_for(practitioner)
    refused = client.post(url, {"outcome": "closed", "note": ""})
    assert refused.status_code == 400 and "Say why the report is closed" in refused.content.decode()
    assert client.post(url, {"outcome": "closed", "note": "Called: settling"}).status_code == 302
    again = client_for(owner).post(url, {"outcome": "closed", "note": "Another note"})
    assert again.status_code == 302
    (kept,) = reports_of(org)
    assert kept.reviewed_by == practitioner and kept.review_note == "Called: settling"
    assert "No report waiting." in client.get(reverse("report_queue")).content.decode()


def test_a_report_becomes_an_adverse_event_of_the_same_patient_only(
    org, me, patient, practitioner, make_patient
):
    send(client_for(me), symptoms=["fever"])
    (kept,) = reports_of(org)
    other = make_patient(first_name="Carla", email="carla@example.com")
    theirs = make_event(org, other, practitioner)
    ours = make_event(org, patient, practitioner)
    url = reverse("report_review", args=[kept.public_id])
    client = client_for(practitioner)
    wrong = client.post(url, {"outcome": "adverse-event", "adverse_event": str(theirs.public_id)})
    assert wrong.status_code == 400
    missing = client.post(url, {"outcome": "adverse-event"})
    assert "Choose the adverse event" in missing.content.decode()
    done = client.post(url, {"outcome": "adverse-event", "adverse_event": str(ours.public_id)})
    assert done.status_code == 302
    assert reports_of(org)[0].adverse_event == ours


def test_an_esthetician_reads_a_report_but_only_a_practitioner_reviews_it(org, me, esthetician):
    send(client_for(me), symptoms=["swelling"])
    (kept,) = reports_of(org)
    client = client_for(esthetician)
    assert client.get(reverse("report_detail", args=[kept.public_id])).status_code == 200
    url = reverse("report_review", args=[kept.public_id])
    assert client.post(url, {"outcome": "closed", "note": "fine"}).status_code == 403


def test_an_outsider_gets_404_for_the_report(org, me, outsider):
    send(client_for(me), symptoms=["swelling"])
    (kept,) = reports_of(org)
    client = client_for(outsider)
    assert client.get(reverse("report_detail", args=[kept.public_id])).status_code == 404
    assert "Swelling" not in client.get(reverse("report_queue")).content.decode()


def test_sending_and_reviewing_each_write_one_audit_event(org, me, practitioner):
    with acting_for(org):
        before = AuditEvent.objects.filter(actor=me, action="create").count()
    send(client_for(me), symptoms=["swelling"])
    (kept,) = reports_of(org)
    with acting_for(org):
        assert AuditEvent.objects.filter(actor=me, action="create").count() == before + 1
    client_for(practitioner).post(
        reverse("report_review", args=[kept.public_id]), {"outcome": "closed", "note": "ok now"}
    )
    with acting_for(org):
        assert (
            AuditEvent.objects.filter(
                actor=practitioner, action="change", object_id=str(kept.public_id)
            ).count()
            == 1
        )


def test_the_database_keeps_the_report_as_sent(org, me, practitioner):
    send(client_for(me), symptoms=["swelling"], severity="2")
    (kept,) = reports_of(org)
    with acting_for(org):
        with pytest.raises(DatabaseError), transaction.atomic():
            SymptomReport.objects.filter(pk=kept.pk).update(severity=0)
        with pytest.raises(DatabaseError), transaction.atomic():
            SymptomReport.objects.filter(pk=kept.pk).delete()
        reports.review(practitioner, kept, outcome="closed", note="settled")
        with pytest.raises(DatabaseError), transaction.atomic():
            SymptomReport.objects.filter(pk=kept.pk).update(review_note="changed later")


@pytest.mark.parametrize("count", [2, 30])
def test_the_queue_runs_a_bounded_number_of_queries(
    org, me, practitioner, count, django_assert_max_num_queries
):
    client = client_for(me)
    for i in range(count):
        send(client, symptoms=["fever" if i % 3 == 0 else "swelling"])
    staff = client_for(practitioner)
    with django_assert_max_num_queries(10):
        assert staff.get(reverse("report_queue")).status_code == 200


def test_the_checkin_list_names_only_known_adverse_event_types():
    from mesoclinic.rules.checkin import load_checkin
    from mesoclinic.treatments.vocab import AdverseEventType

    for symptom in load_checkin().symptoms.values():
        assert symptom.event in AdverseEventType.values, symptom.slug


def test_the_service_refuses_another_patients_adverse_event_whoever_calls(
    org, me, practitioner, make_patient
):
    send(client_for(me), symptoms=["fever"])
    (kept,) = reports_of(org)
    theirs = make_event(org, make_patient(first_name="Dora", email="d@example.com"), practitioner)
    with acting_for(org), pytest.raises(reports.ReportRefused) as refused:
        reports.review(practitioner, kept, outcome="adverse-event", note="", adverse_event=theirs)
    assert refused.value.field == "adverse_event"
    assert reports_of(org)[0].reviewed_at is None
