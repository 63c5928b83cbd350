"""Reminders by email, text message, both or none, as the patient chose; every try logged.

The choice is read when the message is sent (an opt-out after the reminder was queued
holds); a text needs a number in international form; texts carry no clinical detail;
the HTTP backend speaks to a provider (here a local http.server) and a refusal is
retried as the mail server's is.
"""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.urls import reverse

from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.notifications import services, sms_backends
from mesoclinic.notifications.models import Channel, Message, MessageStatus, Reminder, State
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import Appointment
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_portal import portal_user

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
MOBILE = "+44 7700 900123"
STAFF = ("owner", "practitioner", "esthetician", "reception")


@pytest.fixture(autouse=True)
def locmem_sms(settings):
    settings.SMS_BACKEND = "mesoclinic.notifications.sms_backends.LocmemBackend"
    sms_backends.outbox.clear()
    yield sms_backends.outbox
    sms_backends.outbox.clear()


@pytest.fixture
def book(org, site, practitioner, patient):
    site.time_zone = "Europe/Paris"
    site.phone = "+33 1 23 45 67 89"
    site.save()

    def make(who=None, hours=3, **fields):
        with acting_for(org):
            return Appointment.objects.create(
                site=site,
                practitioner=practitioner,
                patient=who or patient,
                starts_at=NOW + timedelta(hours=hours),
                ends_at=NOW + timedelta(hours=hours, minutes=45),
                created_by=practitioner,
                **fields,
            )

    return make


def choose(patient, contact_by, phone=None):
    changes = {"contact_by": contact_by} | ({"phone": phone} if phone is not None else {})
    Patient.all_orgs.filter(pk=patient.pk).update(**changes)


def run(now=NOW):
    return [services.send(pk, now) for pk in services.scan(now)]


def messages():
    return list(Message.all_orgs.order_by("pk"))


# --- the patient's choice ----------------------------------------------------------


def test_a_patient_who_chose_no_messages_gets_none_and_the_reason_is_kept(
    book, patient, locmem_sms
):
    choose(patient, "none", MOBILE)
    book()
    assert run() == [State.SKIPPED]
    assert mail.outbox == [] and locmem_sms == [] and messages() == []
    assert Reminder.all_orgs.get().reason == "patient asked for no messages"


def test_an_opt_out_after_the_reminder_was_queued_holds_at_send_time(book, patient, locmem_sms):
    choose(patient, "both", MOBILE)
    book()
    [pk] = services.scan(NOW)
    choose(patient, "none")
    assert services.send(pk, NOW) == State.SKIPPED
    assert mail.outbox == [] and locmem_sms == []


def test_a_text_only_patient_gets_a_short_discreet_text_and_no_email(book, patient, locmem_sms):
    choose(patient, "sms", MOBILE)
    book(course_areas=["submental"], course_session=2)
    assert run() == [State.SENT]
    assert mail.outbox == []
    [sms] = locmem_sms
    assert sms.to == "+447700900123"
    # The Paris site's wall-clock time, the clinic's phone; nothing about the treatment.
    assert "Tue 10 Mar at 13:00" in sms.text and "+33 1 23 45 67 89" in sms.text
    assert len(sms.text) <= 160
    for word in ("submental", "session 2", "mesotherapy", "inject", "dose"):
        assert word not in sms.text.lower()
    [row] = messages()
    assert (row.channel, row.status, row.kind) == (Channel.SMS, MessageStatus.SENT, "reminder")
    assert row.provider_id == "locmem-1" and row.sent_at == NOW
    event = AuditEvent.objects.get(object_type="reminder")
    assert event.action == Action.EXPORT and "text message" in event.detail


def test_the_text_links_to_the_portal_when_the_clinic_has_a_public_address(
    org, reception, book, patient, locmem_sms, settings
):
    settings.PUBLIC_URL = "https://clinic.example"
    portal_user(org, reception, patient)
    choose(patient, "sms", MOBILE)
    book()
    run()
    assert "https://clinic.example/portal/appointments/" in locmem_sms[0].text


def test_both_channels_send_one_email_and_one_text_each_logged(book, patient, locmem_sms):
    choose(patient, "both", MOBILE)
    book()
    assert run() == [State.SENT]
    assert len(mail.outbox) == 1 and len(locmem_sms) == 1
    assert {(m.channel, m.status) for m in messages()} == {
        (Channel.EMAIL, MessageStatus.SENT),
        (Channel.SMS, MessageStatus.SENT),
    }
    # A second scan sends nothing more.
    assert run(NOW + timedelta(minutes=5)) == []
    assert len(messages()) == 2


