"""A patient's own data from the portal: a ZIP of their record (JSON and the PDFs they
were given, nobody else's), asking the clinic to close the account (the owner closes
it, and it signs in no more), and signing in with an emailed link that works once."""

import io
import json
import re
import uuid
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes.models import Assessment
from mesoclinic.portal import signin_links
from mesoclinic.portal.models import ClosureRequest, SignInLink, SymptomReport
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from tests.factories import (
    client_for,
    make_event,
    make_lot,
    make_session,
    record_allergy,
)
from tests.test_portal import (  # noqa: F401 - fixtures
    PASSWORD,
    STAFF,
    django_capture_on_commit,
    me,
    portal_user,
)

AFTERCARE = ["Keep the area clean and dry for 24 hours.", "Avoid makeup for 12 hours."]


def signed_sessions(org, patient, site, practitioner, n):
    lot = make_lot(org, site, practitioner, number=f"LOT-{uuid.uuid4().hex[:6]}")
    made = []
    for i in range(n):
        session = make_session(
            org, patient, site, practitioner, lot, days_ago=30 - i, aftercare=AFTERCARE
        )
        with acting_for(org):
            TreatmentSession.objects.filter(pk=session.pk).update(
                status=SessionStatus.SIGNED,
                signed_at=session.started_at + timedelta(hours=1),
                signed_by=practitioner,
            )
        made.append(session)
    return made


@pytest.fixture
def treated(org, site, practitioner, patient, signed_consent):
    return signed_sessions(org, patient, site, practitioner, 2)


def download(client):
    response = client.get(reverse("portal_my_data_zip"))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert "attachment;" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def record_of(archive):
    return json.loads(archive.read("record.json"))


# --- the download ---


def test_the_page_says_what_is_in_the_file_and_that_photos_come_on_request(me):
    page = client_for(me).get(reverse("portal_my_data")).content.decode()
    assert "record.json" in page and reverse("portal_my_data_zip") in page
    assert "Clinical photos are not in this file" in page
    assert "Ask the clinic for a copy" in page


def test_the_zip_holds_the_patients_record_with_labels_and_iso_dates(
    org, me, patient, practitioner, treated, signed_consent
):
    record_allergy(org, patient, practitioner, text="Latex", severity="severe")
    make_event(org, patient, practitioner, session=treated[0], event_type="bruising", grade=1)
    with acting_for(org):
        Assessment.objects.create(
            patient=patient,
            instrument="gais-patient",
            instrument_version=1,
            timepoint="baseline",
            rater="patient",
            answers={"value": 1},
            total=Decimal("1"),
            display="Improved",
            taken_at=timezone.now(),
            submission_key=uuid.uuid4(),
        )
    data = record_of(download(client_for(me)))
    assert data["patient"]["first_name"] == "Anna" and data["patient"]["date_of_birth"] == (
        "1985-04-01"
    )
    assert data["patient"]["sex_label"] == "Female"
    (allergy,) = data["history"]["allergies"]
    assert allergy["substance_label"] == "Latex" and allergy["severity_label"] == "Severe"
    (consent,) = data["consents"]
    assert consent["id"] == str(signed_consent.public_id)
    assert consent["signed_as"] == "Anna García"
    assert [s["id"] for s in data["sessions"]] == [str(s.public_id) for s in treated]
    first = data["sessions"][0]
    assert first["status_label"] == "Signed" and first["aftercare"] == AFTERCARE
    (charted,) = first["charted"]
    assert charted["volume_ml"] == 2.0 and charted["lot_number"].startswith("LOT-")
    assert charted["product_label"] and charted["product_label"] != charted["product"]
    assert datetime.fromisoformat(first["signed_at"]).tzinfo is not None
    (plan,) = data["plans"]
    (version,) = plan["versions"]
    (item,) = version["items"]
    assert item["area"] == "submental" and item["area_label"] not in ("", "submental")
    (event,) = data["adverse_events"]
    assert event["event_type_label"] == "Bruising / haematoma" and event["session"] == first["id"]
    (assessment,) = data["outcome_assessments"]
    assert assessment["rater_label"] == "Patient" and assessment["result"] == "Improved"


def test_the_zip_holds_the_signed_consent_and_each_aftercare_sheet_as_pdf(
    me, treated, signed_consent
):
    archive = download(client_for(me))
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    consents = [n for n in pdfs if n.startswith("consents/")]
    aftercare = [n for n in pdfs if n.startswith("aftercare/")]
    assert len(consents) == 1 and len(aftercare) == 2
    assert str(signed_consent.public_id) in consents[0]
    for name in pdfs:
        assert archive.read(name)[:5] == b"%PDF-"
    assert sorted(record_of(archive)["files"]) == sorted(pdfs)


