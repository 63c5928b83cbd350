"""Courses: the engine's schedule turned into appointments, re-checked on every move.

The interval rules each move meets are `intervals.py`. How far after the ideal date a
session may land has no sourced limit (the UI says so); proposals look up to
``LATEST_DAYS`` later, a booking convenience.
"""

import datetime as dt
import zoneinfo
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User, zone_named
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.scheduling import services
from mesoclinic.scheduling.diary import Diary, Slot
from mesoclinic.scheduling.intervals import CourseRules, Problem
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment, Room, Status, TreatmentType
from mesoclinic.scheduling.services import Refused
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

BOOKABLE = (PlanStatus.APPROVED, PlanStatus.CONSENTED, PlanStatus.ACTIVE)
LATEST_DAYS = 7  # booking convenience, not a clinical number
EARLIEST_DAYS = 7


def latest_version(plan: Plan) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan=plan).order_by("-number").first()


def course_appointments(plan: Plan) -> list[Appointment]:
    return list(
        Appointment.objects.filter(plan=plan)
        .select_related("site", "room", "practitioner", "patient")
        .order_by("course_session", "starts_at")
    )


def follow_up_visits(appointments: Iterable[Appointment]) -> list[Appointment]:
    """The plan's visits for outcome follow-ups (proposed by the outcomes app), by date."""
    return sorted((a for a in appointments if a.follow_up), key=lambda a: a.starts_at)


def counted(appointments: Iterable[Appointment], adjective: str = "") -> str:
    """In words: "4 sessions", "1 follow-up visit", "4 proposed sessions and 2 follow-up visits"."""
    rows = list(appointments)
    visits = sum(1 for a in rows if a.follow_up)
    words: list[str] = []
    for n, noun in ((len(rows) - visits, "session"), (visits, "follow-up visit")):
        if n:
            lead = f"{adjective} " if adjective and not words else ""
            words.append(f"{n} {lead}{noun}{'' if n == 1 else 's'}")
    return " and ".join(words)


def given_sessions(plan: Plan) -> list[dt.date]:
    """Days of the plan's signed treatment sessions, in order: the course sessions already given.

    A first session given on the day of consent, with no appointment, still counts: the
    next one is measured from it.
    """
    rows = (
        TreatmentSession.objects.filter(plan=plan, status=SessionStatus.SIGNED)
        .order_by("started_at")
        .values_list("started_at", "site__time_zone")
    )
    return [started.astimezone(zone_named(tz)).date() for started, tz in rows]


def session_dates(
    appointments: Iterable[Appointment],
    exclude: Collection[int] = (),
    given: Iterable[dt.date] = (),
) -> dict[int, dt.date]:
    """Session number to local date: sessions given, then appointments that hold a slot."""
    dates = dict(enumerate(given, start=1))
    dates.update(
        {
            a.course_session: a.local_start().date()
            for a in appointments
            if a.status in HOLDS_SLOT and a.course_session and a.pk not in exclude
        }
    )
    return dates


@dataclass
class Proposal:
    session: int
    ideal: dt.date
    slot: Slot | None
    earliest: dt.date | None = None
    latest: dt.date | None = None


def _search_order(target: dt.date, low: dt.date, high: dt.date) -> Iterator[dt.date]:
    """The target day, then one day later, one earlier, two later... within [low, high]."""
    reach = max(abs((high - target).days), abs((target - low).days))
    for n in range(reach + 1):
        for day in dict.fromkeys((target + dt.timedelta(days=n), target - dt.timedelta(days=n))):
            if low <= day <= high:
                yield day


def _nearest(slots: list[Slot], zone: zoneinfo.ZoneInfo, prefer: dt.time | None) -> Slot:
    if prefer is None:
        return slots[0]

    def distance(s: Slot) -> int:
        t = s.starts_at.astimezone(zone)
        return abs(t.hour * 60 + t.minute - prefer.hour * 60 - prefer.minute)

    return min(slots, key=distance)


def nearest_free_slot(
    site: Site,
    practitioner: User,
    patient: Patient,
    *,
    target: dt.date,
    low: dt.date,
    high: dt.date,
    duration: dt.timedelta,
    prefer: dt.time | None = None,
) -> Slot | None:
    """The free slot nearest ``target`` within [low, high] (a room if the site has rooms):
    the target day first, then a day later, a day earlier, and so on."""
    diary = Diary.load(site, low, high, staff=[practitioner], patient=patient)
    for day in _search_order(target, low, high):
        slots = diary.free_slots(
            day, practitioner, duration, patient=patient, needs_room=bool(diary.rooms)
        )
        if slots:
            return _nearest(slots, site.zone, prefer)
    return None


