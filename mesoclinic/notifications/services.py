"""Which reminders are due, and sending one exactly once.

Delivery guarantee (the choice, and why)
----------------------------------------
Each (appointment, kind) has one `Reminder` row (unique constraint), so no
scan, however often or however many workers run it, makes a second one. The
one exception is deliberate: an appointment moved after its reminder went out
gets the same row re-armed, to announce the new time (once per time).
Sending is: claim (a conditional UPDATE pending -> sending, committed), send
the email, mark sent (committed). Only one worker's claim can succeed. If a
worker dies between claim and "sent" we cannot know whether the mail server
accepted the message, so the row is NOT sent again: after `STALE_CLAIM` the
scan marks it failed with that reason, visible to the clinic. That makes
delivery at-most-once; a duplicate is never sent, a reminder is lost only if
the process dies in the second or so between claim and commit. An exception
from the mail backend (server down, refused) means it was not accepted, so
the row goes back to pending and is retried up to `MAX_ATTEMPTS` times.

The same rows, claimed and sent the same way, carry the one message after a
treatment session with injections: about three weeks later, what a late
infection looks like (atypical mycobacterial infections appear 1-12 weeks after
treatment, clinical-reference §6). One row per session (unique constraint).

Each notice goes by the patient's channels, read at send time: email, text message,
both or none (`delivery.py`, which logs every try as a `Message` row). A server's
refusal when nothing went out is retried like the mail server's.

Every outcome writes an audit event with no actor (the system did it).
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import Combinable
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import Organization
from mesoclinic.audit.log import Action, record_system
from mesoclinic.notifications import delivery, emails, texts
from mesoclinic.notifications.models import SESSION_KINDS, Kind, Reminder, State
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import CHECK_IN_AFTER, REMINDABLE, Appointment, Status
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession

STALE_CLAIM = timedelta(minutes=10)
REQUEUE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
RETRY_DELAY = timedelta(minutes=5)
# The check-in goes out at 10:00 the day after, site time, and not at all once
# it is this late (a check-in about a visit a week ago is noise).
CHECK_IN_HOUR = time(10, 0)
CHECK_IN_TOO_LATE = timedelta(days=2)
# A signed treatment session this close to the appointment shows it took place.
SESSION_SLACK = timedelta(hours=12)
# The late-infection advice: three weeks after the session, at the check-in hour, and
# not at all once two more weeks have passed (the window is 1-12 weeks; §6).
LATE_INFECTION_AFTER = timedelta(weeks=3)
LATE_INFECTION_TOO_LATE = timedelta(weeks=2)
BATCH = 500
MOVED_LATER = "moved later"


def scan(now: datetime | None = None) -> list[int]:
    """Create the reminder rows that have come due and return the ids to send now.

    Marks the returned rows as queued: `tasks.enqueue_due` queues a task for
    each, `send` sends one in this process.
    """
    now = now or timezone.now()
    for org in Organization.objects.only("pk", "reminder_lead_hours"):
        with acting_for(org):
            _rearm_moved(org, now)
            _create_reminders(org, now)
            _create_check_ins(now)
            _create_late_infection_advice(now)
    _fail_stale_claims(now)
    queued = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER)
    ids = list(
        Reminder.all_orgs.filter(queued, status=State.PENDING, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    Reminder.all_orgs.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def _bulk_create(rows: list[Reminder]) -> None:
    # ignore_conflicts: a second scanner racing this one hits the unique
    # constraint and simply makes nothing.
    Reminder.all_orgs.bulk_create(rows, ignore_conflicts=True)


def _without(kind: str) -> Combinable:
    return ~Exists(Reminder.all_orgs.filter(appointment=OuterRef("pk"), kind=kind))


def _create_reminders(org: Organization, now: datetime) -> None:
    lead = timedelta(hours=org.reminder_lead_hours)
    due = Appointment.objects.filter(
        _without(Kind.REMINDER),
        status__in=REMINDABLE,
        starts_at__gt=now,
        starts_at__lte=now + lead,
    ).values_list("pk", "starts_at")[:BATCH]
    _bulk_create(
        [
            Reminder(organization_id=org.pk, appointment_id=pk, kind=Kind.REMINDER, due_at=s - lead)
            for pk, s in due
        ]
    )


def _rearm_moved(org: Organization, now: datetime) -> None:
    """A sent reminder whose appointment was moved since: announce the new time."""
    lead = timedelta(hours=org.reminder_lead_hours)
    moved = (
        Reminder.objects.filter(
            kind=Kind.REMINDER,
            status=State.SENT,
            announced_starts_at__isnull=False,
            appointment__status__in=REMINDABLE,
            appointment__starts_at__gt=now,
        )
        .exclude(announced_starts_at=F("appointment__starts_at"))
        .select_related("appointment")[:BATCH]
    )
    for reminder in moved:
        rearmed = Reminder.objects.filter(
            pk=reminder.pk, status=State.SENT, announced_starts_at=reminder.announced_starts_at
        ).update(
            status=State.PENDING,
            due_at=_appointment(reminder).starts_at - lead,
            enqueued_at=None,
            attempts=0,
            reason="appointment moved after the reminder: the new time will be sent",
        )
        if rearmed:
            _audit(reminder, Action.CHANGE, "reminder to be sent again: appointment moved")


def _took_place() -> Combinable:
    signed = TreatmentSession.all_orgs.filter(
        patient=OuterRef("patient"),
        status=SessionStatus.SIGNED,
        started_at__gte=OuterRef("starts_at") - SESSION_SLACK,
        started_at__lte=OuterRef("ends_at") + SESSION_SLACK,
    )
    return Q(status=Status.COMPLETED) | Exists(signed)


def check_in_due(appointment: Appointment) -> datetime:
    local_day = appointment.ends_at.astimezone(appointment.site.zone).date()
    return datetime.combine(
        local_day + timedelta(days=1), CHECK_IN_HOUR, tzinfo=appointment.site.zone
    )


def _create_check_ins(now: datetime) -> None:
    ended = (
        Appointment.objects.filter(
            _without(Kind.CHECK_IN),
            _took_place(),
            status__in=CHECK_IN_AFTER,
            ends_at__lte=now,
            ends_at__gt=now - CHECK_IN_TOO_LATE - timedelta(days=1),
        )
        .select_related("site")
        .order_by("ends_at")[:BATCH]
    )
    rows = []
    for appointment in ended:
        due = check_in_due(appointment)
        if due <= now:
            rows.append(
                Reminder(
                    organization_id=appointment.organization_id,
                    appointment=appointment,
                    kind=Kind.CHECK_IN,
                    due_at=due,
                )
            )
    _bulk_create(rows)


def late_infection_due(session: TreatmentSession) -> datetime:
    zone = session.site.zone
    assert session.signed_at is not None  # only signed sessions get the late advice
    day = session.signed_at.astimezone(zone).date()
    return datetime.combine(day + LATE_INFECTION_AFTER, CHECK_IN_HOUR, tzinfo=zone)


def _injection_techniques() -> list[str]:
    return [t.slug for t in rules.load_reference().techniques.values() if t.injection]


def _create_late_infection_advice(now: datetime) -> None:
    """A row for each signed session with injections whose three weeks are up."""
    injected = SessionArea.objects.filter(
        session=OuterRef("pk"), technique__in=_injection_techniques()
    )
    without = ~Exists(Reminder.all_orgs.filter(session=OuterRef("pk"), kind=Kind.LATE_INFECTION))
    # A day's slack each side: the due time is site-local, the window is UTC.
    signed = (
        TreatmentSession.objects.filter(
            without,
            Exists(injected),
            status=SessionStatus.SIGNED,
            signed_at__lte=now - LATE_INFECTION_AFTER + timedelta(days=1),
            signed_at__gt=now - LATE_INFECTION_AFTER - LATE_INFECTION_TOO_LATE - timedelta(days=1),
        )
        .select_related("site")
        .order_by("signed_at")[:BATCH]
    )
    rows = []
    for session in signed:
        due = late_infection_due(session)
        if due <= now:
            rows.append(
                Reminder(
                    organization_id=session.organization_id,
                    session=session,
                    kind=Kind.LATE_INFECTION,
                    due_at=due,
                )
            )
    _bulk_create(rows)


def _fail_stale_claims(now: datetime) -> None:
    stale = list(
        Reminder.all_orgs.filter(status=State.SENDING, claimed_at__lt=now - STALE_CLAIM)[:BATCH]
    )
    reason = "interrupted while sending; not sent again so the patient never gets it twice"
    for reminder in stale:
        if _finish(reminder, State.FAILED, reason, from_status=State.SENDING):
            _audit(reminder, Action.CHANGE, f"{reminder.kind} not sent: {reason}")


def claim(reminder_id: int, now: datetime | None = None) -> bool:
    """Take the row for this worker: true for exactly one caller."""
    now = now or timezone.now()
    return bool(
        Reminder.all_orgs.filter(pk=reminder_id, status=State.PENDING, due_at__lte=now).update(
            status=State.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    )


def send(reminder_id: int, now: datetime | None = None) -> str:
    """Claim, re-check and send one reminder. Returns the row's final status."""
    now = now or timezone.now()
    if not claim(reminder_id, now):
        return "not claimed"
    reminder = Reminder.all_orgs.select_related(
        "appointment__site",
        "appointment__patient",
        "session__site",
        "session__patient",
        "organization",
    ).get(pk=reminder_id)
    with acting_for(reminder.organization_id):
        return deliver(reminder, now)