def test_no_other_patients_data_is_in_the_zip(
    org, reception, site, practitioner, make_patient, me, treated, signed_consent
):
    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    theirs = signed_sessions(org, other, site, practitioner, 1)
    record_allergy(org, other, practitioner, text="Peanut")
    with acting_for(org):
        SymptomReport.objects.create(
            patient=other,
            reported_by=practitioner,
            reported_at=timezone.now(),
            feeling="unwell",
            urgency="routine",
            checkin_version=1,
            submission_key=uuid.uuid4(),
        )
    archive = download(client_for(me))
    text = archive.read("record.json").decode()
    assert "Berta" not in text and "Peanut" not in text
    assert str(theirs[0].public_id) not in text and str(other.public_id) not in text
    assert record_of(archive)["symptom_reports"] == []
    assert not any(str(theirs[0].public_id) in name for name in archive.namelist())


def test_the_download_writes_one_export_event_with_the_patient_as_actor(org, me, treated):
    client = client_for(me)
    download(client)
    with acting_for(org):
        exports = AuditEvent.objects.filter(action="export")
        assert exports.count() == 1
        event = exports.get()
    assert event.actor == me and event.object_id == str(me.portal_account.patient.public_id)


@pytest.mark.parametrize("sessions", [2, 10])
def test_the_download_costs_the_same_queries_however_long_the_record(
    org, site, practitioner, patient, me, signed_consent, sessions, django_assert_max_num_queries
):
    made = signed_sessions(org, patient, site, practitioner, sessions)
    for session in made[:3]:
        make_event(org, patient, practitioner, session=session, event_type="bruising", grade=1)
    client = client_for(me)
    with django_assert_max_num_queries(26):  # one per kind, whatever the count
        archive = download(client)
    assert len(record_of(archive)["sessions"]) == sessions


