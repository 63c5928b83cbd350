"""Courses: the engine's schedule turned into appointments, and the interval rules on every move.

The engine's schedule (``PlanVersion.result["schedule"]``: ``{"session", "date",
"areas"}``) gives each session's ideal date. Every area carries the strictest
sourced minimum interval of its protocol and formula (``rules.minimum_interval``).
Between two sessions that treat the same area:

- grade A (a label): the gap can never be shorter than the interval;
- grade B or C: the gap may be as short as the approved plan itself planned (the
  plan's approval already recorded any override); anything shorter needs a
  practitioner and a reason, kept on the appointment and in the audit trail.

How far after the ideal date a session may land has no sourced limit (the UI
says so); proposals look up to ``LATEST_DAYS`` later, a booking convenience.
"""

import datetime as dt
import zoneinfo
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User, zone_named
from mesoclinic.audit.log import Action, record
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.scheduling import services
from mesoclinic.scheduling.diary import Diary, Slot
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment, Room, Status, TreatmentType
from mesoclinic.scheduling.services import Refused
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

BOOKABLE = (PlanStatus.APPROVED, PlanStatus.CONSENTED, PlanStatus.ACTIVE)
LATEST_DAYS = 7  # booking convenience, not a clinical number
EARLIEST_DAYS = 7
NO_LIMIT = rules.NO_LIMIT_TEXT
NO_INTERVAL = rules.MinimumInterval(0, "none", NO_LIMIT)


def _strictness(interval: rules.MinimumInterval) -> tuple[int, bool]:
    """Longer first; at equal length a grade-A interval, which cannot be shortened."""
    return interval.days, interval.grade == "A"


@dataclass(frozen=True)
class Problem:
    area: str
    session: int
    other: int
    gap: int
    required: int
    interval: rules.MinimumInterval

    @property
    def overridable(self) -> bool:
        return self.interval.grade in ("B", "C") and self.gap > 0

    @property
    def message(self) -> str:
        if self.gap <= 0:
            order = "before" if self.other > self.session else "after"
            return f"Session {self.session} must come {order} session {self.other}."
        grade = self.interval.grade
        why = f"at least {self.required} days ({self.area}; grade {grade}: {self.interval.source})"
        tail = (
            "This interval cannot be shortened."
            if grade == "A"
            else "Only a practitioner may shorten it, with a reason."
        )
        return (
            f"Session {self.session} would be {self.gap} days from session {self.other}; "
            f"the protocol needs {why}. {tail}"
        )


def _interval(area: dict) -> rules.MinimumInterval:
    found = []
    if area.get("protocol"):
        found.append(rules.minimum_interval(area["protocol"]))
    formula = [k for k, v in (area.get("formula_mg_per_ml") or {}).items() if v]
    if formula:
        found.append(rules.minimum_interval(formula))
    return max(found, key=_strictness, default=NO_INTERVAL)


class CourseRules:
    """The ideal dates, areas and minimum intervals of one approved plan version."""

    def __init__(self, result: dict):
        self.ideal: dict[int, dt.date] = {}
        self.areas: dict[int, tuple[str, ...]] = {}
        for s in result.get("schedule", []):
            self.ideal[s["session"]] = dt.date.fromisoformat(s["date"])
            self.areas[s["session"]] = tuple(s["areas"])
        self.intervals: dict[str, rules.MinimumInterval] = {}
        for area in result.get("areas", []):
            iv = _interval(area)
            old = self.intervals.get(area["area"])
            if old is None or _strictness(iv) > _strictness(old):
                self.intervals[area["area"]] = iv

    @property
    def sessions(self) -> list[int]:
        return sorted(self.ideal)

    def interval(self, label: str) -> rules.MinimumInterval:
        return self.intervals.get(label.split(" (")[0], NO_INTERVAL)

    def required(self, label: str, a: int, b: int) -> int:
        iv = self.interval(label)
        if iv.grade == "A":
            return max(iv.days, 1)
        planned = (self.ideal[b] - self.ideal[a]).days
        return max(min(iv.days, planned), 1)

    def problems(self, dates: dict[int, dt.date], n: int, day: dt.date) -> list[Problem]:
        """Interval problems if session n were on ``day``, against the other dated sessions."""
        out = []
        for label in self.areas.get(n, ()):
            same = [k for k in dates if k != n and label in self.areas.get(k, ())]
            before = max((k for k in same if k < n), default=None)
            after = min((k for k in same if k > n), default=None)
            if before is not None:
                gap, need = (day - dates[before]).days, self.required(label, before, n)
                if gap < need:
                    out.append(Problem(label, n, before, gap, need, self.interval(label)))
            if after is not None:
                gap, need = (dates[after] - day).days, self.required(label, n, after)
                if gap < need:
                    out.append(Problem(label, n, after, gap, need, self.interval(label)))
        return out


def latest_version(plan: Plan) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan=plan).order_by("-number").first()


def course_appointments(plan: Plan) -> list[Appointment]:
    return list(
        Appointment.objects.filter(plan=plan)
        .select_related("site", "room", "practitioner", "patient")
        .order_by("course_session", "starts_at")
    )


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


def _dates(
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
    dates = _dates(existing, given=given_sessions(plan))
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
        dates = _dates(course_appointments(plan), exclude=(appt.pk,), given=given_sessions(plan))
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
    dates = _dates(everyone, exclude=(appt.pk,), given=given_sessions(appt.plan))
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
) -> list[Appointment]:
    """Move one appointment (and, if asked, the later sessions of its course by the same delta)."""
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
