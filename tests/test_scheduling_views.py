"""The diary pages: boards, booking, moving, cancelling, courses; by role and organization."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling.models import Appointment, Room, Status
from mesoclinic.tenancy import acting_for
from tests.factories import (
    DCA,
    HAIR,
    LONDON,
    book,
    client_for,
    local,
    next_weekday,
    open_clinic,
    plan_with_result,
)

STAFF = ("owner", "practitioner", "esthetician", "reception")


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


@pytest.fixture
def appt(org, clinic, reception, practitioner, patient):
    return book(org, reception, clinic, patient, practitioner, local(next_weekday(1), 10))


@pytest.fixture
def course_plan(org, patient, practitioner):
    return plan_with_result(org, patient, practitioner, DCA, next_weekday(1))


def boards(clinic, practitioner):
    site, room = clinic["site"], clinic["rooms"][0]
    return [
        reverse("calendar_board", args=[kind, obj.public_id, span])
        for kind, obj in (("site", site), ("practitioner", practitioner), ("room", room))
        for span in ("day", "week")
    ]


# Boards


@pytest.mark.parametrize("role", STAFF)
def test_every_role_sees_the_boards_with_patient_names(role, personas, clinic, practitioner, appt):
    client = client_for(personas[role])
    for url in boards(clinic, practitioner):
        page = client.get(url, {"date": appt.local_start().date().isoformat()})
        assert page.status_code == 200, url
        assert "Anna García" in page.content.decode()


def test_outsiders_get_404_on_every_board(personas, clinic, practitioner, appt):
    client = client_for(personas["outsider"])
    for url in boards(clinic, practitioner):
        assert client.get(url).status_code == 404, url


def test_reception_is_not_a_practitioner_board(org, clinic, reception):
    client = client_for(reception)
    url = reverse("calendar_board", args=["practitioner", reception.public_id, "week"])
    assert client.get(url).status_code == 404
    assert client.get(url.replace("practitioner", "patient")).status_code == 404


def test_boards_show_free_slots_in_site_time(org, clinic, practitioner, appt):
    page = client_for(practitioner).get(
        reverse("calendar_board", args=["practitioner", practitioner.public_id, "day"]),
        {"date": appt.local_start().date().isoformat()},
    )
    text = page.content.decode()
    assert "10:00–10:45" in text
    assert "09:00–10:00" in text and "10:45–18:00" in text
    assert "Europe/London" in text


def test_course_areas_are_shown_to_clinicians_only(
    org, clinic, reception, practitioner, course_plan
):
    client_for(reception).post(
        reverse("course_propose", args=[course_plan.public_id]), _propose_data(clinic, practitioner)
    )
    with acting_for(org):
        first = Appointment.objects.order_by("starts_at").first()
    url = reverse("calendar_board", args=["site", clinic["site"].public_id, "week"])
    day = {"date": first.local_start().date().isoformat()}
    detail = reverse("appointment_detail", args=[first.public_id])
    course = reverse("course_page", args=[course_plan.public_id])
    for page in (url, detail, course):
        # The area by its name, never its reference slug.
        seen = client_for(practitioner).get(page, day).content.decode()
        assert "Submental (under the chin)" in seen
        assert not re.search(r"[>(:,] ?submental\b", seen)
        assert "Submental" not in client_for(reception).get(page, day).content.decode()
    assert "session 1" in client_for(reception).get(url, day).content.decode()


def test_board_views_are_audited(org, clinic, reception, appt):
    client_for(reception).get(
        reverse("calendar_board", args=["site", clinic["site"].public_id, "week"]),
        {"date": appt.local_start().date().isoformat()},
    )
    with acting_for(org):
        event = AuditEvent.objects.filter(object_type="calendar-site").get()
    assert event.actor == reception and "1 appointments" in event.detail


def test_week_view_queries_stay_bounded_with_500_appointments(
    org,
    clinic,
    practitioner,
    owner,
    esthetician,
    reception,
    make_patient,
    django_assert_max_num_queries,
):
    monday = next_weekday(0)
    with acting_for(org):
        rooms = [Room.objects.create(site=clinic["site"], name=f"Extra {n}") for n in range(8)]
        patients = [make_patient(first_name=f"P{n}") for n in range(50)]
        rows = []
        for n in range(500):
            day = monday + dt.timedelta(days=n % 7)
            slot = n // 7
            start = local(day, 9) + dt.timedelta(minutes=7 * slot)
            rows.append(
                Appointment(
                    organization=org,
                    site=clinic["site"],
                    room=(clinic["rooms"] + rooms)[n % 10],
                    practitioner=(practitioner, owner, esthetician)[n % 3],
                    patient=patients[n % 50],
                    starts_at=start,
                    ends_at=start + dt.timedelta(minutes=5),
                    created_by=reception,
                )
            )
        Appointment.objects.bulk_create(rows)
    date = {"date": monday.isoformat()}
    client = client_for(reception)
    for url in boards(clinic, practitioner):
        client.get(url, date)  # warm the session
        # Measured: 11 (site week, rooms) to 15 (practitioner views, with the diary).
        with django_assert_max_num_queries(16):
            page = client.get(url, date)
        assert page.status_code == 200
    site_week = reverse("calendar_board", args=["site", clinic["site"].public_id, "week"])
    assert client.get(site_week, date).content.decode().count('class="blk ') == 500


# Booking one appointment


def _book_data(clinic, practitioner, patient, day, time="11:00", **extra):
    return {
        "site": clinic["site"].public_id,
        "patient": patient.public_id,
        "practitioner": practitioner.public_id,
        "date": day.isoformat(),
        "time": time,
        "minutes": 45,
        **extra,
    }


@pytest.mark.parametrize("role", STAFF)
def test_every_role_books_an_appointment(role, org, personas, clinic, practitioner, patient):
    day = next_weekday(2)
    response = client_for(personas[role]).post(
        reverse("appointment_new"), _book_data(clinic, practitioner, patient, day)
    )
    assert response.status_code == 302
    with acting_for(org):
        appt = Appointment.objects.get()
    assert appt.local_start() == local(day, 11) and appt.room is not None


def test_a_clash_is_refused_with_the_reason_and_nothing_is_lost(
    org, clinic, reception, practitioner, appt, make_patient
):
    other = make_patient(first_name="Bea")
    data = _book_data(clinic, practitioner, other, appt.local_start().date(), "10:15")
    response = client_for(reception).post(reverse("appointment_new"), data)
    text = response.content.decode()
    assert response.status_code == 400
    assert "Dr Pia Prax is already booked" in text and "10:00-10:45" in text
    assert 'value="10:15"' in text and "Bea García" in text


def test_booking_needs_a_patient(clinic, reception, practitioner):
    data = _book_data(clinic, practitioner, practitioner, next_weekday(2))
    data.pop("patient")
    response = client_for(reception).post(reverse("appointment_new"), data)
    assert "Choose the patient" in response.content.decode()


def test_the_patient_picker_finds_by_name(clinic, reception, patient):
    page = client_for(reception).get(reverse("appointment_patient_picker"), {"q": "garc"})
    assert str(patient.public_id) in page.content.decode()


def test_outsiders_cannot_book_our_patients(clinic, outsider, practitioner, patient):
    data = _book_data(clinic, practitioner, patient, next_weekday(2))
    assert client_for(outsider).post(reverse("appointment_new"), data).status_code == 404


# One appointment: detail, move, cancel


def _urls(appt):
    return {
        "detail": reverse("appointment_detail", args=[appt.public_id]),
        "move": reverse("appointment_move", args=[appt.public_id]),
        "slots": reverse("appointment_slots", args=[appt.public_id]),
        "cancel": reverse("appointment_status", args=[appt.public_id, "cancel"]),
    }


def test_outsiders_get_404_for_an_appointment(outsider, appt):
    client = client_for(outsider)
    urls = _urls(appt)
    for name in ("detail", "move", "slots"):
        assert client.get(urls[name]).status_code == 404, name
    assert client.post(urls["cancel"], {"reason": "x"}).status_code == 404
    assert client.post(urls["move"], {"date": "2030-01-01"}).status_code == 404


@pytest.mark.parametrize("role", STAFF)
def test_every_role_moves_and_cancels(role, org, personas, appt):
    client = client_for(personas[role])
    urls = _urls(appt)
    assert client.get(urls["detail"]).status_code == 200
    day = appt.local_start().date()
    slots = client.get(urls["slots"], {"date": day.isoformat()}).content.decode()
    assert 'data-time="14:00"' in slots
    moved = client.post(urls["move"], {"date": day.isoformat(), "time": "14:00", "lock_version": 0})
    assert moved.status_code == 302
    with acting_for(org):
        appt.refresh_from_db()
    assert appt.local_start().hour == 14
    assert client.post(urls["cancel"], {"reason": ""}).status_code == 400
    assert client.post(urls["cancel"], {"reason": "patient ill"}).status_code == 302
    with acting_for(org):
        appt.refresh_from_db()
        assert appt.status == Status.CANCELLED and appt.cancel_reason == "patient ill"
        actions = set(
            AuditEvent.objects.filter(object_id=str(appt.public_id)).values_list(
                "action", flat=True
            )
        )
    assert {"create", "view", "change"} <= actions


def test_a_stale_move_is_refused(org, reception, appt):
    urls = _urls(appt)
    day = appt.local_start().date().isoformat()
    client = client_for(reception)
    client.post(urls["move"], {"date": day, "time": "12:00", "lock_version": 0})
    response = client.post(urls["move"], {"date": day, "time": "15:00", "lock_version": 0})
    assert response.status_code == 400 and "Someone else changed" in response.content.decode()


def test_no_show_only_after_the_start(org, reception, appt):
    url = reverse("appointment_status", args=[appt.public_id, "no-show"])
    response = client_for(reception).post(url)
    assert response.status_code == 400 and "before it starts" in response.content.decode()


# Booking a course


def _propose_data(clinic, practitioner, **extra):
    return {
        "site": clinic["site"].public_id,
        "practitioner": practitioner.public_id,
        "treatment_type": clinic["treatment"].public_id,
        "prefer": "10:00",
        **extra,
    }


@pytest.mark.parametrize("role", STAFF)
def test_every_role_books_a_course_and_confirms_it(
    role, org, personas, clinic, practitioner, course_plan
):
    client = client_for(personas[role])
    page = client.get(reverse("course_page", args=[course_plan.public_id]))
    assert page.status_code == 200 and "4 open sessions" in page.content.decode()
    response = client.post(
        reverse("course_propose", args=[course_plan.public_id]),
        _propose_data(clinic, practitioner),
    )
    assert response.status_code == 302
    page = client.get(reverse("course_page", args=[course_plan.public_id])).content.decode()
    assert "Confirm all 4 proposed sessions" in page
    client.post(reverse("course_confirm", args=[course_plan.public_id]))
    with acting_for(org):
        statuses = list(Appointment.objects.values_list("status", flat=True))
    assert statuses == [Status.BOOKED] * 4


def test_outsiders_get_404_on_a_course(outsider, clinic, practitioner, course_plan):
    client = client_for(outsider)
    assert client.get(reverse("course_page", args=[course_plan.public_id])).status_code == 404
    for name in ("course_propose", "course_confirm", "course_discard"):
        url = reverse(name, args=[course_plan.public_id])
        assert client.post(url, _propose_data(clinic, practitioner)).status_code == 404


def test_the_quote_offers_to_book_the_course(reception, course_plan):
    page = client_for(reception).get(reverse("plan_quote", args=[course_plan.public_id]))
    assert reverse("course_page", args=[course_plan.public_id]) in page.content.decode()


def test_moving_a_course_session_too_early_is_refused_with_the_reason(
    org, clinic, reception, practitioner, patient
):
    plan = plan_with_result(org, patient, practitioner, HAIR, next_weekday(1))
    client = client_for(reception)
    client.post(
        reverse("course_propose", args=[plan.public_id]), _propose_data(clinic, practitioner)
    )
    with acting_for(org):
        second = Appointment.objects.get(course_session=2)
    day = (second.local_start() - dt.timedelta(days=3)).date().isoformat()
    url = reverse("appointment_move", args=[second.public_id])
    response = client.post(url, {"date": day, "time": "10:00", "lock_version": 0})
    text = response.content.decode()
    assert response.status_code == 400
    assert "at least 7 days" in text and "Only a practitioner may shorten it" in text
    assert "Reason to shorten" not in text  # reception cannot
    assert text.count("Only a practitioner may shorten it") == 1  # said once, above the form
    assert f'"refused": "{day}"' in text
    slots = client.get(reverse("appointment_slots", args=[second.public_id]), {"date": day})
    assert "Only a practitioner may shorten it" in slots.content.decode()
    after_refusal = client.get(
        reverse("appointment_slots", args=[second.public_id]), {"date": day, "refused": day}
    )
    assert "Only a practitioner may shorten it" not in after_refusal.content.decode()
    doctor = client_for(practitioner).post(
        url, {"date": day, "time": "10:00", "lock_version": 0, "reason": "away next week"}
    )
    assert doctor.status_code == 302
    with acting_for(org):
        second.refresh_from_db()
    assert second.local_start().date().isoformat() == day
    assert second.starts_at.astimezone(LONDON).hour == 10


def test_summer_times_are_shown_in_site_time_not_utc(org, clinic, reception, practitioner, patient):
    july = dt.date(dt.date.today().year + 1, 7, 6)
    appt = book(org, reception, clinic, patient, practitioner, local(july, 10))
    assert appt.starts_at.astimezone(dt.UTC).hour == 9
    client = client_for(reception)
    detail = client.get(reverse("appointment_detail", args=[appt.public_id])).content.decode()
    assert "10:00–10:45" in detail and "09:00–09:45" not in detail
    week = client.get(
        reverse("calendar_board", args=["site", clinic["site"].public_id, "week"]),
        {"date": july.isoformat()},
    ).content.decode()
    assert "10:00–10:45" in week
    slots = client.get(
        reverse("appointment_slots", args=[appt.public_id]), {"date": july.isoformat()}
    ).content.decode()
    assert 'data-time="09:00"' in slots and 'data-time="10:00"' in slots


@pytest.mark.parametrize("role", STAFF)
def test_the_calendar_opens_on_my_week_or_the_site_week(role, personas, clinic):
    response = client_for(personas[role]).get(reverse("calendar_home"))
    kind = "site" if role == "reception" else "practitioner"
    assert response.status_code == 302 and f"/calendar/{kind}/" in response["Location"]


def test_outsiders_do_not_find_our_patients_to_book(outsider, patient):
    page = client_for(outsider).get(reverse("appointment_patient_picker"), {"q": "garc"})
    assert page.status_code == 200 and str(patient.public_id) not in page.content.decode()


@pytest.mark.parametrize("role", STAFF)
def test_every_role_records_confirmation_no_show_and_completion(
    role, org, personas, clinic, reception, practitioner, make_patient
):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    client = client_for(personas[role])
    for n, action in enumerate(("confirm", "no-show", "complete")):
        with acting_for(org):
            # In the past, as a record of what happened; written directly like the demo does.
            start = local(yesterday, 9 + n)
            appt = Appointment.objects.create(
                site=clinic["site"],
                practitioner=practitioner,
                patient=make_patient(first_name=f"P{n}"),
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=45),
                created_by=reception,
            )
        url = reverse("appointment_status", args=[appt.public_id, action])
        assert client.post(url).status_code == 302
        with acting_for(org):
            appt.refresh_from_db()
        assert appt.status == {"confirm": "confirmed", "no-show": "no_show"}.get(
            action, "completed"
        )
    unknown = reverse("appointment_status", args=[appt.public_id, "delete"])
    assert client.post(unknown).status_code == 404


def test_the_course_page_queries_stay_bounded(
    org, clinic, reception, practitioner, patient, django_assert_max_num_queries
):
    plan = plan_with_result(org, patient, practitioner, HAIR, next_weekday(1))
    client = client_for(reception)
    client.post(
        reverse("course_propose", args=[plan.public_id]), _propose_data(clinic, practitioner)
    )
    with django_assert_max_num_queries(14):
        page = client.get(reverse("course_page", args=[plan.public_id]))
    assert page.content.decode().count("course-appt") == 10


def test_a_course_that_cannot_be_booked_says_why(org, clinic, reception, practitioner, patient):
    from mesoclinic.plans.models import PlanStatus

    plan = plan_with_result(
        org, patient, practitioner, DCA, next_weekday(1), status=PlanStatus.DRAFT
    )
    client = client_for(reception)
    assert (
        "Only an approved or consented plan"
        in client.get(reverse("course_page", args=[plan.public_id])).content.decode()
    )
    response = client.post(
        reverse("course_propose", args=[plan.public_id]), _propose_data(clinic, practitioner)
    )
    assert response.status_code == 400


def test_a_room_board_shows_its_free_time(clinic, reception, appt):
    page = client_for(reception).get(
        reverse("calendar_board", args=["room", clinic["rooms"][0].public_id, "day"]),
        {"date": appt.local_start().date().isoformat()},
    )
    text = page.content.decode()
    assert "09:00–10:00" in text and "10:45–18:00" in text
    assert f"room={clinic['rooms'][0].public_id}" in text
    form = client_for(reception).get(
        reverse("appointment_new"), {"room": clinic["rooms"][1].public_id, "time": "10:45"}
    )
    assert f'value="{clinic["rooms"][1].public_id}" selected' in form.content.decode()


def test_a_site_week_shows_free_time_per_practitioner(clinic, reception, practitioner, appt):
    page = client_for(reception).get(
        reverse("calendar_board", args=["site", clinic["site"].public_id, "week"]),
        {"date": appt.local_start().date().isoformat()},
    )
    assert "Book Dr Pia Prax, free 10:45–18:00" in page.content.decode()


def test_proposals_can_be_discarded_and_made_again(
    org, clinic, reception, practitioner, owner, course_plan
):
    client = client_for(reception)
    propose = reverse("course_propose", args=[course_plan.public_id])
    client.post(propose, _propose_data(clinic, practitioner))
    client.post(reverse("course_discard", args=[course_plan.public_id]))
    with acting_for(org):
        assert not Appointment.objects.exists()
        assert AuditEvent.objects.filter(action="void", object_type="appointment").count() == 4
    again = client.post(propose, _propose_data(clinic, owner, treatment_type=""))
    assert again.status_code == 302
    with acting_for(org):
        assert set(Appointment.objects.values_list("practitioner", flat=True)) == {owner.pk}


def test_a_course_is_not_proposed_with_someone_who_does_not_give_the_treatment(
    org, clinic, reception, owner, course_plan
):
    response = client_for(reception).post(
        reverse("course_propose", args=[course_plan.public_id]), _propose_data(clinic, owner)
    )
    assert response.status_code == 400
    assert "Mesotherapy is given by: practitioner (physician)" in response.content.decode()
    with acting_for(org):
        assert not Appointment.objects.exists()


def test_a_practitioner_board_switches_site_and_keeps_it(org, clinic, practitioner, appt):
    from mesoclinic.accounts.models import Site

    other = Site.objects.create(organization=org, name="Riverside")
    url = reverse("calendar_board", args=["practitioner", practitioner.public_id, "week"])
    date = appt.local_start().date().isoformat()
    page = client_for(practitioner).get(url, {"date": date, "site": other.public_id})
    text = page.content.decode()
    assert "at Riverside" in text and "Free time at Main site" in text
    assert f"&amp;site={other.public_id}" in text  # kept on the day and week links
    assert "Anna García" in text  # the practitioner's appointments at every site


def test_a_move_takes_another_room_when_its_own_is_taken(
    org, clinic, reception, owner, practitioner, appt, make_patient
):
    day = appt.local_start().date()
    book(org, reception, clinic, make_patient(first_name="Bea"), owner, local(day, 14), room=0)
    url = reverse("appointment_move", args=[appt.public_id])
    response = client_for(reception).post(
        url, {"date": day.isoformat(), "time": "14:00", "lock_version": 0}
    )
    assert response.status_code == 302
    with acting_for(org):
        appt.refresh_from_db()
    assert appt.room == clinic["rooms"][1] and appt.local_start().hour == 14


def test_a_booking_link_naming_another_clinics_patient_is_not_found(
    clinic, outsider, reception, patient
):
    url = reverse("appointment_new")
    ours = client_for(reception).get(url, {"patient": str(patient.public_id)})
    assert ours.status_code == 200 and "García" in ours.content.decode()
    assert client_for(outsider).get(url, {"patient": str(patient.public_id)}).status_code == 404
    assert client_for(reception).get(url, {"patient": "not-an-id"}).status_code == 404
