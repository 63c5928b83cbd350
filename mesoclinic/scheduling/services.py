"""Booking services: the only code that creates, moves, confirms or cancels appointments.

Status changes are named use cases (accept, confirm, cancel, no_show, complete),
each checked against ``states.APPOINTMENT``.

Double booking is refused twice over. Here, the check and the write run in one
transaction; on SQLite that transaction is IMMEDIATE (settings), so a second
writer waits until the first has committed and then sees its row. On
PostgreSQL the exclusion constraints of migration 0002 refuse the loser of a
race, and its IntegrityError becomes the same refusal a person would read.
"""

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import violates
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling import states
from mesoclinic.scheduling.diary import Diary
from mesoclinic.scheduling.models import (
    HOLDS_SLOT,
    REMINDABLE,
    Appointment,
    Room,
    Status,
    overlapping,
)
from mesoclinic.treatments.models import SessionStatus


class Refused(Exception):
    """A booking or change that cannot be made; the message says why, for a person."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class StaleChange(Refused):
    def __init__(self) -> None:
        super().__init__("Someone else changed this appointment meanwhile; reload and try again.")


def active_appointments(*, all_orgs: bool = False) -> QuerySet[Appointment]:
    """Booked or confirmed appointments: the ones reminders are for.

    ``all_orgs=True`` is for a worker running outside any request; otherwise the
    query is scoped to the current organization like every other.
    """
    manager = Appointment.all_orgs if all_orgs else Appointment.objects
    return manager.filter(status__in=REMINDABLE)


def span(starts_at: dt.datetime, ends_at: dt.datetime, site: Site) -> str:
    """ "Mon 7 Dec 10:00-10:45" in the site's time; the year is named when it is not the
    site's current one ("Mon 4 Jan 2027 10:00-10:45")."""
    zone = site.zone
    a, b = starts_at.astimezone(zone), ends_at.astimezone(zone)
    year = "" if a.year == dt.datetime.now(zone).year else f" {a.year}"
    return f"{a:%a %-d %b}{year} {a:%H:%M}-{b:%H:%M}"


def clash_messages(
    site: Site,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    practitioner: User,
    room: Room | None,
    patient: Patient,
    exclude: Collection[int] = (),
) -> list[str]:
    """What already occupies any of practitioner, room or patient at that time, in words."""
    others = (
        Appointment.objects.filter(overlapping(starts_at, ends_at), status__in=HOLDS_SLOT)
        .exclude(pk__in=exclude)
        .select_related("practitioner", "room", "patient")
    )
    out = []
    for other in others:
        when = span(other.starts_at, other.ends_at, site)
        if other.practitioner_id == practitioner.pk:
            out.append(f"{other.practitioner} is already booked {when}.")
        if room is not None and other.room_id == room.pk:
            out.append(f"{other.room} is already booked {when}.")
        if other.patient_id == patient.pk:
            out.append(f"{other.patient} already has an appointment {when}.")
    return out


def _check_time(
    diary: Diary, practitioner: User, starts_at: dt.datetime, ends_at: dt.datetime
) -> None:
    site = diary.site
    day = starts_at.astimezone(diary.zone).date()
    if ends_at.astimezone(diary.zone).date() != day:
        raise Refused("An appointment must start and end on the same day.", "starts_at")
    if not any(o <= starts_at and ends_at <= c for o, c in diary.opening(day)):
        raise Refused(f"{site} is not open {span(starts_at, ends_at, site)}.", "starts_at")
    if not any(o <= starts_at and ends_at <= c for o, c in diary.working(practitioner.pk, day)):
        raise Refused(
            f"{practitioner} is not working at {site} {span(starts_at, ends_at, site)}.",
            "starts_at",
        )


def _check_free(appt: Appointment, exclude: Collection[int] = (), past: bool = False) -> None:
    if appt.starts_at < timezone.now() and not past:
        raise Refused("That time has already passed.", "starts_at")
    diary = Diary.load(
        appt.site,
        appt.starts_at.astimezone(appt.site.zone).date(),
        appt.starts_at.astimezone(appt.site.zone).date(),
        staff=[appt.practitioner],
        patient=appt.patient,
    )
    _check_time(diary, appt.practitioner, appt.starts_at, appt.ends_at)
    if appt.room is not None and (appt.room.site_id != appt.site_id or not appt.room.active):
        raise Refused(f"{appt.room} is not an active room of {appt.site}.", "room")
    clashes = diary.clashes(
        appt.starts_at,
        appt.ends_at,
        practitioner_id=appt.practitioner_id,
        room_id=appt.room_id,
        patient_id=appt.patient_id,
        exclude=exclude,
    )
    if clashes:
        raise Refused(" ".join(_messages(appt, exclude)), "starts_at")