def plan_slots(
    plan: Plan,
    version: PlanVersion,
    *,
    site: Site,
    practitioner: User,
    duration: dt.timedelta,
    prefer: dt.time | None = None,
    needs_room: bool = True,
    today: dt.date | None = None,
) -> list[Proposal]:
    """Free slots for every session of the course that has none, nearest the ideal dates."""
    course = CourseRules(version.result)
    zone = site.zone
    today = today or timezone.now().astimezone(zone).date()
    existing = course_appointments(plan)
    dates = session_dates(existing, given=given_sessions(plan))
    todo = [n for n in course.sessions if n not in dates]
    if not todo:
        return []
    # A range that holds every day a session may be searched on, however late the booked
    # sessions already are: from today to the latest date known plus the whole course again.
    known = [*course.ideal.values(), *dates.values()]
    span = (max(course.ideal.values()) - min(course.ideal.values())).days
    start_shift = max(0, (today + dt.timedelta(days=1) - course.ideal[todo[0]]).days)
    first = today
    last = max(known) + dt.timedelta(days=span + start_shift + LATEST_DAYS * (len(todo) + 1))
    diary = Diary.load(site, first, last, staff=[practitioner], patient=plan.patient)
    out = []
    for n in todo:
        before = max((k for k in dates if k < n), default=None)
        if before is None:
            target = max(course.ideal[n], today + dt.timedelta(days=1))
        else:
            target = dates[before] + (course.ideal[n] - course.ideal[before])
        low = max(target - dt.timedelta(days=EARLIEST_DAYS), today + dt.timedelta(days=1))
        high = min(target + dt.timedelta(days=LATEST_DAYS), last)
        chosen = None
        for day in _search_order(target, low, high):
            if course.problems(dates, n, day):
                continue
            slots = diary.free_slots(
                day, practitioner, duration, patient=plan.patient, needs_room=needs_room
            )
            if slots:
                chosen = _nearest(slots, zone, prefer)
                break
        out.append(Proposal(n, course.ideal[n], chosen, low, high))
        if chosen is not None:
            diary.reserve(chosen, practitioner, plan.patient)
            dates[n] = chosen.starts_at.astimezone(zone).date()
            if prefer is None:
                prefer = chosen.starts_at.astimezone(zone).time()
    return out


def check_bookable(plan: Plan) -> PlanVersion:
    if plan.status not in BOOKABLE:
        raise Refused("Only an approved or consented plan can be booked.")
    version = latest_version(plan)
    if version is None or not version.result.get("schedule"):
        raise Refused("This plan has no approved schedule to book.")
    return version


@transaction.atomic
def propose_course(
    user: User,
    plan: Plan,
    *,
    site: Site,
    practitioner: User,
    treatment_type: TreatmentType | None = None,
    duration: dt.timedelta,
    prefer: dt.time | None = None,
) -> tuple[list[Proposal], list[Appointment]]:
    """Proposed appointments for the open sessions; reception confirms them all at once."""
    version = check_bookable(plan)
    proposals = plan_slots(
        plan,
        version,
        site=site,
        practitioner=practitioner,
        duration=duration,
        prefer=prefer,
        needs_room=treatment_type.needs_room if treatment_type else True,
    )
    course = CourseRules(version.result)
    made = []
    for p in proposals:
        if p.slot is None:
            continue
        made.append(
            services.book(
                user,
                status=Status.PROPOSED,
                site=site,
                room=p.slot.room,
                practitioner=practitioner,
                patient=plan.patient,
                treatment_type=treatment_type,
                plan=plan,
                plan_version=version,
                course_session=p.session,
                course_areas=list(course.areas[p.session]),
                ideal_date=p.ideal,
                starts_at=p.slot.starts_at,
                ends_at=p.slot.ends_at,
            )
        )
    return proposals, made


@transaction.atomic
def confirm_course(user: User, plan: Plan) -> int:
    proposed = Appointment.objects.select_for_update().filter(plan=plan, status=Status.PROPOSED)
    count = 0
    for appt in proposed:
        services.accept(user, appt)
        count += 1
    return count


@transaction.atomic
def discard_proposals(user: User, plan: Plan) -> int:
    """Proposals never confirmed are not appointments yet: they go, leaving an audit trace."""
    proposed = list(
        Appointment.objects.select_for_update().filter(plan=plan, status=Status.PROPOSED)
    )
    for appt in proposed:
        record(user, Action.VOID, appt, detail="proposal discarded")
    Appointment.objects.filter(pk__in=[a.pk for a in proposed]).delete()
    return len(proposed)


def interval_problems(
    appt: Appointment, new_day: dt.date, dates: dict[int, dt.date] | None = None
) -> list[Problem]:
    if appt.plan_version_id is None or not appt.course_session:
        return []
    assert appt.plan_version is not None  # plan_version_id is set
    course = CourseRules(appt.plan_version.result)
    if dates is None:
        plan = cast(Plan, appt.plan)  # an appointment with a plan version has its plan
        dates = session_dates(
            course_appointments(plan), exclude=(appt.pk,), given=given_sessions(plan)
        )
    return course.problems(dates, appt.course_session, new_day)


