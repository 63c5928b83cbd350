"""One message about three weeks after a session with injections: what a late infection
looks like (atypical mycobacterial infections appear 1-12 weeks after treatment, §6).

Sent through the reminder rows: created once per session (unique constraint), claimed
before sending, never sent twice (see notifications/services.py).
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.notifications import delivery, services
from mesoclinic.notifications.models import Kind, Reminder, State
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import Lot, SessionArea, SessionStatus, TreatmentSession
from tests.factories import client_for

SIGNED = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)  # a Monday, 12:30 in Paris
DUE = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # three weeks later, 10:00 in Paris
SIGNS = ("a lump", "redness or swelling", "discharge", "a sore that does not heal")


@pytest.fixture
def clinic(org, site):
    site.time_zone = "Europe/Paris"
    site.phone = "+33 1 23 45 67 89"
    site.address = "3 rue de la Paix, Paris"
    site.save()
    org.out_of_hours = "Out of hours, call SOS Médecins on 3624."
    org.save()


def signed_session(org, site, patient, practitioner, technique="hypodermic", **fields):
    with acting_for(org):
        lot = Lot.objects.create(
            site=site,
            product="deoxycholic-10mg-2ml",
            lot_number=f"L-{Lot.objects.count()}",
            expires_on=SIGNED.date() + timedelta(days=300),
            received_on=SIGNED.date() - timedelta(days=30),
            vials_received=10,
            received_by=practitioner,
        )
        session = TreatmentSession.objects.create(
            patient=patient,
            site=site,
            adhoc_reason="Touch-up",
            performed_by=practitioner,
            started_at=SIGNED - timedelta(hours=1),
        )
        SessionArea.objects.create(
            session=session,
            area="submental",
            technique=technique,
            lot=lot,
            volume_ml=Decimal("2.0"),
            injections=10 if technique == "hypodermic" else 0,
        )
        # Signed after charting, as the treatment day does: a signed session is immutable.
        signed = {"status": SessionStatus.SIGNED, "signed_at": SIGNED, "signed_by": practitioner}
        TreatmentSession.objects.filter(pk=session.pk).update(**{**signed, **fields})
        session.refresh_from_db()
    return session


def run(now):
    return [services.send(pk, now) for pk in services.scan(now)]


def rows():
    return list(Reminder.all_orgs.filter(kind=Kind.LATE_INFECTION).order_by("pk"))


@pytest.fixture
def session(org, site, patient, practitioner, clinic):
    return signed_session(org, site, patient, practitioner)


def test_one_message_three_weeks_after_a_session_with_injections(session):
    assert run(DUE - timedelta(minutes=1)) == [] and rows() == []
    assert run(DUE) == [State.SENT]
    [message] = mail.outbox
    assert message.to == ["anna@example.com"]
    assert message.subject == "After your visit on Monday 02 March: signs to look out for"
    body = message.body
    assert "Monday 2 March 2026" in body and "up to 12 weeks after treatment" in body
    for sign in SIGNS:
        assert sign in body
    assert "+33 1 23 45 67 89" in body and "3 rue de la Paix" in body
    assert "Out of hours, call SOS Médecins on 3624." in body
    # Email is not a private channel: nothing names the treatment, area or product.
    for private in ("deoxycholic", "Deoxycholic", "submental", "chin", "Touch-up"):
        assert private not in body
    assert run(DUE + timedelta(minutes=1)) == [] and run(DUE + timedelta(days=6)) == []
    assert len(mail.outbox) == 1
    [row] = rows()
    assert (row.session, row.status, row.sent_at, row.due_at) == (session, State.SENT, DUE, DUE)
    assert AuditEvent.objects.filter(
        action=Action.EXPORT, object_id=str(row.public_id), actor=None
    ).exists()


def test_two_workers_given_the_same_row_send_it_once(session):
    [pk] = services.scan(DUE)
    assert services.send(pk, DUE) == State.SENT
    assert services.send(pk, DUE) == "not claimed"
    assert len(mail.outbox) == 1


def test_a_worker_dying_after_the_claim_never_sends_a_duplicate(session):
    [pk] = services.scan(DUE)
    assert services.claim(pk, DUE)
    run(DUE + services.STALE_CLAIM + timedelta(minutes=1))
    [row] = rows()
    assert row.status == State.FAILED and "interrupted" in row.reason
    assert mail.outbox == []


def test_a_mail_server_failure_is_retried(session, monkeypatch):
    def refuse(**kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(delivery, "send_mail", refuse)
    assert run(DUE) == [State.PENDING]
    monkeypatch.undo()
    assert run(DUE + services.RETRY_DELAY) == [State.SENT]
    assert len(mail.outbox) == 1


def test_no_message_after_a_needle_free_session(org, site, patient, practitioner, clinic):
    signed_session(org, site, patient, practitioner, technique="electroporation")
    assert run(DUE) == [] and rows() == []


def test_no_message_for_a_session_not_signed(org, site, patient, practitioner, clinic):
    signed_session(
        org, site, patient, practitioner, status=SessionStatus.IN_PROGRESS, signed_at=None
    )
    assert run(DUE) == [] and rows() == []


def test_a_session_voided_before_its_three_weeks_gets_none(org, session):
    TreatmentSession.all_orgs.filter(pk=session.pk).update(status=SessionStatus.VOIDED)
    assert run(DUE) == [] and rows() == []


def test_a_session_voided_before_sending_is_skipped_with_the_reason(org, session):
    [pk] = services.scan(DUE)
    TreatmentSession.all_orgs.filter(pk=session.pk).update(status=SessionStatus.VOIDED)
    assert services.send(pk, DUE) == State.SKIPPED
    assert rows()[0].reason == "session voided" and mail.outbox == []


def test_a_patient_without_email_gets_none_and_the_reason_is_kept(
    org, site, make_patient, practitioner, clinic
):
    signed_session(org, site, make_patient(email=""), practitioner)
    assert run(DUE) == [State.SKIPPED]
    assert rows()[0].reason == "patient has no email address"


def test_a_worker_down_for_weeks_does_not_send_it_late(session):
    assert run(DUE + services.LATE_INFECTION_TOO_LATE + timedelta(days=2)) == []
    assert rows() == [] and mail.outbox == []


def test_a_row_queued_then_left_too_long_is_skipped(session):
    [pk] = services.scan(DUE)
    late = DUE + services.LATE_INFECTION_TOO_LATE + timedelta(hours=1)
    assert services.send(pk, late) == State.SKIPPED
    assert "too late" in rows()[0].reason


def test_the_database_keeps_one_row_per_session_and_the_right_target(org, session):
    services.scan(DUE)
    [row] = rows()
    with acting_for(org):
        with pytest.raises(IntegrityError), transaction.atomic():
            Reminder.objects.create(session=session, kind=Kind.LATE_INFECTION, due_at=DUE)
        with pytest.raises(IntegrityError), transaction.atomic():
            Reminder.objects.create(kind=Kind.LATE_INFECTION, due_at=DUE)
        with pytest.raises(IntegrityError), transaction.atomic():
            Reminder.objects.create(session=session, kind=Kind.CHECK_IN, due_at=DUE)
    assert rows() == [row]


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_staff_see_it_on_the_reminders_page_without_clinical_detail(personas, role, session):
    run(DUE)
    page = client_for(personas[role]).get(reverse("reminder_list")).content.decode()
    assert "García, Anna" in page and "Aftercare advice, 3 weeks after treatment" in page
    assert "Mon 02 Mar 2026 11:30" in page  # when the visit started, Paris time
    for private in ("eoxycholic", "ubmental", "Touch-up", "infection"):
        assert private not in page


def test_an_outsider_sees_none_of_it(outsider, session):
    run(DUE)
    page = client_for(outsider).get(reverse("reminder_list")).content.decode()
    assert "Anna" not in page
