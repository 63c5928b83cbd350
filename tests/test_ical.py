"""Calendar files: valid RFC 5545 that parses back identically, local times across
daylight saving, private revocable feed URLs, and who may download what.

Decision tested here: reception may download a patient's appointments .ics,
since it holds only times, places and the practitioner's name (no clinical
detail), and reception books those appointments. The practitioner feed page
is for those who see patients (owner, practitioner, esthetician).
"""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Site, zone_named
from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.notifications import ical
from mesoclinic.notifications.models import CalendarFeed
from mesoclinic.scheduling.models import Appointment, Room, Status
from mesoclinic.tenancy import acting_for
from tests.factories import client_for

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def paris_site(site):
    site.time_zone = "Europe/Paris"
    site.address = "1 rue de la Paix\n75002 Paris"
    site.save()
    return site


@pytest.fixture
def room(org, paris_site):
    with acting_for(org):
        return Room.objects.create(site=paris_site, name="Room 2")


@pytest.fixture
def book(org, paris_site, room, practitioner, patient):
    def make(starts_at, status=Status.BOOKED, who=None, **fields):
        with acting_for(org):
            return Appointment.objects.create(
                site=paris_site,
                room=room,
                practitioner=practitioner,
                patient=who or patient,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=45),
                status=status,
                created_by=practitioner,
                cancel_reason="patient asked" if status == Status.CANCELLED else "",
                **fields,
            )

    return make


def weekly_paris_course(book, first_local: datetime, sessions: int):
    """Sessions at the same Paris wall-clock time each week."""
    return [
        book((first_local + timedelta(weeks=i)).replace(tzinfo=PARIS).astimezone(UTC))
        for i in range(sessions)
    ]


def events_of(body: bytes):
    return {str(e["UID"]): e for e in ical.parse(body).walk("VEVENT")}


# --- the file format ----------------------------------------------------------


def test_a_course_round_trips_through_the_icalendar_parser(book, org, patient):
    course = weekly_paris_course(book, datetime(2026, 3, 2, 10, 30), 4)
    with acting_for(org):
        rows = Appointment.objects.select_related("site", "room", "patient").order_by("starts_at")
        body = ical.build([ical.practitioner_event(a) for a in rows], name="Test")
    parsed = events_of(body)
    assert set(parsed) == {f"{a.public_id}@mesoclinic" for a in course}
    for appointment in course:
        event = parsed[ical.uid_for(appointment.public_id)]
        assert event.decoded("DTSTART") == appointment.starts_at
        assert event.decoded("DTEND") == appointment.ends_at
        assert str(event["SUMMARY"]) == "Appointment A.G."
        assert str(event["LOCATION"]) == "Main site, Room 2"
    # Built again from what was parsed, the file is the same file.
    assert ical.parse(body).to_ical() == body
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and b"VERSION:2.0" in body
    assert b"PRODID:" in body and b"DTSTAMP:" in body


def test_a_course_across_the_spring_change_keeps_its_local_time(book, org):
    # Paris moves its clocks forward on 29 March 2026: 10:30 stays 10:30 locally,
    # although it is 09:30 UTC before and 08:30 UTC after.
    course = weekly_paris_course(book, datetime(2026, 3, 16, 10, 30), 4)
    assert [a.starts_at.hour for a in course] == [9, 9, 8, 8]
    with acting_for(org):
        rows = Appointment.objects.select_related("site", "room", "patient").order_by("starts_at")
        body = ical.build([ical.practitioner_event(a) for a in rows], name="Test")
    text = body.decode()
    assert text.count("DTSTART;TZID=Europe/Paris:") == 4
    assert re.findall(r"DTSTART;TZID=Europe/Paris:\d{8}T(\d{6})", text) == ["103000"] * 4
    calendar = ical.parse(body)
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Paris"
    assert {c.name for c in vtimezone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    assert sorted((s.hour, s.minute) for s in starts) == [(10, 30)] * 4
    assert sorted(starts) == [a.starts_at for a in course]


def test_utc_sites_need_no_vtimezone():
    event = ical.CalendarEvent(
        uid="x@mesoclinic",
        start=datetime(2026, 1, 5, 9, tzinfo=UTC),
        end=datetime(2026, 1, 5, 10, tzinfo=UTC),
        time_zone="UTC",
        summary="Appointment",
    )
    body = ical.build([event], name="Test")
    assert b"DTSTART:20260105T090000Z" in body and b"VTIMEZONE" not in body
    assert zone_named("Not/AZone").key == "UTC"
    assert ical.initials("anna", "garcía") == "A.G."


# --- the practitioner's private feed -------------------------------------------


def make_feed_url(client) -> str:
    response = client.post(reverse("new_calendar_feed"))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    [url] = re.findall(
        r'value="(http://testserver/calendar/feed/[^"]+\.ics)"', response.content.decode()
    )
    return url.removeprefix("http://testserver")


def test_practitioner_feed_lists_own_appointments_without_clinical_detail(
    book, practitioner, make_patient, org, owner
):
    now = timezone.now().replace(microsecond=0)
    mine = book(now + timedelta(days=2), course_areas=["submental"], course_session=3)
    book(now + timedelta(days=3), status=Status.CANCELLED)
    with acting_for(org):
        Appointment.objects.create(
            site=mine.site,
            practitioner=owner,
            patient=make_patient(first_name="Zed", last_name="Other"),
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=1),
            created_by=owner,
        )
    url = make_feed_url(client_for(practitioner))
    response = Client().get(url)  # no log-in: calendar programs cannot log in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    parsed = events_of(response.content)
    assert list(parsed) == [ical.uid_for(mine.public_id)]
    text = response.content.decode()
    for secret in ("submental", "García", "Anna", "anna@example.com", "session 3"):
        assert secret not in text
    event = AuditEvent.objects.filter(object_type="calendarfeed", action=Action.EXPORT).get()
    assert event.actor == practitioner