def test_a_text_to_a_patient_without_a_valid_number_is_logged_as_not_sent_with_the_reason(
    book, patient, locmem_sms
):
    choose(patient, "sms", "0612 34")
    book()
    assert run() == [State.SKIPPED]
    assert locmem_sms == []
    [row] = messages()
    assert row.status == MessageStatus.FAILED and row.channel == Channel.SMS
    assert row.error == "patient has no valid mobile number for text messages"
    assert "valid mobile number" in Reminder.all_orgs.get().reason


def test_with_both_channels_a_bad_number_still_lets_the_email_go(book, patient, locmem_sms):
    choose(patient, "both", "not a number")
    book()
    assert run() == [State.SENT]
    assert len(mail.outbox) == 1 and locmem_sms == []
    statuses = {m.channel: m.status for m in messages()}
    assert statuses == {Channel.EMAIL: MessageStatus.SENT, Channel.SMS: MessageStatus.FAILED}


def test_the_day_after_check_in_and_late_advice_texts_name_no_treatment(org, patient, book):
    from mesoclinic.notifications import texts
    from mesoclinic.notifications.models import Kind

    appointment = book()
    with acting_for(org):
        reminder = Reminder(organization=org, appointment=appointment, kind=Kind.CHECK_IN)
        text = texts.for_appointment(reminder, appointment)
    assert text.startswith("Test Clinic: how are you after your visit on Tue 10 Mar?")
    assert "treat" not in text.lower()


# --- backends ----------------------------------------------------------------------


def test_the_file_backend_writes_one_file_per_message(book, patient, settings, tmp_path):
    settings.SMS_BACKEND = "mesoclinic.notifications.sms_backends.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_FROM = "TestClinic"
    choose(patient, "sms", MOBILE)
    book()
    book(hours=4, who=_second_patient(patient))
    run()
    files = sorted((tmp_path / "sms").iterdir())
    assert len(files) == 2
    body = json.loads(files[0].read_text())
    assert body["to"] == "+447700900123" and body["from"] == "TestClinic"
    assert {m.provider_id for m in messages()} == {f.stem for f in files}


def _second_patient(patient):
    other = Patient.all_orgs.get(pk=patient.pk)
    other.pk = None
    other.public_id = __import__("uuid").uuid4()
    other.first_name = "Bea"
    with acting_for(patient.organization_id):
        other.save()
    return other


