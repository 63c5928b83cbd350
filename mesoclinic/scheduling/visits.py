"""The visit itself: reception checks the patient in, a clinician starts the session from
the appointment, and signing that session completes the appointment.

A session may also be started without an appointment (a walk-in, or from the plan's
page): nothing here is needed for it. Treatments sits below scheduling and never imports
it; `apps.SchedulingConfig.ready` registers `session_signed` with `treatments.sign_hooks`.
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.records import keep_history
from mesoclinic.scheduling import services
from mesoclinic.scheduling.models import REMINDABLE, Appointment
from mesoclinic.scheduling.services import Refused
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from mesoclinic.treatments.session_checks import SessionRefused


def is_today(appt: Appointment) -> bool:
    """Whether the appointment is on today's date where its site is."""
    return appt.local_start().date() == timezone.now().astimezone(appt.site.zone).date()


def check_in_refusal(appt: Appointment) -> str | None:
    """Why the patient cannot be checked in for this appointment now, or None."""
    if appt.status not in REMINDABLE:
        return f"A {appt.get_status_display().lower()} appointment cannot be checked in."
    if not is_today(appt):
        return "Only today's appointments are checked in."
    return None


def check_in(user: User, appt: Appointment) -> bool:
    """The patient has arrived: now. A second check-in (a double submit) changes nothing
    and returns False; one conditional UPDATE, so two at once make one."""
    if refusal := check_in_refusal(appt):
        raise Refused(refusal)
    now = timezone.now()
    with transaction.atomic():
        updated = Appointment.objects.filter(
            pk=appt.pk, arrived_at__isnull=True, status__in=REMINDABLE
        ).update(
            arrived_at=now, changed_at=now, changed_by=user, lock_version=F("lock_version") + 1
        )
        if not updated:
            return False
        appt.refresh_from_db()
        keep_history(appt, user, now)
        record(user, Action.CHANGE, appt, fields=["arrived_at"], detail="checked in")
    return True


def has_live_session(appt: Appointment) -> bool:
    """A session started from it that is not voided (in progress or signed)."""
    return appt.session is not None and appt.session.status != SessionStatus.VOIDED


def start_refusal(appt: Appointment) -> str | None:
    """Why no session can be started from this appointment now, or None."""
    if appt.plan_id is None or appt.follow_up:
        return "Only a treatment visit of a plan's course starts a session."
    if appt.status not in REMINDABLE:
        return f"A {appt.get_status_display().lower()} appointment has no session to start."
    if not is_today(appt):
        return "A session is started from today's appointments only."
    if has_live_session(appt):
        return "A session was already started from this appointment."
    return None


def link_session(user: User, appt: Appointment, session: TreatmentSession) -> None:
    """Link the session just started to the appointment, in the start's transaction: a
    refusal (someone started one from it meanwhile) undoes the start too."""
    locked = Appointment.objects.select_for_update(of=("self",)).select_related("site", "session")
    current = locked.get(pk=appt.pk)
    if refusal := start_refusal(current):
        raise SessionRefused(refusal)
    if session.plan_id != current.plan_id:
        raise SessionRefused("The session is not for this appointment's plan.")
    current.session = session
    current.changed_by = user
    current.lock_version += 1
    current.save(update_fields=["session", "lock_version"])
    record(user, Action.CHANGE, current, fields=["session"], detail="session started")
    appt.__dict__.update(current.__dict__)


def session_signed(user: User, session: TreatmentSession) -> None:
    """`treatments.sign_hooks`: the appointment the session was started from is completed.

    One already completed (by hand) or cancelled meanwhile is left as it is."""
    for appt in Appointment.objects.filter(session=session, status__in=REMINDABLE):
        services.complete(user, appt, treated=True)
