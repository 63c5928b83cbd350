"""What a patient may do to their own upcoming appointments: confirm, cancel, move.

The portal decides who (the patient of the `PortalAccount`, on one of their own
appointments, else 404) and when (not within the clinic's `cancel_notice_hours` of the
start: then they call). The change itself is the staff's: `scheduling.services.confirm`
and `cancel`, `scheduling.course.move` (which re-checks the diary and the course's
minimum intervals, and lets only a practitioner shorten one). Those services write the
audit event, with the patient as the actor; nothing here writes a second one.
"""

import datetime as dt
import uuid
from functools import partial
from typing import Any

from django.http import Http404
from django.utils import timezone

from mesoclinic.accounts.models import Organization
from mesoclinic.portal.models import PortalAccount
from mesoclinic.scheduling import course, services
from mesoclinic.scheduling.diary import Slot
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.scheduling.move_slots import move_slots
from mesoclinic.transitions import TransitionRefused

# A proposed appointment is reception's to confirm with the patient; the others are past.
ACTIONABLE = (Status.BOOKED, Status.CONFIRMED)
IN_CALENDAR = (Status.PROPOSED, Status.BOOKED, Status.CONFIRMED)


class Refused(Exception):
    """An action the patient cannot take here; the message says why and what to do."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def own_appointment(account: PortalAccount, public_id: uuid.UUID) -> Appointment:
    found = (
        Appointment.objects.filter(patient=account.patient, public_id=public_id)
        .select_related(
            "site", "room", "practitioner", "patient", "plan", "plan_version", "treatment_type"
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


def _org(account: PortalAccount) -> Organization:
    return account.patient.organization


def cutoff(account: PortalAccount, now: dt.datetime | None = None) -> dt.datetime:
    """Appointments starting before this are within the notice period: call, don't click."""
    return (now or timezone.now()) + dt.timedelta(hours=_org(account).cancel_notice_hours)


def call_instead(account: PortalAccount, appt: Appointment) -> str:
    hours = _org(account).cancel_notice_hours
    phone = appt.site.phone
    call = f"call the clinic on {phone}." if phone else "call the clinic."
    return f"Less than {hours} hour{'' if hours == 1 else 's'} before the appointment: {call}"


def row_context(account: PortalAccount) -> dict[str, Any]:
    """What `portal/_appointment_row.html` needs beside the appointment ``a``."""
    return {"cutoff": cutoff(account), "call_instead": partial(call_instead, account)}


def _check_open(account: PortalAccount, appt: Appointment, done: str) -> None:
    if appt.status not in ACTIONABLE:
        status = appt.get_status_display().lower()
        raise Refused(f"This appointment is {status}: it can no longer be {done} here.")
    if appt.starts_at < cutoff(account):
        raise Refused(call_instead(account, appt))


def confirm(account: PortalAccount, appt: Appointment) -> Appointment:
    if appt.status == Status.CONFIRMED:
        raise Refused("You have already confirmed this appointment.")
    if appt.status != Status.BOOKED or appt.starts_at <= timezone.now():
        raise Refused("This appointment cannot be confirmed.")
    try:
        return services.confirm(account.user, appt)
    except (services.Refused, TransitionRefused) as refused:
        raise Refused(refused.message) from refused


def cancel(account: PortalAccount, appt: Appointment, reason: str) -> Appointment:
    _check_open(account, appt, "cancelled")
    if not reason.strip():
        raise Refused("Tell the clinic why you cancel.", "reason")
    try:
        return services.cancel(account.user, appt, reason)
    except (services.Refused, TransitionRefused) as refused:
        raise Refused(refused.message, refused.field) from refused


def choices(account: PortalAccount, appt: Appointment) -> list[Slot]:
    """The times offered: free with the same practitioner at the same site, outside the
    notice period, on days that keep the course's minimum intervals."""
    return move_slots(appt, not_before=cutoff(account))


def move(
    account: PortalAccount, appt: Appointment, *, starts_at: dt.datetime, lock_version: int
) -> Appointment:
    _check_open(account, appt, "moved")
    if starts_at < cutoff(account):
        hours = _org(account).cancel_notice_hours
        raise Refused(f"Choose a time at least {hours} hours from now.", "starts_at")
    try:
        moved = course.move(
            account.user,
            appt,
            starts_at=starts_at,
            lock_version=lock_version,
            room=course.room_at(appt, starts_at),
        )
    except services.Refused as refused:
        raise Refused(_reworded(account, appt.public_id, starts_at, refused)) from refused
    return moved[0]


def _reworded(
    account: PortalAccount, public_id: uuid.UUID, starts_at: dt.datetime, refused: services.Refused
) -> str:
    """The course's interval refusal in the patient's words (the staff's names grades,
    sources and a tick box they do not have); any other refusal as it is."""
    fresh = own_appointment(account, public_id)  # the refused move changed the copy in hand
    problems = course.interval_problems(fresh, starts_at.astimezone(fresh.site.zone).date())
    if not problems:
        return refused.message
    days = max(p.required for p in problems)
    return (
        "That day is too close to another session of your treatment course, which needs "
        f"at least {days} days between sessions. Choose one of the times offered, or call "
        "the clinic."
    )
