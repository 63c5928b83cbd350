"""Day and week boards for a site, a practitioner or a room, in the site's local time.

A board costs a fixed number of queries whatever the number of appointments:
the appointments in one query (with patient, practitioner and room names), and the
diary (hours, closures, working hours, leave, rooms, busy times) in six.
"""

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils import timezone

from mesoclinic.accounts.models import Site, User, zone_named
from mesoclinic.scheduling.diary import STEP, Diary, Slot, at
from mesoclinic.scheduling.models import Appointment, Room, Status, follow_up_label, overlapping

KINDS = ("site", "practitioner", "room")
# What a card shows (_board.html), read as tuples: a busy week has ~280 appointments,
# which as model rows with their patient, practitioner, room and site were 1,100 objects.
CARD_COLUMNS = (
    "public_id", "status", "starts_at", "ends_at", "patient__first_name", "patient__last_name",
    "practitioner__full_name", "room__name", "course_session", "course_areas", "follow_up",
    "site__time_zone",
)  # fmt: skip
STATUS_LABELS = dict(Status.choices)
SPANS = ("day", "week")


@dataclass(frozen=True, slots=True)
class Card:
    """What the board shows of one appointment, read as a tuple (no model rows)."""

    public_id: uuid.UUID
    status: str
    starts: dt.datetime  # in its site's zone
    ends: dt.datetime
    patient: str
    practitioner: str
    room: str | None
    course_session: int | None
    course_areas: list[str]
    follow_up: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def follow_up_label(self) -> str:
        return follow_up_label(self.follow_up)


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
    rows = (
        Appointment.objects.filter(overlapping(start, end), **{kind: subject})
        .order_by("starts_at")
        .values_list(*CARD_COLUMNS)
    )
    diary = Diary.load(site, first, last, staff=staff)
    columns = {
        day: Column(day, bool(diary.opening(day)))
        for day in (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    }
    for card in _cards(rows):
        column = columns.get(card.starts.date())
        if column is not None:
            column.cards.append(card)
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


def _cards(rows: Iterable[tuple[Any, ...]]) -> Iterator[Card]:
    for public_id, status, starts_at, ends_at, first_name, last_name, *rest in rows:
        practitioner, room, session, areas, follow_up, time_zone = rest
        zone = zone_named(time_zone)
        yield Card(
            public_id, status, starts_at.astimezone(zone), ends_at.astimezone(zone),
            f"{first_name} {last_name}", practitioner, room, session, areas or [], follow_up,
        )  # fmt: skip


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
