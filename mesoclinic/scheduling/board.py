"""Day and week boards for a site, a practitioner or a room, in the site's local time.

A board costs a fixed number of queries whatever the number of appointments:
the appointments in one query (with patient, practitioner and room), and the
diary (hours, closures, working hours, leave, rooms, busy times) in six.
"""

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.scheduling.diary import STEP, Diary, Slot, at
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment, Room, overlapping

KINDS = ("site", "practitioner", "room")
SPANS = ("day", "week")


@dataclass
class Card:
    appointment: Appointment
    starts: dt.datetime
    ends: dt.datetime

    @property
    def holds_slot(self) -> bool:
        return self.appointment.status in HOLDS_SLOT


@dataclass
class FreeRange:
    practitioner: object
    starts: dt.datetime
    ends: dt.datetime
    first: Slot


@dataclass
class Column:
    day: dt.date
    open: bool
    cards: list[Card] = field(default_factory=list)
    free: list[FreeRange] = field(default_factory=list)


def first_day(day: dt.date, span: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if span == "week" else day


def ranges(slots: list[Slot], practitioner: User, zone: zoneinfo.ZoneInfo) -> list[FreeRange]:
    """Free starts a quarter-hour apart merged into ranges a person can read."""
    out: list[FreeRange] = []
    previous = None
    for slot in slots:
        if out and previous is not None and slot.starts_at == previous + STEP:
            out[-1].ends = slot.ends_at.astimezone(zone)
        else:
            starts, ends = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
            out.append(FreeRange(practitioner, starts, ends, slot))
        previous = slot.starts_at
    return out


def build(
    kind: str,
    subject: Site | Room | User,
    site: Site,
    first: dt.date,
    span: str,
    staff: Sequence[User] = (),
) -> list[Column]:
    zone = site.zone
    last = first + dt.timedelta(days=6 if span == "week" else 0)
    start, end = at(first, dt.time(), zone), at(last + dt.timedelta(days=1), dt.time(), zone)
    appointments = (
        Appointment.objects.filter(overlapping(start, end), **{kind: subject})
        .select_related("patient", "practitioner", "room", "site")
        .order_by("starts_at")
    )
    diary = Diary.load(site, first, last, staff=staff)
    columns = {
        day: Column(day, bool(diary.opening(day)))
        for day in (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    }
    for appt in appointments:
        local_zone = appt.site.zone
        starts = appt.starts_at.astimezone(local_zone)
        column = columns.get(starts.date())
        if column is not None:
            column.cards.append(Card(appt, starts, appt.ends_at.astimezone(local_zone)))
    now = timezone.now()
    for column in columns.values():
        for person in staff:
            slots = diary.free_slots(
                column.day, person, STEP * 3, needs_room=bool(diary.rooms), not_before=now
            )
            column.free += ranges(slots, person, zone)
        if kind == "room":
            # kind == "room": the subject is the room (views._subject).
            column.free += room_gaps(diary, cast(Room, subject), column.day, now, zone)
    return list(columns.values())


def room_gaps(
    diary: Diary, room: Room, day: dt.date, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> list[FreeRange]:
    """Opening hours of the room's site less its bookings, in pieces of a quarter-hour or more."""
    taken = sorted((b.starts_at, b.ends_at) for b in diary.busy if b.room_id == room.pk)
    out: list[FreeRange] = []

    def add(a: dt.datetime, b: dt.datetime) -> None:
        if b - a >= STEP:
            out.append(FreeRange(None, a.astimezone(zone), b.astimezone(zone), Slot(a, b, room)))

    for opens, closes in diary.opening(day):
        t = max(opens, now)
        for a, b in taken:
            if b <= t:
                continue
            if a >= closes:
                break
            add(t, a)
            t = max(t, b)
        add(t, closes)
    return out