def test_only_a_hash_of_the_token_is_stored(practitioner):
    url = make_feed_url(client_for(practitioner))
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.all_orgs.get()
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    page = client_for(practitioner).get(reverse("my_calendar_feed")).content.decode()
    assert token not in page and "cannot be shown again" in page


def test_revoking_or_renewing_makes_the_old_url_404(practitioner):
    client = client_for(practitioner)
    first = make_feed_url(client)
    second = make_feed_url(client)  # "revoke and make a new one"
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert Client().head(second).status_code == 200
    assert client.post(reverse("revoke_calendar_feed")).status_code == 302
    assert Client().get(second).status_code == 404
    assert CalendarFeed.all_orgs.filter(revoked_at__isnull=True).count() == 0


def test_unknown_or_deactivated_tokens_404(practitioner):
    assert Client().get("/calendar/feed/not-a-token.ics").status_code == 404
    url = make_feed_url(client_for(practitioner))
    practitioner.is_active = False
    practitioner.save()
    assert Client().get(url).status_code == 404


def test_an_outsiders_feed_shows_nothing_of_ours(book, outsider):
    book(timezone.now() + timedelta(days=1))
    url = make_feed_url(client_for(outsider))
    response = Client().get(url)
    assert response.status_code == 200 and events_of(response.content) == {}
    # Still one component, as RFC 5545 requires: the zone.
    assert [c.name for c in ical.parse(response.content).subcomponents] == ["VTIMEZONE"]


@pytest.mark.parametrize(
    "role,status",
    [("owner", 200), ("practitioner", 200), ("esthetician", 200), ("reception", 403)],
)
def test_feed_page_by_role(personas, role, status):
    client = client_for(personas[role])
    assert client.get(reverse("my_calendar_feed")).status_code == status
    assert client.post(reverse("new_calendar_feed")).status_code == status
    assert client.post(reverse("revoke_calendar_feed")).status_code in {status, 302}


def test_feed_page_needs_a_log_in():
    response = Client().get(reverse("my_calendar_feed"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- a patient's appointments as .ics -------------------------------------------


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_staff_download_a_patients_course(personas, role, book, patient):
    course = weekly_paris_course(book, datetime(2026, 3, 16, 10, 30), 3)
    book(datetime(2026, 5, 1, 8, tzinfo=UTC), status=Status.CANCELLED)
    response = client_for(personas[role]).get(reverse("patient_calendar", args=[patient.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    parsed = events_of(response.content)
    assert set(parsed) == {ical.uid_for(a.public_id) for a in course}
    event = next(iter(parsed.values()))
    assert str(event["SUMMARY"]) == "Appointment at Test Clinic"
    assert "1 rue de la Paix, 75002 Paris" in str(event["LOCATION"])
    assert "Dr Pia Prax" in str(event["DESCRIPTION"])
    assert AuditEvent.objects.filter(
        action=Action.EXPORT, object_id=str(patient.public_id), actor=personas[role]
    ).exists()


def test_an_outsider_gets_404_for_our_patients_calendar(outsider, patient):
    url = reverse("patient_calendar", args=[patient.public_id])
    assert client_for(outsider).get(url).status_code == 404


def test_a_patients_calendar_runs_a_bounded_number_of_queries(
    book, patient, owner, django_assert_max_num_queries, org
):
    with acting_for(org):
        other = Site.objects.create(organization=org, name="Second site", time_zone="Europe/London")
    for i in range(30):
        appointment = book(datetime(2026, 6, 1, 8, tzinfo=UTC) + timedelta(days=i))
        if i % 2:
            Appointment.all_orgs.filter(pk=appointment.pk).update(site=other, room=None)
    client = client_for(owner)
    url = reverse("patient_calendar", args=[patient.public_id])
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert len(events_of(response.content)) == 30
    assert {str(tz["TZID"]) for tz in ical.parse(response.content).walk("VTIMEZONE")} == {
        "Europe/Paris",
        "Europe/London",
    }


def test_the_feed_runs_a_bounded_number_of_queries(
    book, practitioner, make_patient, django_assert_max_num_queries
):
    url = make_feed_url(client_for(practitioner))
    start = timezone.now() + timedelta(days=1)
    for i in range(40):
        book(start + timedelta(days=i), who=make_patient(first_name=f"P{i}"))
    with django_assert_max_num_queries(4):
        response = Client().get(url)
    assert len(events_of(response.content)) == 40


def test_one_course_of_a_patient_by_plan(book, patient, reception, org, practitioner, make_patient):
    from mesoclinic.plans.models import Plan

    with acting_for(org):
        plan = Plan.objects.create(patient=patient, created_by=practitioner)
    course = [book(datetime(2026, 4, 1 + 7 * i, 8, tzinfo=UTC), plan=plan) for i in range(3)]
    book(datetime(2026, 4, 2, 8, tzinfo=UTC))  # outside the course
    url = reverse("patient_calendar", args=[patient.public_id])
    client = client_for(reception)
    assert len(events_of(client.get(url).content)) == 4
    only = events_of(client.get(url, {"plan": str(plan.public_id)}).content)
    assert set(only) == {ical.uid_for(a.public_id) for a in course}
    assert client.get(url, {"plan": "not-a-uuid"}).status_code == 404
    with acting_for(org):  # a course of another patient is not this patient's
        other = Plan.objects.create(patient=make_patient(first_name="Bea"), created_by=practitioner)
    assert client.get(url, {"plan": str(other.public_id)}).status_code == 404
