"""iCalendar (RFC 5545) files of appointments, with no clinical detail.

Appointments are stored in UTC. Events are written in their site's time zone
(a TZID on DTSTART/DTEND plus the matching VTIMEZONE), so a calendar program
keeps the local wall-clock time of every session of a course across a
daylight-saving change. The files are built and checked with the `icalendar`
library; `parse` reads one back.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Timezone

from mesoclinic.accounts.models import zone_named
from mesoclinic.scheduling.models import Appointment

PRODID = "-//mesoclinic//appointments//EN"
UID_DOMAIN = "mesoclinic"


@dataclass(frozen=True)
class CalendarEvent:
    """One appointment as a calendar shows it: no treatment, no clinical note."""

    uid: str
    start: datetime  # aware
    end: datetime  # aware
    time_zone: str
    summary: str
    location: str = ""
    description: str = ""
    tentative: bool = False


def initials(first_name: str, last_name: str) -> str:
    letters = [part[0].upper() for part in (first_name, last_name) if part]
    return ".".join(letters) + "." if letters else ""


def build(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    now: datetime | None = None,
    empty_zone: str = "UTC",
) -> bytes:
    """One VCALENDAR with a VEVENT per event and a VTIMEZONE per zone used."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.calendar_name = name
    first = last = None
    for item in events:
        calendar.add_component(_event(item, stamp))
        first = item.start if first is None else min(first, item.start)
        last = item.end if last is None else max(last, item.end)
    if first is None or last is None:
        # RFC 5545 wants at least one component: an empty feed carries its zone.
        calendar.add_component(
            Timezone.from_tzid(
                zone_named(empty_zone).key,
                first_date=(stamp - timedelta(days=366)).date(),
                last_date=(stamp + timedelta(days=366)).date(),
            )
        )
    else:
        # Transitions only for the span the events cover: a short file that still
        # describes every offset used (RFC 5545 3.6.5).
        calendar.add_missing_timezones(
            first_date=(first - timedelta(days=366)).date(),
            last_date=(last + timedelta(days=366)).date(),
        )
    return calendar.to_ical()


def _event(item: CalendarEvent, stamp: datetime) -> Event:
    tz = zone_named(item.time_zone)
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", item.start.astimezone(tz))
    event.add("dtend", item.end.astimezone(tz))
    event.add("summary", item.summary)
    if item.location:
        event.add("location", item.location)
    if item.description:
        event.add("description", item.description)
    event.add("status", "TENTATIVE" if item.tentative else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("class", "PRIVATE")
    return event


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def uid_for(public_id: uuid.UUID | str) -> str:
    return f"{public_id}@{UID_DOMAIN}"


def _place(appointment: Appointment) -> str:
    parts = [appointment.site.name]
    if appointment.room is not None:
        parts.append(appointment.room.name)
    return ", ".join(parts)


def practitioner_event(appointment: Appointment) -> CalendarEvent:
    """For the practitioner's own calendar: patient initials, never the treatment."""
    patient = appointment.patient
    who = initials(patient.first_name, patient.last_name)
    return CalendarEvent(
        uid=uid_for(appointment.public_id),
        start=appointment.starts_at,
        end=appointment.ends_at,
        time_zone=appointment.site.time_zone,
        summary=f"Appointment {who}".strip(),
        location=_place(appointment),
        tentative=appointment.status == "proposed",
    )


def patient_event(appointment: Appointment, clinic: str) -> CalendarEvent:
    """For the patient's calendar: when, where and with whom."""
    site = appointment.site
    location = ", ".join(part for part in (_place(appointment), site.address) if part)
    return CalendarEvent(
        uid=uid_for(appointment.public_id),
        start=appointment.starts_at,
        end=appointment.ends_at,
        time_zone=site.time_zone,
        summary=f"Appointment at {clinic}",
        location=location.replace("\n", ", "),
        description=f"With {appointment.practitioner.full_name}."
        + (f" To change it, call {site.phone}." if site.phone else ""),
        tentative=appointment.status == "proposed",
    )