@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_download_a_record_from_the_portal(personas, role):
    for name in ("portal_my_data", "portal_my_data_zip", "portal_close_account"):
        assert client_for(personas[role]).get(reverse(name)).status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in():
    for name in ("portal_my_data", "portal_my_data_zip", "portal_close_account"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_another_patient_downloads_only_their_own(
    org, reception, make_patient, me, treated, signed_consent
):
    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    them = portal_user(org, reception, other)
    archive = download(client_for(them))
    data = record_of(archive)
    assert data["patient"]["first_name"] == "Berta"
    assert data["consents"] == [] and data["sessions"] == []
    assert archive.namelist() == ["record.json"]


# --- closing the account ---


def ask_to_close(client, reason="Moving abroad"):
    return client.post(reverse("portal_close_account"), {"reason": reason})


def test_the_close_page_says_the_clinical_record_is_kept(me):
    page = client_for(me).get(reverse("portal_close_account")).content.decode()
    assert "Your clinical record is not deleted" in page
    assert "as long as the law requires" in page


def test_the_owner_closes_a_requested_account_and_it_signs_in_no_more(org, owner, me):
    patient_client = client_for(me)
    assert ask_to_close(patient_client).status_code == 302
    page = patient_client.get(reverse("portal_close_account")).content.decode()
    assert "The clinic will close it soon" in page
    staff = client_for(owner)
    listing = staff.get(reverse("portal_closure_requests")).content.decode()
    assert "Anna García" in listing and "Moving abroad" in listing
    with acting_for(org):
        asked = ClosureRequest.objects.get()
    response = staff.post(reverse("portal_closure_close", args=[asked.public_id]))
    assert response.status_code == 302
    me.refresh_from_db()
    assert not me.is_active and me.deactivated_at is not None
    with acting_for(org):
        asked.refresh_from_db()
        assert asked.closed_by == owner and asked.closed_at is not None
        done = AuditEvent.objects.filter(actor=owner, action="change")
        assert done.filter(object_type="user", object_id=str(me.public_id)).exists()
        assert done.filter(object_type="closurerequest").exists()
        assert AuditEvent.objects.filter(actor=me, object_type="closurerequest").exists()
    # The open session ends, and the password signs in no more.
    assert patient_client.get(reverse("portal_home")).status_code == 302
    login = Client().post(reverse("login"), {"username": me.email, "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.client.session
    assert "No request waiting" in staff.get(reverse("portal_closure_requests")).content.decode()


def test_asking_twice_makes_one_request(org, me):
    client = client_for(me)
    ask_to_close(client)
    ask_to_close(client, reason="Again")
    with acting_for(org):
        assert ClosureRequest.objects.count() == 1


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_sees_and_closes_requests(org, personas, me, role):
    ask_to_close(client_for(me))
    with acting_for(org):
        asked = ClosureRequest.objects.get()
    client = client_for(personas[role])
    assert client.get(reverse("portal_closure_requests")).status_code == 403
    assert client.post(reverse("portal_closure_close", args=[asked.public_id])).status_code == 403
    me.refresh_from_db()
    assert me.is_active


def test_another_clinics_owner_cannot_close_the_account(org, outsider, me):
    ask_to_close(client_for(me))
    with acting_for(org):
        asked = ClosureRequest.objects.get()
    client = client_for(outsider)
    assert "Anna" not in client.get(reverse("portal_closure_requests")).content.decode()
    assert client.post(reverse("portal_closure_close", args=[asked.public_id])).status_code == 404
    me.refresh_from_db()
    assert me.is_active


def test_a_patient_opens_no_staff_closure_page(me):
    assert client_for(me).get(reverse("portal_closure_requests")).status_code == 404


# --- the emailed sign-in link ---


def ask_link(email, client=None):
    client = client or Client()
    with django_capture_on_commit():
        response = client.post(reverse("portal_signin_link"), {"email": email})
    assert response.status_code == 200
    return response.content.decode()


def link_path() -> str:
    found = re.search(r"https?://[^/\s]+(/portal/sign-in/[^/\s]+/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


SAME = "If this address has a portal account, a link is on its way"


def test_the_login_page_offers_patients_a_link(db):
    page = Client().get(reverse("login")).content.decode()
    assert "Patients: email me a sign-in link" in page and reverse("portal_signin_link") in page


def test_the_link_signs_the_patient_in_once(org, me):
    assert SAME in ask_link(me.email.upper())
    assert mail.outbox[-1].to == [me.email]
    path = link_path()
    client = Client()
    assert "Sign in" in client.get(path).content.decode()  # opening it spends nothing
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == reverse("portal_home")
    assert "Hello Anna" in client.get(reverse("portal_home")).content.decode()
    with acting_for(org):
        assert AuditEvent.objects.filter(
            actor=me, action="login", object_type="signinlink"
        ).exists()
    assert Client().post(path).status_code == 404
    assert Client().get(path).status_code == 404


def test_an_expired_link_is_refused(org, me):
    ask_link(me.email)
    path = link_path()
    SignInLink.all_orgs.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(path)
    assert response.status_code == 404 and "no longer works" in response.content.decode()


def test_the_link_is_valid_fifteen_minutes(me):
    before = timezone.now()
    ask_link(me.email)
    link = SignInLink.all_orgs.get()
    assert timedelta(minutes=14) < link.expires_at - before <= timedelta(minutes=15, seconds=5)
    assert link.token_hash not in mail.outbox[-1].body  # only the hash is kept


def test_staff_and_unknown_addresses_get_the_same_answer_and_no_email(personas):
    for email in [personas[r].email for r in STAFF] + ["nobody@example.com"]:
        assert SAME in ask_link(email)
    assert mail.outbox == [] and not SignInLink.all_orgs.exists()


def test_a_closed_account_gets_no_link_and_its_link_stops_working(me):
    ask_link(me.email)
    path = link_path()
    me.is_active = False
    me.save()
    assert Client().post(path).status_code == 404
    mail.outbox.clear()
    assert SAME in ask_link(me.email)
    assert mail.outbox == []


def test_at_most_five_links_an_hour_go_to_one_address(me):
    mail.outbox.clear()  # the invitation
    for _ in range(signin_links.LINKS_PER_HOUR + 2):
        assert SAME in ask_link(me.email)
    assert len(mail.outbox) == signin_links.LINKS_PER_HOUR
    SignInLink.all_orgs.update(created_at=timezone.now() - timedelta(minutes=61))
    ask_link(me.email)
    assert len(mail.outbox) == signin_links.LINKS_PER_HOUR + 1


def test_a_bad_address_is_told_next_to_the_field(db):
    response = Client().post(reverse("portal_signin_link"), {"email": "not an address"})
    assert response.status_code == 400 and "valid email" in response.content.decode()


def test_a_made_up_link_is_not_found(db):
    assert Client().get(reverse("portal_signin", args=["made-up"])).status_code == 404
    assert Client().post(reverse("portal_signin", args=["made-up"])).status_code == 404