def _messages(appt: Appointment, exclude: Collection[int] = ()) -> list[str]:
    return clash_messages(
        appt.site,
        appt.starts_at,
        appt.ends_at,
        practitioner=appt.practitioner,
        room=appt.room,
        patient=appt.patient,
        exclude=exclude,
    ) or ["That time was taken by someone else a moment ago; choose another."]


# PostgreSQL may break a tie between two inserts that each wait on the other's exclusion
# check by aborting one ("deadlock detected"); trying again then meets the other's row.
RETRYABLE = {"40P01", "40001"}
ATTEMPTS = 3


def _retryable(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) in RETRYABLE


# PostgreSQL's exclusion constraints of migration 0002, one per thing that cannot be
# in two places at once.
NO_OVERLAP_CONSTRAINTS = tuple(f"appt_no_overlap_{n}" for n in ("practitioner", "room", "patient"))


def _double_booking(error: IntegrityError) -> bool:
    """Whether the database refused the write as overlapping another appointment."""
    return any(violates(error, name) for name in NO_OVERLAP_CONSTRAINTS)


def _save_checked(
    appt: Appointment, exclude: Collection[int] = (), past: bool = False, **save_kwargs: Any
) -> None:
    """Check and write in one transaction; a lost race on PostgreSQL reads like any clash."""
    for attempt in range(ATTEMPTS):
        try:
            with transaction.atomic():
                _check_free(appt, exclude, past=past)
                appt.save(**save_kwargs)
            return
        except IntegrityError as error:
            if not _double_booking(error):
                raise
            raise Refused(" ".join(_messages(appt, exclude)), "starts_at") from error
        except OperationalError as error:
            if not _retryable(error) or attempt == ATTEMPTS - 1:
                raise


def _check_role(appt: Appointment) -> None:
    treatment = appt.treatment_type
    if treatment is not None and treatment.roles and appt.practitioner.role not in treatment.roles:
        who = ", ".join(Role(r).label.lower() for r in treatment.roles if r in Role.values)
        raise Refused(
            f"{treatment} is given by: {who}; {appt.practitioner} is "
            f"{appt.practitioner.get_role_display().lower()}.",
            "practitioner",
        )


def book(user: User, *, status: str = Status.BOOKED, **fields: Any) -> Appointment:
    """A new appointment on a free slot, or ``Refused`` saying what is in the way."""
    appt = Appointment(status=status, created_by=user, changed_by=user, **fields)
    _check_role(appt)
    _save_checked(appt)
    record(user, Action.CREATE, appt, fields=["starts_at", "practitioner", "patient", "status"])
    return appt


def _session_refusal(appt: Appointment, verb: str) -> None:
    """A visit whose session was started (in progress or signed) happened: it is not
    moved, cancelled or marked missed; voiding the session first frees it."""
    if appt.session_id is None:
        return
    status = appt.session.status if appt.session else None
    if status == SessionStatus.SIGNED:
        raise Refused(f"Its session was signed: the visit took place and cannot be {verb}.")
    if status != SessionStatus.VOIDED:
        raise Refused(
            f"A session was started from this appointment: sign or void it before it can be {verb}."
        )


# What a past appointment brought from another system may have become.
HISTORY = (Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED)