class Provider:
    """A local stand-in for an SMS provider: records requests, answers as told."""

    def __init__(self):
        self.requests = []
        self.answers = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers["Content-Length"])
                provider.requests.append(
                    {"headers": dict(self.headers), "body": json.loads(self.rfile.read(length))}
                )
                status = provider.answers.pop(0) if provider.answers else 201
                payload = json.dumps({"message_id": f"prov-{len(provider.requests)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    running = Provider()
    settings.SMS_BACKEND = "mesoclinic.notifications.sms_backends.HttpBackend"
    settings.SMS_HTTP_URL = running.url
    settings.SMS_HTTP_BODY = (
        '{"recipient": "{to}", "sender": "{from}", "message": {"body": "{text}"}}'
    )
    settings.SMS_HTTP_ID_FIELD = "message_id"
    settings.SMS_HTTP_AUTH = ""
    settings.SMS_FROM = "TestClinic"
    yield running
    running.close()


def test_the_http_backend_posts_the_providers_json_with_the_key_from_a_file(
    book, patient, provider, settings, tmp_path
):
    key = tmp_path / "sms-auth"
    key.write_text("Bearer from-the-file\n")
    settings.SMS_HTTP_AUTH_FILE = str(key)
    choose(patient, "sms", MOBILE)
    book()
    assert run() == [State.SENT]
    [request] = provider.requests
    assert request["headers"]["Authorization"] == "Bearer from-the-file"
    body = request["body"]
    assert body["recipient"] == "+447700900123" and body["sender"] == "TestClinic"
    assert "Tue 10 Mar at 13:00" in body["message"]["body"]
    [row] = messages()
    assert row.status == MessageStatus.SENT and row.provider_id == "prov-1"


def test_the_http_backend_takes_the_key_from_the_environment_first(
    book, patient, provider, settings
):
    settings.SMS_HTTP_AUTH = "Basic abc"
    settings.SMS_HTTP_AUTH_HEADER = "X-Api-Key"
    choose(patient, "sms", MOBILE)
    book()
    run()
    assert provider.requests[0]["headers"]["X-Api-Key"] == "Basic abc"


def test_a_refusing_provider_is_logged_as_failed_and_retried_by_the_worker(book, patient, provider):
    choose(patient, "sms", MOBILE)
    book(hours=6)
    provider.answers = [503]
    assert run() == [State.PENDING]
    [failed] = messages()
    assert failed.status == MessageStatus.FAILED
    assert failed.error == "the text message service answered 503"
    reminder = Reminder.all_orgs.get()
    assert "503" in reminder.reason
    # The retry goes out once the delay has passed, and is logged as a new message.
    later = NOW + services.RETRY_DELAY + services.REQUEUE_AFTER
    assert run(later) == [State.SENT]
    assert [m.status for m in messages()] == [MessageStatus.FAILED, MessageStatus.SENT]
    assert len(provider.requests) == 2


def test_an_unreachable_provider_is_a_failure_not_a_crash(book, patient, provider, settings):
    provider.close()
    settings.SMS_HTTP_TIMEOUT = 2
    choose(patient, "sms", MOBILE)
    book(hours=6)
    assert run() == [State.PENDING]
    assert messages()[0].error == "the text message service could not be reached"


# --- the messages pages ------------------------------------------------------------


@pytest.fixture
def sent(book, patient, make_patient):
    choose(patient, "both", MOBILE)
    book()
    book(hours=4, who=make_patient(first_name="Noe", email="", contact_by="email"))
    run()


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_every_message_with_addresses_masked(personas, role, sent, org):
    response = client_for(personas[role]).get(reverse("message_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "García, Anna" in page and "Text message" in page and "Email" in page
    assert "Not sent: patient has no email address" in page
    assert "a•••@example.com" in page and "•••123" in page
    assert "anna@example.com" not in page and "7700900123" not in page
    with acting_for(org):
        event = AuditEvent.objects.filter(object_type="message").latest("pk")
    assert event.action == Action.SEARCH and event.actor == personas[role]


def test_the_list_filters_by_channel_and_status(owner, sent):
    client = client_for(owner)
    texts = client.get(reverse("message_list"), {"channel": "sms"}, HTTP_HX_REQUEST="true")
    html = texts.content.decode()
    assert "Text message" in html and "<td>Email</td>" not in html and "<html" not in html
    failed = client.get(reverse("message_list"), {"status": "failed"}).content.decode()
    assert "Noe" in failed and "García, Anna" not in failed
    assert client.get(reverse("message_list"), {"status": "bogus"}).status_code == 200


@pytest.mark.parametrize("role", STAFF)
def test_a_patients_messages_page_shows_only_theirs_and_is_audited(
    personas, role, sent, patient, org
):
    response = client_for(personas[role]).get(reverse("patient_messages", args=[patient.public_id]))
    page = response.content.decode()
    assert response.status_code == 200 and "Messages to Anna García" in page
    assert "Noe" not in page and "2 messages" in page
    with acting_for(org):
        event = AuditEvent.objects.filter(object_id=str(patient.public_id)).latest("pk")
    assert event.action == Action.VIEW and "messages" in event.detail


def test_another_clinic_sees_none_of_the_messages_and_no_patients_page(outsider, sent, patient):
    client = client_for(outsider)
    page = client.get(reverse("message_list")).content.decode()
    assert "García" not in page and "0 messages" in page
    assert client.get(reverse("patient_messages", args=[patient.public_id])).status_code == 404


def test_a_portal_patient_opens_no_messages_page(org, reception, patient, sent):
    me = portal_user(org, reception, patient)
    client = client_for(me)
    assert client.get(reverse("message_list")).status_code == 404
    assert client.get(reverse("patient_messages", args=[patient.public_id])).status_code == 404


def test_nobody_signed_in_is_sent_to_sign_in(patient):
    from django.test import Client

    assert Client().get(reverse("message_list")).status_code == 302


def test_the_portal_invitation_is_logged_as_a_message(org, reception, patient):
    portal_user(org, reception, patient)
    [row] = [m for m in messages() if m.kind == "portal_invitation"]
    assert row.status == MessageStatus.SENT and row.to == "anna@example.com"


@pytest.mark.parametrize("n", [2, 30])
def test_the_messages_list_runs_a_bounded_number_of_queries(
    n, owner, book, make_patient, django_assert_max_num_queries
):
    for i in range(n):
        who = make_patient(first_name=f"P{i}", email=f"p{i}@x.org", phone=MOBILE)
        choose(who, "both")
        book(hours=1 + i, who=who)
    run()
    client = client_for(owner)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("message_list")).status_code == 200


# --- the patient form --------------------------------------------------------------


def _form(patient, **changes):
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "phone": patient.phone,
        "email": patient.email,
        "contact_by": "email",
        "address": "",
        "occupation": "",
        "emergency_contact_name": "",
        "emergency_contact_phone": "",
        "home_site": "",
    }
    return data | changes


def test_reception_chooses_texts_only_with_a_number_in_international_form(reception, patient, org):
    client = client_for(reception)
    url = reverse("patient_edit", args=[patient.public_id])
    response = client.post(
        url, _form(patient, contact_by="sms", phone="0612 34 56", address="1 Rue X")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "mobile number in international form" in page
    assert 'value="0612 34 56"' in page and "1 Rue X" in page  # nothing typed is lost
    with acting_for(org):
        assert Patient.objects.get(pk=patient.pk).contact_by == "email"
    response = client.post(url, _form(patient, contact_by="sms", phone="+33 6 12 34 56 78"))
    assert response.status_code == 302
    with acting_for(org):
        assert Patient.objects.get(pk=patient.pk).contact_by == "sms"


def test_no_messages_needs_no_address(reception, patient, org):
    client = client_for(reception)
    url = reverse("patient_edit", args=[patient.public_id])
    response = client.post(url, _form(patient, contact_by="none", phone="", email=""))
    assert response.status_code == 302
    with acting_for(org):
        assert Patient.objects.get(pk=patient.pk).contact_by == "none"


# --- the patient's own choice, in the portal -----------------------------------------


def test_the_patient_chooses_texts_in_the_portal_with_a_valid_number(org, reception, patient):
    from mesoclinic.patients.models import ChangeLog

    me = portal_user(org, reception, patient)
    client = client_for(me)
    url = reverse("portal_contact")
    assert client.get(url).status_code == 200
    refused = client.post(url, {"contact_by": "sms", "phone": "06 12"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "mobile number in international form" in html and 'value="06 12"' in html
    assert client.post(url, {"contact_by": "sms", "phone": MOBILE}).status_code == 302
    with acting_for(org):
        saved = Patient.objects.get(pk=patient.pk)
        change = ChangeLog.objects.filter(patient=patient).latest("pk")
        event = AuditEvent.objects.filter(actor=me, action=Action.CHANGE).latest("pk")
    assert (saved.contact_by, saved.phone) == ("sms", MOBILE)
    assert change.previous == {"contact_by": "email", "phone": "+1 555 0100 200"}
    assert sorted(event.fields) == ["contact_by", "phone"]


def test_the_patient_opts_out_in_the_portal_and_gets_no_reminder(
    org, reception, patient, book, locmem_sms
):
    me = portal_user(org, reception, patient)
    mail.outbox.clear()
    book()
    [pk] = services.scan(NOW)
    client_for(me).post(reverse("portal_contact"), {"contact_by": "none", "phone": ""})
    assert services.send(pk, NOW) == State.SKIPPED
    assert mail.outbox == [] and locmem_sms == []


@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_use_the_patients_message_choice_page(personas, role, patient):
    client = client_for(personas[role])
    assert client.get(reverse("portal_contact")).status_code == 403
    response = client.post(reverse("portal_contact"), {"contact_by": "none", "phone": ""})
    assert response.status_code == 403
    assert Patient.all_orgs.get(pk=patient.pk).contact_by == "email"


def test_the_service_lets_a_patient_change_only_their_own_record(
    org, reception, patient, make_patient
):
    from django.core.exceptions import PermissionDenied

    from mesoclinic.patients import services as patient_services

    me = portal_user(org, reception, patient)
    other = make_patient(first_name="Berta", email="berta@example.com")
    with acting_for(org):
        # Without the portal's word that it is their own record, a patient changes nothing.
        with pytest.raises(PermissionDenied):
            patient_services.set_contact(me, other, "none", other.phone)
        assert patient_services.set_contact(reception, other, "none", other.phone) == ["contact_by"]
        with pytest.raises(patient_services.ContactRefused):
            patient_services.set_contact(reception, other, "sms", "12")


def test_the_chart_shows_the_patients_new_choice_at_once(org, reception, patient):
    chart = reverse("patient_detail", args=[patient.public_id])
    staff = client_for(reception)
    assert "<dd>Email</dd>" in staff.get(chart).content.decode()  # now cached
    me = portal_user(org, reception, patient)
    client_for(me).post(reverse("portal_contact"), {"contact_by": "both", "phone": MOBILE})
    assert "<dd>Email and text message</dd>" in staff.get(chart).content.decode()