def room_at(appt: Appointment, starts_at: dt.datetime) -> Room | None:
    """The appointment's room if it is free at the new time, else another free room."""
    if appt.room_id is None:
        return None
    day = starts_at.astimezone(appt.site.zone).date()
    diary = Diary.load(appt.site, day, day)
    ends_at = starts_at + (appt.ends_at - appt.starts_at)
    return diary.free_room(starts_at, ends_at, exclude=(appt.pk,), prefer=appt.room) or appt.room


def _local_shift(when: dt.datetime, zone: zoneinfo.ZoneInfo, delta: dt.timedelta) -> dt.datetime:
    """The same shift in wall-clock time, so 10:00 stays 10:00 across a DST change."""
    local = when.astimezone(zone).replace(tzinfo=None) + delta
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def _shifted_course(
    appt: Appointment, zone: zoneinfo.ZoneInfo, delta: dt.timedelta, shift_rest: bool
) -> tuple[list[Appointment], dict[int, dt.date] | None]:
    """The later sessions that move with ``appt`` (if ``shift_rest``), and the course's
    session dates as they would be after the move; no dates for an appointment outside
    a course."""
    later: list[Appointment] = []
    if not (appt.plan_id and appt.course_session):
        return later, None
    assert appt.plan is not None  # plan_id is set
    everyone = course_appointments(appt.plan)
    if shift_rest:
        later = [
            a
            for a in everyone
            if a.course_session
            and a.course_session > appt.course_session
            and a.status in HOLDS_SLOT
            and a.status != Status.COMPLETED
        ]
    dates = session_dates(everyone, exclude=(appt.pk,), given=given_sessions(appt.plan))
    for a in later:
        assert a.course_session is not None  # later holds course sessions only
        dates[a.course_session] = _local_shift(a.starts_at, zone, delta).astimezone(zone).date()
    return later, dates


@transaction.atomic
def move(
    user: User,
    appt: Appointment,
    *,
    starts_at: dt.datetime,
    lock_version: int,
    room: Room | None = None,
    reason: str = "",
    shift_rest: bool = False,
    practitioner: User | None = None,
) -> list[Appointment]:
    """Move one appointment (and, if asked, the later sessions of its course by the same
    delta); ``practitioner``: hand this one appointment to a colleague as well."""
    zone = appt.site.zone
    delta = starts_at.astimezone(zone).replace(tzinfo=None) - appt.local_start().replace(
        tzinfo=None
    )
    later, dates = _shifted_course(appt, zone, delta, shift_rest)
    problems = interval_problems(appt, starts_at.astimezone(zone).date(), dates)
    hard = [p for p in problems if not p.overridable]
    hint = (
        " Or tick “Shift the later sessions” to move them by the same amount."
        if not shift_rest and any(p.other > p.session for p in problems)
        else ""
    )
    if hard:
        raise Refused(" ".join(p.message for p in hard) + hint, "starts_at")
    if problems:
        if not roles.can(user, roles.OVERRIDE_SAFETY):
            raise Refused(" ".join(p.message for p in problems) + hint, "starts_at")
        if not reason.strip():
            raise Refused(
                " ".join(p.message for p in problems) + " Give the reason to shorten it.", "reason"
            )
    # Moving later, the latest session goes first; moving earlier, the earliest: a course
    # never collides with itself half-way through the shift.
    order = [(appt, starts_at, lock_version)] + [
        (a, _local_shift(a.starts_at, zone, delta), a.lock_version) for a in later
    ]
    order.sort(key=lambda item: item[0].starts_at, reverse=delta > dt.timedelta(0))
    moved = []
    for a, when, version in order:
        why = reason.strip() if a is appt and problems else ""
        moved.append(
            services.reschedule(
                user,
                a,
                starts_at=when,
                lock_version=version,
                room=room if a is appt else room_at(a, when),
                practitioner=practitioner if a is appt else None,
                reason=why,
            )
        )
    moved.sort(key=lambda a: a.starts_at)
    return moved


def course_rows(
    version: PlanVersion | None, appointments: list[Appointment], given: Sequence[dt.date] = ()
) -> list[dict[str, Any]]:
    """One row per scheduled session: ideal date, the day it was given, its appointments, open."""
    if version is None:
        return []
    course = CourseRules(version.result)
    by_session: dict[int, list[Appointment]] = {}
    for a in appointments:
        by_session.setdefault(a.course_session or 0, []).append(a)
    rows = []
    for n in course.sessions:
        appts = by_session.get(n, [])
        holding = [a for a in appts if a.status in HOLDS_SLOT]
        given_on = given[n - 1] if n <= len(given) else None
        rows.append(
            {
                "session": n,
                "ideal": course.ideal[n],
                "areas": course.areas[n],
                "appointments": appts,
                "given": given_on,
                "open": not holding and given_on is None,
            }
        )
    return rows