def _appointment(reminder: Reminder) -> Appointment:
    """An appointment reminder's appointment (the database requires one for these kinds)."""
    assert reminder.appointment is not None
    return reminder.appointment


def deliver(reminder: Reminder, now: datetime) -> str:
    """Send a claimed reminder, or record why not."""
    if reminder.kind in SESSION_KINDS:
        return _deliver_after_session(reminder, now)
    appointment = _appointment(reminder)
    why_not = _why_not(reminder, appointment, now)
    if why_not == MOVED_LATER:
        lead = timedelta(hours=reminder.organization.reminder_lead_hours)
        Reminder.all_orgs.filter(pk=reminder.pk, status=State.SENDING).update(
            status=State.PENDING, due_at=appointment.starts_at - lead, enqueued_at=None
        )
        return State.PENDING
    if why_not:
        return _skip(reminder, why_not)
    email = emails.compose(reminder, appointment)
    notice = delivery.Notice(
        reminder.kind, email.subject, email.body, texts.for_appointment(reminder, appointment)
    )
    return _send(
        reminder, appointment.patient, notice, now, announced_starts_at=appointment.starts_at
    )


def _deliver_after_session(reminder: Reminder, now: datetime) -> str:
    session = reminder.session
    assert session is not None  # a session kind always names its session
    if session.status != SessionStatus.SIGNED:
        return _skip(reminder, "session voided")
    if now - reminder.due_at > LATE_INFECTION_TOO_LATE:
        return _skip(reminder, "too late for the three-week advice")
    email = emails.compose_after_session(reminder, session)
    notice = delivery.Notice(
        reminder.kind, email.subject, email.body, texts.after_session(reminder, session)
    )
    return _send(reminder, session.patient, notice, now)


