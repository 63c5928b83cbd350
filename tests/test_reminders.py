"""Reminder and check-in emails: each sent exactly once, never for a cancelled visit.

The delivery choice tested here (see notifications/services.py): a reminder is
claimed before it is sent; a worker that dies between claim and "sent" leaves
it unsent rather than risk a duplicate (at-most-once).
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.notifications import delivery, services, tasks
from mesoclinic.notifications.models import Kind, Reminder, State
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from tests.factories import client_for, in_memory_sqlite, rerun_on_a_file

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def appointment_at(org, site, practitioner, patient):
    site.time_zone = "Europe/Paris"
    site.phone = "+33 1 23 45 67 89"
    site.save()

    def make(starts_at, status=Status.BOOKED, minutes=45, who=None, **fields):
        with acting_for(org):
            return Appointment.objects.create(
                site=site,
                practitioner=practitioner,
                patient=who or patient,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                status=status,
                created_by=practitioner,
                cancel_reason="patient asked" if status == Status.CANCELLED else "",
                **fields,
            )

    return make


def set_status(appointment, status):
    Appointment.all_orgs.filter(pk=appointment.pk).update(
        status=status, cancel_reason="patient asked" if status == Status.CANCELLED else ""
    )


def run_scan_and_send(now):
    return [services.send(pk, now) for pk in services.scan(now)]


def reminders():
    return list(Reminder.all_orgs.order_by("pk"))


# --- the reminder before the appointment -------------------------------------


def test_a_reminder_goes_out_once_within_the_lead_time(appointment_at):
    appointment_at(NOW + timedelta(hours=30))
    assert run_scan_and_send(NOW) == [State.SENT]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    # Wall-clock time of the Paris site, not UTC.
    assert "Wednesday 11 March 2026, 16:00 to 16:45 (Europe/Paris time)" in message.body
    assert "+33 1 23 45 67 89" in message.body
    # Scanning again (a second tick, a restarted worker) sends nothing more.
    assert run_scan_and_send(NOW + timedelta(minutes=1)) == []
    assert run_scan_and_send(NOW + timedelta(hours=5)) == []
    assert len(mail.outbox) == 1
    [row] = reminders()
    assert row.status == State.SENT and row.sent_at == NOW and row.attempts == 1


def test_no_reminder_before_the_lead_time_and_it_follows_the_clinic_setting(org, appointment_at):
    appointment_at(NOW + timedelta(hours=30))
    org.reminder_lead_hours = 24
    org.save()
    assert run_scan_and_send(NOW) == []
    assert run_scan_and_send(NOW + timedelta(hours=6)) == [State.SENT]
    assert reminders()[0].due_at == NOW + timedelta(hours=6)


def test_sending_twice_at_once_sends_one_email(appointment_at):
    appointment_at(NOW + timedelta(hours=3))
    [pk] = services.scan(NOW)
    # Two workers given the same reminder (the task queued twice): one claims it.
    assert services.send(pk, NOW) == State.SENT
    assert services.send(pk, NOW) == "not claimed"
    assert services.claim(pk, NOW) is False
    assert len(mail.outbox) == 1


def test_a_worker_dying_between_claim_and_send_never_sends_a_duplicate(appointment_at):
    appointment_at(NOW + timedelta(hours=3))
    [pk] = services.scan(NOW)
    assert services.claim(pk, NOW)  # ... and the process is killed here.
    # The restarted worker does not pick it up again, however often it scans.
    assert run_scan_and_send(NOW + timedelta(minutes=1)) == []
    assert len(mail.outbox) == 0
    # Once the claim is stale the clinic sees that it may not have gone out.
    run_scan_and_send(NOW + services.STALE_CLAIM + timedelta(minutes=1))
    [row] = reminders()
    assert row.status == State.FAILED and "interrupted" in row.reason
    assert len(mail.outbox) == 0


def test_a_lost_task_is_queued_again(appointment_at):
    appointment_at(NOW + timedelta(hours=3))
    assert len(services.scan(NOW)) == 1
    assert services.scan(NOW + timedelta(minutes=1)) == []  # already queued
    assert len(services.scan(NOW + services.REQUEUE_AFTER + timedelta(minutes=1))) == 1


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.NO_SHOW, Status.PROPOSED])
def test_no_reminder_for_cancelled_no_show_or_proposed(appointment_at, status):
    appointment_at(NOW + timedelta(hours=3), status=status)
    assert run_scan_and_send(NOW) == []
    assert reminders() == [] and mail.outbox == []


def test_an_appointment_cancelled_after_the_scan_is_not_reminded(appointment_at):
    appointment = appointment_at(NOW + timedelta(hours=3))
    [pk] = services.scan(NOW)
    set_status(appointment, Status.CANCELLED)
    assert services.send(pk, NOW) == State.SKIPPED
    assert mail.outbox == []
    [row] = reminders()
    assert row.reason == "appointment cancelled"
    event = AuditEvent.objects.get(object_type="reminder")
    assert event.action == Action.CHANGE and "not sent" in event.detail


def test_a_patient_without_email_gets_none_and_the_record_says_why(appointment_at, make_patient):
    appointment_at(NOW + timedelta(hours=3), who=make_patient(email=""))
    assert run_scan_and_send(NOW) == [State.SKIPPED]
    assert mail.outbox == []
    assert reminders()[0].reason == "patient has no email address"


def test_an_appointment_moved_later_is_reminded_at_the_new_time(appointment_at):
    appointment = appointment_at(NOW + timedelta(hours=3))
    [pk] = services.scan(NOW)
    Appointment.all_orgs.filter(pk=appointment.pk).update(
        starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=5, minutes=45)
    )
    assert services.send(pk, NOW) == State.PENDING
    assert mail.outbox == []
    assert run_scan_and_send(NOW + timedelta(days=3, minutes=1)) == [State.SENT]


def test_an_appointment_moved_after_its_reminder_is_announced_again_once(appointment_at):
    appointment = appointment_at(NOW + timedelta(hours=3))
    assert run_scan_and_send(NOW) == [State.SENT]
    new_start = NOW + timedelta(days=4)
    Appointment.all_orgs.filter(pk=appointment.pk).update(
        starts_at=new_start, ends_at=new_start + timedelta(minutes=45)
    )
    assert run_scan_and_send(NOW + timedelta(hours=1)) == []  # not yet within 48 h
    [row] = reminders()
    assert row.status == State.PENDING and "moved" in row.reason
    due = new_start - timedelta(hours=48)
    assert run_scan_and_send(due) == [State.SENT]
    assert run_scan_and_send(due + timedelta(hours=1)) == []
    assert len(mail.outbox) == 2
    assert "Saturday 14 March 2026, 10:00" in mail.outbox[1].body
    [row] = reminders()
    assert row.announced_starts_at == new_start


def test_sending_is_audited_without_the_message(appointment_at, org):
    appointment_at(NOW + timedelta(hours=3))
    run_scan_and_send(NOW)
    event = AuditEvent.objects.get(object_type="reminder")
    assert event.action == Action.EXPORT and event.organization == org
    assert event.actor is None and "anna" not in event.detail.lower()


def test_a_refusing_mail_server_is_retried_then_reported(appointment_at, settings, monkeypatch):
    appointment_at(NOW + timedelta(hours=6))

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(delivery, "send_mail", refuse)
    when = NOW
    outcomes = []
    for _ in range(services.MAX_ATTEMPTS + 1):
        outcomes += run_scan_and_send(when)
        when += services.RETRY_DELAY + timedelta(minutes=services.REQUEUE_AFTER.seconds // 60)
    assert outcomes == [State.PENDING] * (services.MAX_ATTEMPTS - 1) + [State.FAILED]
    assert "ConnectionRefusedError" in reminders()[0].reason


def test_emails_name_no_treatment(appointment_at):
    appointment_at(NOW + timedelta(hours=3), course_areas=["submental"], course_session=2)
    run_scan_and_send(NOW)
    body = mail.outbox[0].body.lower() + mail.outbox[0].subject.lower()
    assert "submental" not in body and "session 2" not in body and "mesotherapy" not in body


# --- the day-after check-in ---------------------------------------------------


def test_check_in_the_day_after_a_completed_session(appointment_at):
    appointment_at(NOW - timedelta(hours=2), status=Status.COMPLETED)
    assert run_scan_and_send(NOW) == []  # not before 10:00 the next day, Paris time
    next_day = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    assert run_scan_and_send(next_day - timedelta(minutes=1)) == []
    assert run_scan_and_send(next_day) == [State.SENT]
    assert run_scan_and_send(next_day + timedelta(hours=1)) == []
    [message] = mail.outbox
    assert "redness, swelling or signs of infection" in message.body
    assert "Seek care at once for intense pain or signs of infection." in message.body
    for claim in ("guarantee", "results", "best", "offer", "discount", "%"):
        assert claim not in message.body.lower()
    assert reminders()[0].kind == Kind.CHECK_IN


def test_check_in_after_a_signed_session_even_if_not_marked_completed(
    appointment_at, org, site, practitioner, patient
):
    appointment_at(NOW - timedelta(hours=2))
    with acting_for(org):
        TreatmentSession.objects.create(
            patient=patient,
            site=site,
            adhoc_reason="touch-up",
            started_at=NOW - timedelta(hours=2),
            performed_by=practitioner,
            status=SessionStatus.SIGNED,
            signed_by=practitioner,
            signed_at=NOW - timedelta(hours=1),
        )
    assert run_scan_and_send(NOW + timedelta(days=1)) == [State.SENT]
    assert mail.outbox[0].subject.startswith("How are you after your visit")


@pytest.mark.parametrize("status", [Status.BOOKED, Status.CANCELLED, Status.NO_SHOW])
def test_no_check_in_without_a_completed_or_signed_session(appointment_at, status):
    appointment_at(NOW - timedelta(hours=2), status=status)
    assert run_scan_and_send(NOW + timedelta(days=1)) == []
    assert mail.outbox == []


def test_no_check_in_for_old_visits(appointment_at):
    appointment_at(NOW - timedelta(days=10), status=Status.COMPLETED)
    assert run_scan_and_send(NOW) == [] and reminders() == []


# --- the worker process -------------------------------------------------------


@pytest.fixture
def in_test_transaction(monkeypatch):
    # The worker closes stale connections between tasks; inside the test's
    # transaction that would abort it (and audit rows cannot be flushed, so the
    # test cannot run outside one).
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def _batch_worker(*more):
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", *more, verbosity=0)


@pytest.mark.usefixtures("in_test_transaction")
def test_worker_restarts_send_each_reminder_once(appointment_at):
    appointment_at(timezone.now() + timedelta(hours=3))
    appointment_at(timezone.now() + timedelta(hours=5), status=Status.CANCELLED)
    for _ in range(3):  # three worker runs, as after two restarts
        _batch_worker()
    assert len(mail.outbox) == 1
    assert [r.status for r in reminders()] == [State.SENT]


@pytest.mark.usefixtures("in_test_transaction")
def test_send_reminders_queues_for_the_worker(appointment_at):
    appointment_at(timezone.now() + timedelta(hours=3))
    call_command("send-reminders", verbosity=0)
    call_command("send-reminders", verbosity=0)
    assert mail.outbox == []
    _batch_worker("--scan-every=0")
    assert len(mail.outbox) == 1


def test_send_reminders_inline(appointment_at, capsys):
    appointment_at(timezone.now() + timedelta(hours=3))
    call_command("send-reminders", "--inline")
    assert "1 sent" in capsys.readouterr().out
    assert len(mail.outbox) == 1
    assert tasks.send_reminder.name == "send_reminder"


# --- the clinic setting -------------------------------------------------------


def test_owner_sets_the_reminder_time(owner, org):
    client = client_for(owner)
    url = reverse("clinic_settings")
    form = {"name": org.name, "currency": "EUR", "tax_rate": "0"}
    response = client.post(url, {**form, "reminder_lead_hours": "0"})
    assert response.status_code == 400
    assert 'id="id_reminder_lead_hours_error"' in response.content.decode()
    assert client.post(url, {**form, "reminder_lead_hours": "24"}).status_code == 302
    org.refresh_from_db()
    assert org.reminder_lead_hours == 24
    client.post(url, form)  # left empty: kept
    org.refresh_from_db()
    assert org.reminder_lead_hours == 24


# --- real concurrency -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_four_workers_sending_at_once_send_each_reminder_once(
    tmp_path, monkeypatch, org, appointment_at, make_patient
):
    if in_memory_sqlite():
        # The shared in-memory test database cannot show writers queueing: run
        # this test again against a SQLite file, as production uses.
        rerun_on_a_file(
            tmp_path, "test_four_workers_sending_at_once_send_each_reminder_once", __file__
        )
        return
    # Audit rows are append-only, even for the flush that ends a transactional test.
    monkeypatch.setattr(services, "_audit", lambda *_args, **_kwargs: None)
    now = timezone.now()
    for i in range(10):
        appointment_at(now + timedelta(hours=2 + i), who=make_patient(email=f"p{i}@x.org"))
    ids = services.scan(now)
    assert len(ids) == 10
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            for reminder_id in ids[n:] + ids[:n]:
                outcomes.append(services.send(reminder_id, now))
        except Exception as error:  # surfaced by the assertions below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["not claimed"] * 30 + [State.SENT] * 10, outcomes
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{i}@x.org" for i in range(10))


# --- the reminders page -----------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_staff_see_what_was_sent_and_why_not(personas, role, appointment_at, make_patient):
    appointment_at(NOW + timedelta(hours=3))
    appointment_at(NOW + timedelta(hours=5), who=make_patient(first_name="Noe", email=""))
    run_scan_and_send(NOW)
    client = client_for(personas[role])
    page = client.get(reverse("reminder_list")).content.decode()
    assert "García, Anna" in page and "Sent" in page
    assert "Not sent: patient has no email address" in page
    # Paris wall-clock time of the appointment.
    assert "Tue 10 Mar 2026 13:00" in page
    only_skipped = client.get(reverse("reminder_list"), {"status": "skipped", "sort": "x"})
    assert "Anna" not in only_skipped.content.decode()
    assert client.get(reverse("reminder_list"), {"status": "bogus"}).status_code == 200
    rows = client.get(reverse("reminder_list"), {"status": "sent"}, HTTP_HX_REQUEST="true")
    assert "<html" not in rows.content.decode() and "García, Anna" in rows.content.decode()
    assert AuditEvent.objects.filter(action=Action.SEARCH, actor=personas[role]).exists()


def test_an_outsider_sees_none_of_our_reminders(outsider, appointment_at):
    appointment_at(NOW + timedelta(hours=3))
    run_scan_and_send(NOW)
    page = client_for(outsider).get(reverse("reminder_list")).content.decode()
    assert "Anna" not in page and "No reminder matches." in page


def test_the_reminders_page_runs_a_bounded_number_of_queries(
    owner, appointment_at, make_patient, django_assert_max_num_queries
):
    for i in range(60):
        appointment_at(NOW + timedelta(hours=1 + i), who=make_patient(first_name=f"P{i}"))
    services.scan(NOW)
    services.scan(NOW + timedelta(hours=40))
    client = client_for(owner)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reminder_list"))
    assert "60 reminders" in response.content.decode()


def test_the_reminders_page_needs_a_log_in(client):
    response = client.get(reverse("reminder_list"))
    assert response.status_code == 302


def test_the_worker_scans_every_tick_and_prunes_daily(monkeypatch):
    from mesoclinic.notifications.management.commands import worker

    calls = {"scan": 0, "prune": 0}
    enough = threading.Event()

    def scan():
        calls["scan"] += 1
        if calls["scan"] >= 3:
            enough.set()

    monkeypatch.setattr(worker, "scan_once", scan)
    monkeypatch.setattr(worker, "prune_once", lambda: calls.update(prune=calls["prune"] + 1))
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "connection", type("C", (), {"close": staticmethod(lambda: None)}))
    scheduler = worker.Scheduler(every=0.01)
    scheduler.start()
    assert enough.wait(timeout=30)
    scheduler.stopped.set()
    scheduler.join(timeout=30)
    assert calls["scan"] >= 3 and calls["prune"] == 1


# --- links to the patient portal ------------------------------------------------


def test_a_portal_patients_reminder_links_to_their_appointments(
    org, reception, patient, appointment_at, settings
):
    from tests.test_portal import portal_user

    settings.PUBLIC_URL = "https://clinic.example"
    appointment_at(NOW + timedelta(hours=30))
    run_scan_and_send(NOW)
    assert "portal" not in mail.outbox[-1].body  # no account yet: no link
    portal_user(org, reception, patient)
    mail.outbox.clear()
    appointment_at(NOW + timedelta(hours=31))
    run_scan_and_send(NOW + timedelta(minutes=2))
    body = mail.outbox[-1].body
    assert "Confirm, cancel or move it in your patient portal: " in body
    assert "https://clinic.example" + reverse("portal_appointments") in body


def test_without_a_public_address_the_email_carries_no_portal_link(
    org, reception, patient, appointment_at, settings
):
    from tests.test_portal import portal_user

    settings.PUBLIC_URL = ""
    portal_user(org, reception, patient)
    mail.outbox.clear()
    appointment_at(NOW + timedelta(hours=30))
    run_scan_and_send(NOW)
    assert "portal" not in mail.outbox[-1].body


def test_a_reminder_says_when_the_patients_own_ratings_are_due(
    org, reception, patient, approved_plan, appointment_at, settings
):
    from tests.test_portal import portal_user

    settings.PUBLIC_URL = "https://clinic.example"
    portal_user(org, reception, patient)
    mail.outbox.clear()
    appointment_at(NOW + timedelta(hours=30))
    run_scan_and_send(NOW)
    body = mail.outbox[-1].body
    assert "A few questions about your treatment are waiting for you: " in body
    assert "https://clinic.example" + reverse("portal_scores") in body