def book_history(user: User, *, status: str, cancel_reason: str = "", **fields: Any) -> Appointment:
    """A past appointment from the system a clinic leaves, as it ended there: the same
    checks as a booking (role, opening and working hours, no overlap) but the time may
    have passed. A cancelled one held no slot (its time was often rebooked), so only its
    practitioner's role is checked."""
    if status not in HISTORY:
        raise Refused("A past appointment is completed, no-show or cancelled.", "status")
    appt = Appointment(status=status, created_by=user, changed_by=user, **fields)
    if appt.starts_at >= timezone.now():
        raise Refused("Only an appointment that has already started has an outcome.", "status")
    _check_role(appt)
    if status == Status.CANCELLED:
        appt.cancel_reason = cancel_reason.strip()[:300] or "Cancelled in the previous system"
        appt.cancelled_at, appt.cancelled_by = appt.starts_at, user
        appt.save()
    else:
        _save_checked(appt, past=True)
    record(user, Action.CREATE, appt, fields=["starts_at", "practitioner", "patient", "status"])
    return appt


def reschedule(
    user: User,
    appt: Appointment,
    *,
    starts_at: dt.datetime,
    lock_version: int,
    room: Room | None = None,
    practitioner: User | None = None,
    reason: str = "",
) -> Appointment:
    """Move to a new time, room or practitioner; course interval rules are course.move's."""
    if not appt.holds_slot or appt.status == Status.COMPLETED:
        raise Refused(f"A {appt.get_status_display().lower()} appointment cannot be moved.")
    _session_refusal(appt, "moved")
    if appt.lock_version != lock_version:
        raise StaleChange
    length = appt.ends_at - appt.starts_at
    appt.starts_at, appt.ends_at = starts_at, starts_at + length
    appt.room = room if room is not None else appt.room
    if practitioner is not None and practitioner.pk != appt.practitioner_id:
        appt.practitioner = practitioner
        _check_role(appt)
    if reason:
        appt.interval_override_reason, appt.overridden_by = reason, user
    appt.changed_by = user
    _bump_and_save(appt, lock_version, checked=True)
    record(user, Action.CHANGE, appt, fields=["starts_at", "room", "practitioner"])
    return appt


def _bump_and_save(appt: Appointment, lock_version: int, checked: bool = False) -> None:
    with transaction.atomic():
        # The row's current version, under the same write lock as the change.
        current = Appointment.objects.filter(pk=appt.pk).values_list("lock_version", flat=True)
        if list(current) != [lock_version]:
            raise StaleChange
        appt.lock_version = lock_version + 1
        if checked:
            _save_checked(appt, exclude=(appt.pk,))
        else:
            appt.save()


def _change_status(
    user: User, appt: Appointment, status: str, *, early: bool = False
) -> Appointment:
    """The one place an appointment's status changes: the table decides."""
    states.APPOINTMENT.check(appt.status, status)
    too_soon = status in (Status.NO_SHOW, Status.COMPLETED) and appt.starts_at > timezone.now()
    if too_soon and not early:
        raise Refused(
            f"An appointment cannot be marked {Status(status).label.lower()} before it starts."
        )
    appt.status = status
    appt.changed_by = user
    _bump_and_save(appt, appt.lock_version)
    record(user, Action.CHANGE, appt, fields=["status"], detail=f"status {status}")
    return appt


def accept(user: User, appt: Appointment) -> Appointment:
    """A course proposal becomes a booked appointment."""
    return _change_status(user, appt, Status.BOOKED)


def confirm(user: User, appt: Appointment) -> Appointment:
    return _change_status(user, appt, Status.CONFIRMED)


def cancel(user: User, appt: Appointment, reason: str) -> Appointment:
    """Cancel with a reason; the slot is free again."""
    states.APPOINTMENT.check(appt.status, Status.CANCELLED)
    _session_refusal(appt, "cancelled")
    if not reason.strip():
        raise Refused("Say why the appointment is cancelled.", "reason")
    if "\x00" in reason:  # as a form's text field says; PostgreSQL cannot store it
        raise Refused("Null characters are not allowed.", "reason")
    appt.cancel_reason = reason.strip()[:300]
    appt.cancelled_at, appt.cancelled_by = timezone.now(), user
    return _change_status(user, appt, Status.CANCELLED)


def no_show(user: User, appt: Appointment) -> Appointment:
    _session_refusal(appt, "marked missed")
    return _change_status(user, appt, Status.NO_SHOW)


def complete(user: User, appt: Appointment, *, treated: bool = False) -> Appointment:
    """Mark the visit done; ``treated``: the session started from it was signed, which
    proves it took place even before its booked start (a patient seen early)."""
    return _change_status(user, appt, Status.COMPLETED, early=treated)
