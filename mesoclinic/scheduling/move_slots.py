"""Free times one appointment could move to: same practitioner, site and length, never a
day that breaks its course's minimum interval.

For someone choosing from a short list (the patient portal) rather than a picker over
the whole diary: the days nearest the current one come first, a few spread-out times
a day. Shortening an interval is never offered (only a practitioner may, with a reason,
in `course.move`); `course.move` checks every rule again when one is chosen.
"""

import datetime as dt
from collections.abc import Iterator
from typing import cast

from mesoclinic.plans.models import Plan
from mesoclinic.scheduling.course import (
    course_appointments,
    given_sessions,
    interval_problems,
    session_dates,
)
from mesoclinic.scheduling.diary import Diary, Slot
from mesoclinic.scheduling.models import Appointment

LIMIT = 10
PER_DAY = 2
APART = dt.timedelta(hours=2)  # two times offered the same day differ by at least this
AFTER_DAYS = 21  # how far past the current date to look, a convenience


def _nearest_first(target: dt.date, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """The target day, then one day later, one earlier, two later... within [first, last]."""
    for n in range(max(abs((last - target).days), abs((target - first).days)) + 1):
        for day in dict.fromkeys((target + dt.timedelta(days=n), target - dt.timedelta(days=n))):
            if first <= day <= last:
                yield day


def _spread(slots: list[Slot], around: dt.time, zone: dt.tzinfo) -> list[Slot]:
    """Up to PER_DAY of a day's slots, the one nearest the current time of day first."""

    def distance(s: Slot) -> int:
        t = s.starts_at.astimezone(zone)
        return abs(t.hour * 60 + t.minute - around.hour * 60 - around.minute)

    picked: list[Slot] = []
    for slot in sorted(slots, key=distance):
        if all(abs(slot.starts_at - p.starts_at) >= APART for p in picked):
            picked.append(slot)
        if len(picked) == PER_DAY:
            break
    return picked


def move_slots(appt: Appointment, *, not_before: dt.datetime, limit: int = LIMIT) -> list[Slot]:
    """Free times for ``appt`` from ``not_before`` to AFTER_DAYS past its current date,
    in time order; none within APART of its current time. A fixed number of queries."""
    zone = appt.site.zone
    current = appt.local_start()
    first = not_before.astimezone(zone).date()
    last = max(current.date(), first) + dt.timedelta(days=AFTER_DAYS)
    dates = None
    if appt.plan_id and appt.course_session:
        plan = cast(Plan, appt.plan)
        dates = session_dates(
            course_appointments(plan), exclude=(appt.pk,), given=given_sessions(plan)
        )
    diary = Diary.load(appt.site, first, last, staff=[appt.practitioner], patient=appt.patient)
    found: list[Slot] = []
    for day in _nearest_first(current.date(), first, last):
        if dates is not None and interval_problems(appt, day, dates):
            continue
        slots = diary.free_slots(
            day,
            appt.practitioner,
            appt.ends_at - appt.starts_at,
            patient=appt.patient,
            needs_room=appt.room_id is not None,
            exclude=(appt.pk,),
            prefer_room=appt.room,
            not_before=not_before,
        )
        others = [s for s in slots if abs(s.starts_at - appt.starts_at) >= APART]
        found += _spread(others, current.time(), zone)
        if len(found) >= limit:
            break
    return sorted(found[:limit], key=lambda s: s.starts_at)
