"""The demo diary: opening hours, rooms, working hours, treatment types, two weeks of bookings."""

import datetime as dt
import random

from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.diary import at
from mesoclinic.scheduling.models import (
    Appointment,
    Room,
    SiteClosure,
    SiteHours,
    Status,
    TreatmentType,
    WorkingHours,
)

TREATMENTS = [
    ("Mesotherapy session", 45, [Role.PRACTITIONER, Role.OWNER, Role.ESTHETICIAN], True),
    ("Injection lipolysis", 60, [Role.PRACTITIONER, Role.OWNER], True),
    ("Review call", 15, [Role.PRACTITIONER, Role.OWNER, Role.ESTHETICIAN], False),
]


def create_diary(org: Organization, today: dt.date | None = None, seed: int = 2026) -> None:
    """Call once, inside ``acting_for(org)``, when the organization has no rooms yet."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    sites = list(Site.all_orgs.filter(organization=org).order_by("name"))
    staff = list(
        User.objects.filter(
            organization=org, role__in=[Role.PRACTITIONER, Role.ESTHETICIAN, Role.OWNER]
        ).order_by("email")
    )
    # The demo practitioner's day is the first thing a visitor sees on the home page.
    staff.sort(key=lambda u: (u.role != Role.PRACTITIONER, u.email))
    reception = User.objects.filter(organization=org, role=Role.RECEPTION).first() or staff[0]
    _open_sites(sites, staff, today)
    _book_fortnight(rng, sites, staff, reception, today)


def _open_sites(sites: list[Site], staff: list[User], today: dt.date) -> None:
    """Treatment types, opening hours, two rooms a site, Christmas, the staff's hours."""
    for name, minutes, roles, needs_room in TREATMENTS:
        TreatmentType.objects.create(
            name=name, duration_minutes=minutes, roles=list(roles), needs_room=needs_room
        )
    for site in sites:
        site.time_zone = "Europe/London"
        site.save(update_fields=["time_zone"])
        for weekday in range(6):
            closes = dt.time(13) if weekday == 5 else dt.time(18)
            SiteHours.objects.create(site=site, weekday=weekday, opens=dt.time(9), closes=closes)
        for n in (1, 2):
            Room.objects.create(site=site, name=f"Treatment room {n}")
        SiteClosure.objects.create(site=site, date=dt.date(today.year, 12, 25), reason="Christmas")
    # Central Monday to Wednesday, Riverside Thursday to Saturday.
    for user in staff:
        for weekday in range(6):
            site = sites[0] if weekday < 3 or len(sites) == 1 else sites[1]
            end = dt.time(13) if weekday == 5 else dt.time(17, 30)
            WorkingHours.objects.create(
                user=user, site=site, weekday=weekday, start=dt.time(9), end=end
            )


def _book_fortnight(
    rng: random.Random, sites: list[Site], staff: list[User], reception: User, today: dt.date
) -> None:
    """Three appointments a day for two clinicians (the practitioner first) over this week
    and the next."""
    patients = list(Patient.objects.order_by("last_name", "first_name")[:24])
    monday = today - dt.timedelta(days=today.weekday())
    rooms = {s.pk: list(Room.objects.filter(site=s).order_by("name")) for s in sites}
    # The 45-minute visits are mesotherapy sessions: the diary colours blocks by treatment.
    session = TreatmentType.objects.get(name=TREATMENTS[0][0])
    review = TreatmentType.objects.get(name=TREATMENTS[2][0])
    n = 0
    for offset in range(10):
        day = monday + dt.timedelta(days=offset)
        if day.weekday() > 4:
            continue
        site = sites[0] if day.weekday() < 3 or len(sites) == 1 else sites[1]
        for i, user in enumerate(staff[:2]):
            for hour in rng.sample([9, 10, 11, 14, 15, 16], 3):
                if not patients:
                    return
                patient = patients[n % len(patients)]
                n += 1
                start = at(day, dt.time(hour), site.zone)
                Appointment.objects.create(
                    site=site,
                    room=rooms[site.pk][i],
                    practitioner=user,
                    patient=patient,
                    treatment_type=session,
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=45),
                    status=_demo_status(day, today, n),
                    created_by=reception,
                )
        # A short review call at midday: the diary shows blocks under half an hour too.
        start = at(day, dt.time(12, 30), site.zone)
        Appointment.objects.create(
            site=site,
            practitioner=staff[0],
            patient=patients[n % len(patients)],
            treatment_type=review,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=15),
            status=_demo_status(day, today, n),
            created_by=reception,
        )
        n += 1


def _demo_status(day: dt.date, today: dt.date, n: int) -> str:
    if day < today:
        return Status.COMPLETED
    return Status.CONFIRMED if n % 7 == 0 else Status.BOOKED
