"""The demo diary: opening hours, rooms, working hours, treatment types, two weeks of bookings."""

import datetime as dt
import random

from django.db import models, transaction
from django.utils import timezone

from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.scheduling.course import latest_version
from mesoclinic.scheduling.diary import at
from mesoclinic.scheduling.intervals import CourseRules
from mesoclinic.scheduling.models import (
    Appointment,
    Room,
    SiteClosure,
    SiteHours,
    Status,
    TreatmentType,
    WorkingHours,
)
from mesoclinic.treatments import sessions, vocab
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from mesoclinic.treatments.session_checks import Precheck, SessionRefused

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


# Opening and working hours: (opens, closes) by weekday. Riverside also opens on Sunday
# mornings, so the demo has a day to show whatever day it is started.
WEEKDAY_HOURS = (dt.time(9), dt.time(18))
SATURDAY_HOURS = (dt.time(9), dt.time(13))
SUNDAY_HOURS = (dt.time(10), dt.time(14))
# The hours the fortnight's 45-minute visits start at, by weekday (Saturday 5, Sunday 6).
VISIT_HOURS = {5: [9, 10, 11], 6: [10, 11, 13]}
WEEKDAY_VISITS = [9, 10, 11, 14, 15, 16]


def _site_of(sites: list[Site], day: dt.date) -> Site:
    """Central Monday to Wednesday, Riverside Thursday to Sunday."""
    return sites[0] if day.weekday() < 3 or len(sites) == 1 else sites[1]


def _hours(weekday: int) -> tuple[dt.time, dt.time]:
    return {5: SATURDAY_HOURS, 6: SUNDAY_HOURS}.get(weekday, WEEKDAY_HOURS)


def _open_sites(sites: list[Site], staff: list[User], today: dt.date) -> None:
    """Treatment types, opening hours, two rooms a site, Christmas, the staff's hours."""
    for name, minutes, roles, needs_room in TREATMENTS:
        TreatmentType.objects.create(
            name=name, duration_minutes=minutes, roles=list(roles), needs_room=needs_room
        )
    for site in sites:
        site.time_zone = "Europe/London"
        site.save(update_fields=["time_zone"])
        for weekday in range(7):
            if weekday == 6 and site != sites[-1]:
                continue  # Central is closed on Sunday
            opens, closes = _hours(weekday)
            SiteHours.objects.create(site=site, weekday=weekday, opens=opens, closes=closes)
        for n in (1, 2):
            Room.objects.create(site=site, name=f"Treatment room {n}")
        SiteClosure.objects.create(site=site, date=dt.date(today.year, 12, 25), reason="Christmas")
    monday = today - dt.timedelta(days=today.weekday())
    for user in staff:
        for weekday in range(7):
            start, end = _hours(weekday)
            if weekday < 5:
                end = dt.time(17, 30)
            site = _site_of(sites, monday + dt.timedelta(days=weekday))
            WorkingHours.objects.create(user=user, site=site, weekday=weekday, start=start, end=end)


def _book_fortnight(
    rng: random.Random, sites: list[Site], staff: list[User], reception: User, today: dt.date
) -> None:
    """Three appointments a weekday (two at the weekend) for two clinicians (the
    practitioner first) over this week and the next, and two review calls at midday."""
    patients = list(Patient.objects.order_by("last_name", "first_name")[:24])
    monday = today - dt.timedelta(days=today.weekday())
    rooms = {s.pk: list(Room.objects.filter(site=s).order_by("name")) for s in sites}
    # The 45-minute visits are mesotherapy sessions: the diary colours blocks by treatment.
    session = TreatmentType.objects.get(name=TREATMENTS[0][0])
    review = TreatmentType.objects.get(name=TREATMENTS[2][0])
    n = 0
    for offset in range(14):
        day = monday + dt.timedelta(days=offset)
        if day == dt.date(day.year, 12, 25):
            continue
        site = _site_of(sites, day)
        hours = VISIT_HOURS.get(day.weekday(), WEEKDAY_VISITS)
        for i, user in enumerate(staff[:2]):
            for hour in rng.sample(hours, 3 if day.weekday() < 5 else 2):
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
        # Two short review calls back to back at midday: the diary shows blocks under
        # half an hour too, side by side where one's tap area would lie under the next.
        for minute in (30, 45):
            start = at(day, dt.time(12, minute), site.zone)
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


