"""The patient acts on their own upcoming appointments from the portal: confirms one,
cancels with a reason until the clinic's notice period, moves it to a free time that
keeps the course's intervals, adds it to a calendar. Each change is the scheduling
service's, audited once with the patient as the actor; nobody else's appointment is
found, staff are refused, and nobody signed in is sent to sign in."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic.notifications import ical
from mesoclinic.scheduling import course
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.scheduling.services import Refused
from mesoclinic.tenancy import acting_for
from tests.factories import (
    DCA,
    LONDON,
    book,
    client_for,
    local,
    next_weekday,
    open_clinic,
    plan_with_result,
)
from tests.test_portal import STAFF, events, me, other_patient  # noqa: F401 - fixtures

PHONE = "020 7946 0000"
ACTIONS = ("confirm", "cancel", "move", "ics")


@pytest.fixture
def clinic(org, site):
    site.phone = PHONE
    site.save()
    return open_clinic(org, site)


def in_a_week(hour=10):
    return local(next_weekday(1, after=dt.date.today() + dt.timedelta(days=7)), hour)


@pytest.fixture
def appt(org, clinic, reception, practitioner, patient, me):
    return book(org, reception, clinic, patient, practitioner, in_a_week())


def url(action, appt):
    if action == "ics":
        return reverse("portal_appointment_ics", args=[appt.public_id])
    return reverse(f"portal_appointment_{action}", args=[appt.public_id])


def fresh(org, appt):
    with acting_for(org):
        return Appointment.objects.get(pk=appt.pk)


def offered(page: str) -> list[dt.datetime]:
    return [
        dt.datetime.fromisoformat(v) for v in re.findall(r'name="starts_at" value="([^"]+)"', page)
    ]


# Confirming


def test_the_patient_confirms_a_booked_appointment(org, me, appt):
    client = client_for(me)
    page = client.get(reverse("portal_appointments")).content.decode()
    assert "Confirm I will come" in page
    before = events(org, me)
    response = client.post(url("confirm", appt), follow=True)
    assert "Confirmed: thank you" in response.content.decode()
    assert fresh(org, appt).status == Status.CONFIRMED
    assert events(org, me) == before + 1 + 1  # the confirmation, then the page it returns to
    assert "Confirm I will come" not in client.get(reverse("portal_appointments")).content.decode()


def test_confirming_with_htmx_swaps_only_the_row(org, me, appt):
    client = client_for(me)
    before = events(org, me)
    response = client.post(url("confirm", appt), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith("<li") and f'id="appointment-{appt.public_id}"' in body
    assert "Confirmed: thank you" in body and "Confirm I will come" not in body
    assert events(org, me) == before + 1
    again = client.post(url("confirm", appt), headers={"HX-Request": "true"})
    assert again.status_code == 400 and "already confirmed" in again.content.decode()
    assert events(org, me) == before + 1


# Cancelling


def test_a_cancel_needs_a_reason_said_next_to_the_field(org, me, appt):
    client = client_for(me)
    before = events(org, me)
    response = client.post(url("cancel", appt), {"reason": "  "})
    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()
    assert "Tell the clinic why you cancel." in response.content.decode()
    assert fresh(org, appt).status == Status.BOOKED
    assert events(org, me) == before


def test_the_patient_cancels_outside_the_notice_period_once(org, me, appt):
    client = client_for(me)
    assert client.get(url("cancel", appt)).status_code == 200
    before = events(org, me)
    response = client.post(url("cancel", appt), {"reason": "Away on business"})
    assert response.status_code == 302 and response["Location"] == reverse("portal_appointments")
    cancelled = fresh(org, appt)
    assert cancelled.status == Status.CANCELLED and cancelled.cancelled_by == me
    assert cancelled.cancel_reason == "Away on business"
    assert events(org, me) == before + 1
    # The same form sent twice: one cancellation, told so.
    again = client.post(url("cancel", appt), {"reason": "Away on business"}, follow=True)
    assert "is cancelled" in again.content.decode()
    assert fresh(org, appt).lock_version == cancelled.lock_version
    assert events(org, me) == before + 1 + 1  # plus the appointments page it returned to


@pytest.fixture
def soon(org, clinic, reception, practitioner, patient, me):
    """Within the coming week: always inside a two-week notice, whatever today is."""
    return book(org, reception, clinic, patient, practitioner, local(next_weekday(1), 10))


def test_inside_the_notice_period_a_cancel_is_refused_with_the_clinics_phone(org, me, soon):
    appt = soon
    org.cancel_notice_hours = 336  # two weeks: the appointment this coming week is inside it
    org.save()
    client = client_for(me)
    page = client.get(reverse("portal_appointments")).content.decode()
    assert f"Less than 336 hours before the appointment: call the clinic on {PHONE}." in page
    assert url("cancel", appt) not in page and url("move", appt) not in page
    before = events(org, me)
    response = client.post(url("cancel", appt), {"reason": "Away"})
    assert response.status_code == 400
    assert f"call the clinic on {PHONE}" in response.content.decode()
    unchanged = fresh(org, appt)
    assert unchanged.status == Status.BOOKED and unchanged.lock_version == appt.lock_version
    assert events(org, me) == before
    assert client.post(url("move", appt), {"starts_at": "x"}).status_code == 400
    assert fresh(org, appt).starts_at == appt.starts_at


# Moving


def test_the_patient_moves_to_one_of_the_free_times_offered(org, me, appt, clinic, practitioner):
    client = client_for(me)
    page = client.get(url("move", appt)).content.decode()
    times = offered(page)
    assert 1 <= len(times) <= 10
    assert all(abs(t - appt.starts_at) >= dt.timedelta(hours=2) for t in times)
    assert all(t > timezone.now() + dt.timedelta(hours=24) for t in times)
    chosen = times[-1]
    before = events(org, me)
    response = client.post(
        url("move", appt), {"starts_at": chosen.isoformat(), "lock_version": appt.lock_version}
    )
    assert response.status_code == 302
    moved = fresh(org, appt)
    assert moved.starts_at == chosen and moved.ends_at - moved.starts_at == dt.timedelta(minutes=45)
    assert moved.practitioner_id == practitioner.pk and moved.site_id == clinic["site"].pk
    assert events(org, me) == before + 1
    page = client.get(reverse("portal_appointments")).content.decode()
    assert chosen.astimezone(LONDON).strftime("%-d %B %Y, %H:%M") in page


def test_a_time_already_taken_is_refused(
    org, me, appt, clinic, reception, practitioner, make_patient
):
    taken = appt.starts_at + dt.timedelta(days=1)
    someone = make_patient(first_name="Carl", last_name="Else", email="carl@example.com")
    book(org, reception, clinic, someone, practitioner, taken, room=1)
    assert taken not in offered(client_for(me).get(url("move", appt)).content.decode())
    response = client_for(me).post(
        url("move", appt), {"starts_at": taken.isoformat(), "lock_version": appt.lock_version}
    )
    body = response.content.decode()
    assert response.status_code == 400 and "Dr Pia Prax is already booked" in body
    assert "Carl" not in body
    assert fresh(org, appt).starts_at == appt.starts_at


@pytest.fixture
def course_appts(org, clinic, reception, practitioner, patient, me):
    """A four-session deoxycholic acid course (30 days apart at least, grade A), booked."""
    plan = plan_with_result(org, patient, practitioner, DCA, next_weekday(1))
    with acting_for(org):
        course.propose_course(
            reception,
            plan,
            site=clinic["site"],
            practitioner=practitioner,
            treatment_type=clinic["treatment"],
            duration=dt.timedelta(minutes=45),
            prefer=dt.time(10),
        )
        course.confirm_course(reception, plan)
        return list(
            Appointment.objects.filter(plan=plan)
            .select_related("site", "plan", "plan_version", "practitioner", "patient", "room")
            .order_by("course_session")
        )


def test_a_time_that_breaks_the_course_interval_is_never_offered_nor_accepted(
    org, me, course_appts
):
    third, fourth = course_appts[2], course_appts[3]
    client = client_for(me)
    times = offered(client.get(url("move", fourth)).content.decode())
    assert times, "later days keep the interval"
    third_day = third.local_start().date()
    assert all((t.astimezone(LONDON).date() - third_day).days >= 30 for t in times)
    too_close = fourth.starts_at - dt.timedelta(
        days=(fourth.local_start().date() - third_day).days - 20
    )
    before = events(org, me)
    response = client.post(
        url("move", fourth), {"starts_at": too_close.isoformat(), "lock_version": 0}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "too close to another session of your treatment course" in body
    assert "at least 30 days" in body and "grade" not in body and "tick" not in body
    assert fresh(org, fourth).starts_at == fourth.starts_at
    assert events(org, me) == before
    # The scheduling service refuses it too, whoever calls it.
    with acting_for(org), pytest.raises(Refused, match="at least 30 days"):
        course.move(me, fresh_course(org, fourth), starts_at=too_close, lock_version=0)


def fresh_course(org, appt):
    with acting_for(org):
        return Appointment.objects.select_related("site", "plan", "plan_version").get(pk=appt.pk)


# Add to calendar


def test_the_patient_downloads_a_calendar_file_for_one_appointment(org, me, appt):
    client = client_for(me)
    before = events(org, me)
    response = client.get(url("ics", appt))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    [event] = ical.parse(response.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Appointment at Test Clinic"
    assert event.decoded("DTSTART") == appt.starts_at
    assert PHONE in str(event["DESCRIPTION"])
    assert events(org, me) == before + 1


# Who may


@pytest.mark.parametrize("action", ACTIONS)
def test_another_patients_appointment_is_not_found(
    org, clinic, reception, practitioner, other_patient, me, action
):
    theirs = book(org, reception, clinic, other_patient, practitioner, in_a_week(14))
    client = client_for(me)
    if action in ("confirm", "cancel"):
        response = client.post(url(action, theirs), {"reason": "x"})
    else:
        response = client.get(url(action, theirs))
    assert response.status_code == 404
    assert fresh(org, theirs).status == Status.BOOKED
    assert str(theirs.public_id) not in client.get(reverse("portal_appointments")).content.decode()


# The methods each address answers to.
METHODS = {
    "confirm": ("post",),
    "cancel": ("get", "post"),
    "move": ("get", "post"),
    "ics": ("get",),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", STAFF)
def test_staff_cannot_act_through_the_portal(personas, org, appt, role, action):
    client = client_for(personas[role])
    for method in METHODS[action]:
        assert getattr(client, method)(url(action, appt), {"reason": "x"}).status_code == 403
    assert fresh(org, appt).status == Status.BOOKED


@pytest.mark.parametrize("action", ACTIONS)
def test_nobody_signed_in_is_sent_to_sign_in(appt, action):
    method = Client().post if action in ("confirm", "cancel") else Client().get
    response = method(url(action, appt))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# The page's cost and the clinic's setting


@pytest.mark.parametrize("count", [2, 15])
def test_the_appointments_page_runs_a_bounded_number_of_queries(
    org, me, clinic, reception, practitioner, patient, count, django_assert_max_num_queries
):
    first = next_weekday(1, after=dt.date.today() + dt.timedelta(days=3))
    for n in range(count):
        book(org, reception, clinic, patient, practitioner, local(first + dt.timedelta(days=n), 10))
    client = client_for(me)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("portal_appointments")).content.decode()
    assert page.count("Confirm I will come") == count  # every one ahead (up to 50)


def test_the_owner_sets_the_notice_period_for_online_cancelling(org, owner):
    client = client_for(owner)
    settings_url = reverse("clinic_settings")
    assert "Patients cancel or move online until" in client.get(settings_url).content.decode()
    form = {"name": org.name, "currency": "EUR", "tax_rate": "0"}
    response = client.post(settings_url, {**form, "cancel_notice_hours": "337"})
    assert response.status_code == 400
    assert 'id="id_cancel_notice_hours_error"' in response.content.decode()
    assert client.post(settings_url, {**form, "cancel_notice_hours": "48"}).status_code == 302
    org.refresh_from_db()
    assert org.cancel_notice_hours == 48
    client.post(settings_url, form)  # left empty: kept
    org.refresh_from_db()
    assert org.cancel_notice_hours == 48
