"""Who and what is free when: a site's diary for a range of days, in a fixed number of queries.

Opening hours, working hours and leave are kept in the site's local time and
turned into UTC instants day by day with zoneinfo, so 10:00 stays 10:00 on both
sides of a daylight-saving change. A member of staff with no working hours
recorded at a site is taken to work whenever the site is open.
"""

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Q

from mesoclinic.accounts.models import Site, User
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import (
    HOLDS_SLOT,
    Appointment,
    Leave,
    Room,
    SiteClosure,
    SiteHours,
    WorkingHours,
    overlapping,
)

STEP = dt.timedelta(minutes=15)


def at(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time on a local day."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day from start to end, both included."""
    for n in range((end - start).days + 1):
        yield start + dt.timedelta(days=n)


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: Room | None


@dataclass(frozen=True)
class Busy:
    pk: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    practitioner_id: int
    room_id: int | None
    patient_id: int


@dataclass
class Diary:
    site: Site
    first: dt.date
    last: dt.date
    zone: zoneinfo.ZoneInfo
    hours: dict[int, list[tuple[dt.time, dt.time]]]
    closures: set[dt.date]
    work: dict[tuple[int, int], list[tuple[dt.time, dt.time]]]
    has_hours: set[int]
    leave: dict[int, list[tuple[dt.date, dt.date]]]
    rooms: list[Room]
    busy: list[Busy] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        site: Site,
        first: dt.date,
        last: dt.date,
        *,
        staff: Iterable[User] = (),
        patient: Patient | None = None,
    ) -> "Diary":
        """Six queries, whatever the range: hours, closures, work, leave, rooms, appointments."""
        zone = site.zone
        staff_ids = [u.pk for u in staff]
        hours: dict[int, list] = defaultdict(list)
        for h in SiteHours.objects.filter(site=site).order_by("opens"):
            hours[h.weekday].append((h.opens, h.closes))
        closures = set(
            SiteClosure.objects.filter(site=site, date__range=(first, last)).values_list(
                "date", flat=True
            )
        )
        work: dict[tuple[int, int], list] = defaultdict(list)
        has_hours: set[int] = set()
        for w in WorkingHours.objects.filter(user_id__in=staff_ids).order_by("start"):
            has_hours.add(w.user_id)
            if w.site_id == site.pk:
                work[(w.user_id, w.weekday)].append((w.start, w.end))
        leave: dict[int, list] = defaultdict(list)
        for lv in Leave.objects.filter(
            user_id__in=staff_ids, start_date__lte=last, end_date__gte=first
        ):
            leave[lv.user_id].append((lv.start_date, lv.end_date))
        rooms = list(Room.objects.filter(site=site, active=True).order_by("name"))
        diary = cls(site, first, last, zone, hours, closures, work, has_hours, leave, rooms)
        who = Q(site=site) | Q(practitioner_id__in=staff_ids)
        if patient is not None:
            who |= Q(patient=patient)
        diary.busy = [
            Busy(*row)
            for row in Appointment.objects.filter(
                who,
                overlapping(
                    at(first, dt.time(), zone), at(last + dt.timedelta(days=1), dt.time(), zone)
                ),
                status__in=HOLDS_SLOT,
            ).values_list("pk", "starts_at", "ends_at", "practitioner_id", "room_id", "patient_id")
        ]
        return diary

    def opening(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if day in self.closures:
            return []
        return [
            (at(day, a, self.zone), at(day, b, self.zone)) for a, b in self.hours[day.weekday()]
        ]

    def working(self, user_id: int, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The user's working time at this site on a day, within opening hours."""
        if any(a <= day <= b for a, b in self.leave.get(user_id, ())):
            return []
        opening = self.opening(day)
        if user_id not in self.has_hours:
            return opening
        shifts = [
            (at(day, a, self.zone), at(day, b, self.zone))
            for a, b in self.work[(user_id, day.weekday())]
        ]
        return [
            (max(s, o), min(e, c)) for s, e in shifts for o, c in opening if max(s, o) < min(e, c)
        ]

    def clashes(
        self,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        *,
        practitioner_id: int | None = None,
        room_id: int | None = None,
        patient_id: int | None = None,
        exclude: Collection[int] = (),
        busy: list[Busy] | None = None,
    ) -> list[Busy]:
        return [
            b
            for b in (self.busy if busy is None else busy)
            if b.pk not in exclude
            and b.starts_at < ends_at
            and starts_at < b.ends_at
            and (
                b.practitioner_id == practitioner_id
                or (room_id is not None and b.room_id == room_id)
                or (patient_id is not None and b.patient_id == patient_id)
            )
        ]

    def free_room(
        self,
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        exclude: Collection[int] = (),
        prefer: Room | None = None,
        busy: list[Busy] | None = None,
    ) -> Room | None:
        busy = self.busy if busy is None else busy
        taken = {
            b.room_id
            for b in busy
            if b.starts_at < ends_at and starts_at < b.ends_at and b.pk not in exclude
        }
        for room in sorted(self.rooms, key=lambda r: r.pk != getattr(prefer, "pk", None)):
            if room.pk not in taken:
                return room
        return None

    def free_slots(
        self,
        day: dt.date,
        practitioner: User,
        duration: dt.timedelta,
        *,
        patient: Patient | None = None,
        needs_room: bool = True,
        exclude: Collection[int] = (),
        prefer_room: Room | None = None,
        not_before: dt.datetime | None = None,
    ) -> list[Slot]:
        """Every start on a quarter-hour grid where all of them are free for ``duration``."""
        out: list[Slot] = []
        windows = self.working(practitioner.pk, day)
        if not windows:
            return out
        day_start, day_end = min(w[0] for w in windows), max(w[1] for w in windows)
        patient_id = getattr(patient, "pk", None)
        # Only today's bookings, split once into the person's own and each room's, so that a
        # busy site costs a few comparisons per quarter-hour rather than one per booking.
        today = [
            b
            for b in self.busy
            if b.starts_at < day_end and day_start < b.ends_at and b.pk not in exclude
        ]
        mine = [
            (b.starts_at, b.ends_at)
            for b in today
            if b.practitioner_id == practitioner.pk
            or (patient_id is not None and b.patient_id == patient_id)
        ]
        by_room: dict[int, list] = defaultdict(list)
        for b in today:
            if b.room_id is not None:
                by_room[b.room_id].append((b.starts_at, b.ends_at))
        rooms = sorted(self.rooms, key=lambda r: r.pk != getattr(prefer_room, "pk", None))

        def free(
            spans: list[tuple[dt.datetime, dt.datetime]], a: dt.datetime, b: dt.datetime
        ) -> bool:
            return all(e <= a or s >= b for s, e in spans)

        for start, end in windows:
            t = start
            while not_before is not None and t < not_before:
                t += STEP
            while t + duration <= end:
                t_end = t + duration
                if free(mine, t, t_end):
                    room = next((r for r in rooms if free(by_room[r.pk], t, t_end)), None)
                    if room is not None or not needs_room:
                        out.append(Slot(t, t_end, room if needs_room else None))
                t += STEP
        return out

    def reserve(self, slot: Slot, practitioner: User, patient: Patient, pk: int = 0) -> None:
        """Count a slot as taken (for proposing several sessions before they are saved)."""
        self.busy.append(
            Busy(
                pk,
                slot.starts_at,
                slot.ends_at,
                practitioner.pk,
                getattr(slot.room, "pk", None),
                patient.pk,
            )
        )