class _Trial(Exception):
    """Raised inside a trial start to undo it: the demo only asks whether it would pass."""


def book_course_visit(org: Organization, today: dt.date | None = None) -> Appointment | None:
    """Today's visit of a course in progress, in the demo practitioner's first free 45
    minutes (any day: Riverside opens on Sundays), so that a visitor (and the browser
    journey) can check the patient in, start the session from the appointment, chart,
    sign and bill it on the first start.

    The course is the first whose next session a trial start accepts today (the trial
    is rolled back): its consent, intervals and the patient's charted history all allow
    it. Call inside ``acting_for(org)`` once the past is loaded; None if no course fits or
    one is booked already."""
    today = today or timezone.localdate()
    sites = list(Site.all_orgs.filter(organization=org).order_by("name"))
    doctor = User.objects.filter(organization=org, role=Role.PRACTITIONER).order_by("email").first()
    if doctor is None or not sites:
        return None
    site = _site_of(sites, today)
    room = Room.objects.filter(site=site).order_by("name").first()
    day = (
        at(today, dt.time.min, site.zone),
        at(today + dt.timedelta(days=1), dt.time.min, site.zone),
    )
    taken = Appointment.objects.filter(starts_at__range=day).filter(
        models.Q(practitioner=doctor) | models.Q(room=room)
    )
    if taken.filter(plan__isnull=False).exists():
        return None
    length = dt.timedelta(minutes=TREATMENTS[0][1])
    start = _free_start(today, site, length, [(a.starts_at, a.ends_at) for a in taken])
    if start is None:
        return None
    for plan in Plan.objects.filter(status=PlanStatus.ACTIVE).select_related("patient")[:40]:
        version = latest_version(plan)
        if version is None:
            continue
        done = TreatmentSession.objects.filter(plan=plan, status=SessionStatus.SIGNED).count()
        course = CourseRules(version.result)
        busy = Appointment.objects.filter(
            patient=plan.patient, starts_at__lt=start + length, ends_at__gt=start
        )
        if done + 1 not in course.areas or busy.exists() or not _would_start(doctor, plan, site):
            continue
        return Appointment.objects.create(
            site=site,
            room=room,
            practitioner=doctor,
            patient=plan.patient,
            treatment_type=TreatmentType.objects.get(name=TREATMENTS[0][0]),
            plan=plan,
            plan_version=version,
            course_session=done + 1,
            course_areas=list(course.areas[done + 1]),
            starts_at=start,
            ends_at=start + length,
            status=Status.CONFIRMED,
            created_by=User.objects.filter(organization=org, role=Role.RECEPTION).first(),
        )
    return None


def _free_start(
    today: dt.date, site: Site, length: dt.timedelta, taken: list[tuple[dt.datetime, dt.datetime]]
) -> dt.datetime | None:
    """The first quarter-hour of the day's hours from which `length` is free."""
    opens, closes = _hours(today.weekday())
    start, end = at(today, opens, site.zone), at(today, closes, site.zone)
    while start + length <= end:
        if not any(a < start + length and start < b for a, b in taken):
            return start
        start += dt.timedelta(minutes=15)
    return None


def plain_precheck(patient: Patient) -> Precheck:
    """Today's answers of a patient with nothing new: not pregnant, no infection, weight
    as recorded, no numbing, photos taken."""
    return Precheck(
        pregnancy=vocab.nothing_new(patient.sex),
        infected_areas=[],
        weight_kg=patient.weight_kg,
        numbing_product="",
        numbing_applied_at="",
        photos_taken=True,
    )


def _would_start(doctor: User, plan: Plan, site: Site) -> bool:
    try:
        with transaction.atomic():
            sessions.start(doctor, plan, site, plain_precheck(plan.patient))
            raise _Trial
    except _Trial:
        return True
    except SessionRefused:
        return False


def _demo_status(day: dt.date, today: dt.date, n: int) -> str:
    if day < today:
        return Status.COMPLETED
    return Status.CONFIRMED if n % 7 == 0 else Status.BOOKED
