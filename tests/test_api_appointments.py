"""The JSON API's diary: appointments listed over a range of days and read one by one,
and booked, moved, cancelled and checked in through the scheduling services, so the
booking page's checks (opening hours, free time, no double booking) hold as they do
there. Every staff role books (reception too) but only clinical callers see a course
session's plan and areas; another clinic gets 404, a portal patient 404, nobody 401."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import Appointment
from mesoclinic.tenancy import acting_for
from tests.factories import ALL, book, client_for, local, next_weekday, open_clinic
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

MONDAY = next_weekday(0)


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


@pytest.fixture
def appt(org, clinic, reception, patient, practitioner):
    return book(org, reception, clinic, patient, practitioner, local(MONDAY, 10))


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _book_body(clinic, patient, practitioner, start, **changes):
    body = {
        "patient": str(patient.public_id),
        "site": str(clinic["site"].public_id),
        "practitioner": str(practitioner.public_id),
        "starts_at": start.isoformat(),
        "treatment": str(clinic["treatment"].public_id),
    }
    body.update(changes)
    return body


def _post(client, path, body=None, **headers):
    return client.post(
        f"/api/v1/appointments{path}", body or {}, content_type="application/json", **headers
    )


def _week(start=MONDAY):
    return f"/api/v1/appointments?start={start}&end={start + dt.timedelta(days=6)}"


@pytest.mark.parametrize("role", ALL)
def test_every_staff_role_reads_the_diary(personas, role, appt, patient):
    client = client_for(personas[role])
    found = client.get(_week()).json()["results"]
    assert [a["id"] for a in found] == [str(appt.public_id)]
    assert found[0]["patient"] == {"id": str(patient.public_id), "name": patient.full_name}
    detail = client.get(f"/api/v1/appointments/{appt.public_id}").json()
    assert detail["status"] == "booked" and detail["room"]["name"] == "Room 1"


def test_the_range_defaults_to_the_coming_week_and_is_bounded(
    org, clinic, reception, patient, practitioner
):
    later = book(
        org, reception, clinic, patient, practitioner, local(MONDAY + dt.timedelta(days=21), 10)
    )
    client = client_for(reception)
    default = [a["id"] for a in client.get("/api/v1/appointments").json()["results"]]
    assert str(later.public_id) not in default
    far = MONDAY + dt.timedelta(days=21)
    assert [a["id"] for a in client.get(_week(far)).json()["results"]] == [str(later.public_id)]
    too_long = client.get(
        f"/api/v1/appointments?start={MONDAY}&end={MONDAY + dt.timedelta(days=200)}"
    )
    assert too_long.status_code == 400 and "93 days" in too_long.json()["detail"]
    backwards = client.get(f"/api/v1/appointments?start={far}&end={MONDAY}")
    assert backwards.status_code == 400
    assert client.get(_week() + "&status=lost").status_code == 422
    assert client.get(_week() + "&sort=random").status_code == 422


def test_filters_by_practitioner_patient_site_and_status(
    org, clinic, reception, patient, practitioner, owner, make_patient, appt
):
    other = make_patient(first_name="Berta", last_name="Other", email="b@example.com")
    book(org, reception, clinic, other, owner, local(MONDAY, 10), room=1)
    client = client_for(reception)

    def ids(query):
        return [a["id"] for a in client.get(_week() + query).json()["results"]]

    assert ids(f"&patient={patient.public_id}") == [str(appt.public_id)]
    assert ids(f"&practitioner={practitioner.public_id}") == [str(appt.public_id)]
    assert len(ids(f"&site={clinic['site'].public_id}")) == 2
    assert ids("&status=cancelled") == []


def test_only_clinical_callers_see_a_course_sessions_plan_and_areas(
    org, clinic, reception, practitioner, patient, consented_plan
):
    with acting_for(org):
        appt = Appointment.objects.create(
            site=clinic["site"], practitioner=practitioner, patient=patient,
            plan=consented_plan, course_session=1, course_areas=["forehead"],
            starts_at=local(MONDAY, 11), ends_at=local(MONDAY, 12), created_by=reception,
        )  # fmt: skip
    url = f"/api/v1/appointments/{appt.public_id}"
    seen = client_for(practitioner).get(url).json()
    assert seen["plan"] == str(consented_plan.public_id) and seen["course_areas"] == ["forehead"]
    desk = client_for(reception).get(url).json()
    assert desk["plan"] is None and desk["course_areas"] is None
    _, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    narrow = Client().get(url, **_bearer(secret)).json()
    assert narrow["course_areas"] is None
    assert "forehead" not in str(client_for(reception).get(_week()).json())


def test_another_clinic_a_portal_patient_and_nobody_are_refused(
    outsider,
    me,
    appt,
    clinic,
    patient,
    practitioner,  # noqa: F811
):
    client = client_for(outsider)
    assert client.get(_week()).json()["results"] == []
    url = f"/api/v1/appointments/{appt.public_id}"
    for path in (url, _week() + f"&patient={patient.public_id}"):
        response = client.get(path)
        assert response.status_code == 404 and patient.last_name not in response.content.decode()
    assert _post(client, f"/{appt.public_id}/cancel", {"reason": "x"}).status_code == 404
    body = _book_body(clinic, patient, practitioner, local(MONDAY, 14))
    assert _post(client, "", body).status_code == 404
    assert client_for(me).get(url).status_code == 404
    assert Client().get(url).status_code == 401


@pytest.mark.parametrize("role", ALL)
def test_every_staff_role_books_and_the_booking_is_audited(
    org, personas, role, clinic, patient, practitioner
):
    body = _book_body(clinic, patient, practitioner, local(MONDAY, 14))
    response = _post(client_for(personas[role]), "", body)
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["ends_at"].startswith(str(MONDAY)) and made["room"] is not None
    with acting_for(org):
        appt = Appointment.objects.get(public_id=made["id"])
        assert appt.created_by == personas[role]
        assert AuditEvent.objects.filter(action="create", object_id=made["id"]).count() == 1


def test_a_clash_or_closed_hours_is_refused_with_the_reason(
    org, reception, clinic, patient, practitioner, appt
):
    client = client_for(reception)
    clash = _post(client, "", _book_body(clinic, patient, practitioner, local(MONDAY, 10, 15)))
    assert clash.status_code == 409
    assert "starts_at" in clash.json()["errors"] and clash.json()["detail"]
    closed = _post(client, "", _book_body(clinic, patient, practitioner, local(MONDAY, 19)))
    assert closed.status_code == 409 and "not open" in closed.json()["detail"]
    naive = _post(
        client, "", _book_body(clinic, patient, practitioner, dt.datetime(2030, 1, 7, 10))
    )
    assert naive.status_code == 400 and "offset" in naive.json()["errors"]["starts_at"][0]
    missing = _post(client, "", {"patient": str(patient.public_id)})
    assert missing.status_code == 400 and "site" in missing.json()["errors"]
    with acting_for(org):
        assert Appointment.objects.count() == 1


def test_moving_needs_the_version_read_and_a_free_slot(org, reception, clinic, appt):
    client = client_for(reception)
    body = {"starts_at": local(MONDAY, 15).isoformat(), "lock_version": appt.lock_version}
    moved = _post(client, f"/{appt.public_id}/move", body)
    assert moved.status_code == 200, moved.content
    assert moved.json()["lock_version"] == appt.lock_version + 1
    stale = _post(client, f"/{appt.public_id}/move", body)
    assert stale.status_code == 409 and "changed" in stale.json()["detail"]
    with acting_for(org):
        appt.refresh_from_db()
        assert appt.local_start().hour == 15


def test_cancelling_needs_a_reason_and_frees_the_slot(
    org, reception, clinic, appt, patient, practitioner
):
    client = client_for(reception)
    no_reason = _post(client, f"/{appt.public_id}/cancel", {"reason": " "})
    assert no_reason.status_code == 400 and no_reason.json()["errors"]["reason"]
    done = _post(client, f"/{appt.public_id}/cancel", {"reason": "Patient is ill"})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    again = _post(client, f"/{appt.public_id}/cancel", {"reason": "Twice"})
    assert again.status_code == 409
    rebook = _post(client, "", _book_body(clinic, patient, practitioner, local(MONDAY, 10)))
    assert rebook.status_code == 201


def test_reception_checks_in_todays_visit_once(org, reception, clinic, patient, practitioner, appt):
    now = timezone.now()
    with acting_for(org):
        today = Appointment.objects.create(
            site=clinic["site"], practitioner=practitioner, patient=patient, starts_at=now,
            ends_at=now + dt.timedelta(minutes=45), created_by=reception,
        )  # fmt: skip
    client = client_for(reception)
    first = _post(client, f"/{today.public_id}/check-in")
    assert first.status_code == 200 and first.json()["arrived_at"]
    assert (
        _post(client, f"/{today.public_id}/check-in").json()["arrived_at"]
        == first.json()["arrived_at"]
    )
    with acting_for(org):
        events = AuditEvent.objects.filter(object_id=str(today.public_id), detail="checked in")
        assert events.count() == 1
    future = _post(client, f"/{appt.public_id}/check-in")
    assert future.status_code == 409 and "today" in future.json()["detail"]


def test_a_read_only_token_cannot_book(reception, clinic, patient, practitioner, org):
    _, secret = tokens.create(reception, name="t", scopes=["read"], days=5)
    body = _book_body(clinic, patient, practitioner, local(MONDAY, 14))
    response = _post(Client(), "", body, **_bearer(secret))
    assert response.status_code == 403
    with acting_for(org):
        assert not Appointment.objects.exists()


def test_pages_of_the_diary_and_their_audit(org, reception, clinic, patient, practitioner):
    made = [
        book(
            org, reception, clinic, patient, practitioner, local(MONDAY + dt.timedelta(days=n), 10)
        )
        for n in range(3)
    ]
    client = client_for(reception)
    first = client.get(_week() + "&limit=2").json()
    second = client.get(_week() + f"&limit=2&cursor={first['next']}").json()
    assert [a["id"] for a in first["results"] + second["results"]] == [
        str(a.public_id) for a in made
    ]
    assert second["next"] is None
    latest = client.get(_week() + "&sort=latest&limit=1").json()["results"]
    assert latest[0]["id"] == str(made[-1].public_id)
    with acting_for(org):
        assert AuditEvent.objects.filter(action="search", object_type="appointment").count() == 3


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_bounded_number_of_queries(
    org, reception, clinic, patient, practitioner, count, django_assert_max_num_queries
):
    with acting_for(org):
        for n in range(count):
            start = local(MONDAY + dt.timedelta(days=n % 7), 9) + dt.timedelta(
                minutes=15 * (n // 7)
            )
            Appointment.objects.create(
                site=clinic["site"], room=clinic["rooms"][0], practitioner=practitioner,
                patient=patient, treatment_type=clinic["treatment"], starts_at=start,
                ends_at=start + dt.timedelta(minutes=10), created_by=reception,
            )  # fmt: skip
    client = client_for(practitioner)
    with django_assert_max_num_queries(10):
        assert len(client.get(_week() + "&limit=200").json()["results"]) == count


def test_a_token_without_the_read_scope_cannot_read_the_diary(reception, appt):
    _, secret = tokens.create(reception, name="t", scopes=["write"], days=5)
    for url in (_week(), f"/api/v1/appointments/{appt.public_id}"):
        response = Client().get(url, **_bearer(secret))
        assert response.status_code == 403 and "read" in response.json()["detail"], url


def test_the_days_are_the_sites_own(org, clinic, reception, patient, practitioner):
    """A visit at 00:30 in London on a summer Monday is on Sunday in UTC: it belongs to
    Monday's list, and not to the Sunday before."""
    monday = next_weekday(0, dt.date(dt.date.today().year + 1, 6, 1))
    with acting_for(org):
        late = Appointment.objects.create(
            site=clinic["site"], practitioner=practitioner, patient=patient,
            starts_at=local(monday, 0, 30), ends_at=local(monday, 1), created_by=reception,
        )  # fmt: skip
    client = client_for(reception)
    sunday = monday - dt.timedelta(days=1)
    on_monday = client.get(f"/api/v1/appointments?start={monday}&end={monday}").json()
    on_sunday = client.get(f"/api/v1/appointments?start={sunday}&end={sunday}").json()
    assert [a["id"] for a in on_monday["results"]] == [str(late.public_id)]
    assert on_sunday["results"] == []