def _skip(reminder: Reminder, why_not: str) -> str:
    _finish(reminder, State.SKIPPED, why_not)
    _audit(reminder, Action.CHANGE, f"{reminder.kind} not sent: {why_not}")
    return State.SKIPPED


def _send(
    reminder: Reminder, patient: Patient, notice: delivery.Notice, now: datetime, **sent: Any
) -> str:
    """By the patient's channels as they stand now; each try is a logged `Message`."""
    outcome = delivery.deliver(patient, notice, now, reminder)
    if outcome.sent:
        also = [*outcome.why_not, *([outcome.refused] if outcome.refused else [])]
        _finish(reminder, State.SENT, "; ".join(also), sent_at=now, **sent)
        _audit(
            reminder, Action.EXPORT, f"{reminder.kind} sent to the patient by {outcome.channels}"
        )
        return State.SENT
    if outcome.refused:
        return _retry_later(reminder, now, outcome.refused)
    return _skip(reminder, "; ".join(outcome.why_not))


def _why_not(reminder: Reminder, appointment: Appointment, now: datetime) -> str:
    """Re-checked at send time: the appointment may have changed since the scan."""
    if appointment.status == Status.CANCELLED:
        return "appointment cancelled"
    if appointment.status == Status.NO_SHOW:
        return "patient did not attend"
    if reminder.kind == Kind.REMINDER:
        if appointment.status not in REMINDABLE:
            return f"appointment is {appointment.get_status_display().lower()}"
        if appointment.starts_at <= now:
            return "appointment already started"
        lead = timedelta(hours=reminder.organization.reminder_lead_hours)
        if appointment.starts_at - lead > now + timedelta(minutes=1):
            return MOVED_LATER
    else:
        if not Appointment.objects.filter(_took_place(), pk=appointment.pk).exists():
            return "no completed or signed session"
        if now - reminder.due_at > CHECK_IN_TOO_LATE:
            return "too late for a day-after check-in"
    return ""


def _retry_later(reminder: Reminder, now: datetime, error: str) -> str:
    # Loaded after the claim, so this attempt is already counted.
    if reminder.attempts >= MAX_ATTEMPTS:
        reason = f"not accepted {reminder.attempts} times ({error})"
        _finish(reminder, State.FAILED, reason)
        _audit(reminder, Action.CHANGE, f"{reminder.kind} not sent: {reason}")
        return State.FAILED
    Reminder.all_orgs.filter(pk=reminder.pk, status=State.SENDING).update(
        status=State.PENDING,
        due_at=now + RETRY_DELAY,
        enqueued_at=None,
        reason=f"retrying: {error}"[:200],
    )
    return State.PENDING


def _finish(
    reminder: Reminder, status: str, reason: str, *, from_status: str = State.SENDING, **more: Any
) -> int:
    return Reminder.all_orgs.filter(pk=reminder.pk, status=from_status).update(
        status=status, reason=reason[:200], **more
    )


def _audit(reminder: Reminder, action: str, detail: str) -> None:
    record_system(
        reminder.organization_id,
        action,
        object_type="reminder",
        object_id=str(reminder.public_id),
        detail=detail,
    )
