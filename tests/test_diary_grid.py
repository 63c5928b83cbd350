"""The diary as a time grid: blocks placed by time, free time once per resource, moving by
dropping a block (the move form's rules, the reason next to the block), free starts on the
booking form; by role, for another organization and for a portal patient."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import AuditEvent
from mesoclinic.scheduling import board, services
from mesoclinic.scheduling.freetime import free, merged
from mesoclinic.scheduling.models import (
    Appointment,
    Leave,
    Room,
    SiteClosure,
    SiteHours,
    Status,
)
from mesoclinic.tenancy import acting_for
from tests.factories import LONDON, book, client_for, local, next_weekday, open_clinic
from tests.test_portal import me  # noqa: F401 - fixture

STAFF = ("owner", "practitioner", "esthetician", "reception")
CSS = Path(__file__).resolve().parents[1] / "mesoclinic" / "static" / "css" / "grid.css"


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


@pytest.fixture
def day():
    return next_weekday(1)


@pytest.fixture
def appt(org, clinic, reception, practitioner, patient, day):
    return book(org, reception, clinic, patient, practitioner, local(day, 10))


def site_day(clinic, **query):
    url = reverse("calendar_board", args=["site", clinic["site"].public_id, "day"])
    return url, query


def drop_url(clinic, day, **query):
    url = reverse("calendar_board_move", args=["site", clinic["site"].public_id, "day"])
    return f"{url}?date={day.isoformat()}" + "".join(f"&{k}={v}" for k, v in query.items())


def drop(client, clinic, appt, day, time, **fields):
    data = {"appointment": appt.public_id, "date": day.isoformat(), "time": time}
    data["lock_version"] = fields.pop("lock_version", appt.lock_version)
    return client.post(drop_url(clinic, day, **fields.pop("query", {})), {**data, **fields})


def reread(org, appt):
    with acting_for(org):
        return Appointment.objects.select_related("site", "room", "practitioner").get(pk=appt.pk)


def h(hour, minute=0):
    return dt.datetime(2030, 1, 7, hour, minute, tzinfo=dt.UTC)


# Free time arithmetic


def test_free_time_is_merged_and_never_overlaps():
    windows = [(h(9), h(13)), (h(12), h(17)), (h(17), h(18))]
    taken = [(h(10), h(11)), (h(10, 30), h(11, 30)), (h(15), h(16))]
    assert merged(windows) == [(h(9), h(18))]
    assert free(windows, taken) == [(h(9), h(10)), (h(11, 30), h(15)), (h(16), h(18))]


def test_free_time_starts_now_and_leaves_out_scraps():
    windows = [(h(9), h(12))]
    taken = [(h(10), h(10, 50)), (h(11), h(12))]
    found = free(windows, taken, not_before=h(9, 30), shortest=dt.timedelta(minutes=15))
    assert found == [(h(9, 30), h(10))]  # 10:50-11:00 is too short to book


# Placement


def _grid(org, clinic, first, span="day", kind="site", subject=None, **kwargs):
    with acting_for(org):
        return board.build(kind, subject or clinic["site"], clinic["site"], first, span, **kwargs)


def test_a_block_sits_on_the_rows_of_its_time_and_length(org, clinic, practitioner, appt, day):
    grid = _grid(org, clinic, day, staff=[practitioner])
    (block,) = grid.blocks
    assert grid.start_minute == 9 * 60 and grid.rows == 9 * 12  # opening hours 09:00-18:00
    assert (block.row, block.span) == (board.FIRST_ROW + 12, 9)  # one hour in, 45 minutes
    assert grid.hours[1] == (board.FIRST_ROW + 12, "10:00")


def test_ten_o_clock_is_on_the_same_row_either_side_of_a_summer_time_change(
    org, clinic, reception, practitioner, patient
):
    sunday = dt.date(2027, 3, 28)  # London moves to summer time at 01:00 UTC
    for d in (sunday - dt.timedelta(days=1), sunday):
        book(org, reception, clinic, patient, practitioner, local(d, 10))
    monday = sunday - dt.timedelta(days=6)
    grid = _grid(
        org, clinic, monday, span="week", kind="practitioner", subject=practitioner,
        staff=[practitioner],
    )  # fmt: skip
    saturday, summer = grid.blocks
    assert saturday.starts.utcoffset() != summer.starts.utcoffset()
    assert saturday.row == summer.row == board.FIRST_ROW + 12
    assert saturday.column != summer.column


def test_the_grid_grows_to_show_an_appointment_outside_the_hours(
    org, clinic, reception, practitioner, patient, day
):
    appt = book(org, reception, clinic, patient, practitioner, local(day, 9))
    with acting_for(org):
        SiteHours.objects.filter(site=clinic["site"]).update(opens=dt.time(10))
    grid = _grid(org, clinic, day, staff=[practitioner])
    assert grid.start_minute == 9 * 60
    assert grid.blocks[0].public_id == appt.public_id and grid.blocks[0].row == board.FIRST_ROW


def test_free_time_is_shown_once_per_practitioner(
    org, clinic, reception, practitioner, owner, appt, day
):
    with acting_for(org):
        Leave.objects.create(user=owner, start_date=day, end_date=day)
    grid = _grid(org, clinic, day, staff=[owner, practitioner])
    by_person = {lane.resource.name: lane.free for lane in grid.lanes}
    assert by_person[owner.full_name] == []  # on leave
    pieces = [(f.starts.time(), f.ends.time()) for f in by_person[practitioner.full_name]]
    assert pieces == [(dt.time(9), dt.time(10)), (dt.time(10, 45), dt.time(18))]


def test_a_closed_day_has_no_free_time(org, clinic, practitioner, day):
    with acting_for(org):
        SiteClosure.objects.create(site=clinic["site"], date=day, reason="Training")
    grid = _grid(org, clinic, day, staff=[practitioner])
    assert not grid.days[0].open and all(not lane.free for lane in grid.lanes)


def test_the_placement_classes_are_in_the_stylesheet():
    assert CSS.read_text() == board.grid_css(), "run board.grid_css() into static/css/grid.css"


# The page


def test_the_site_day_switches_between_practitioners_and_rooms(clinic, reception, appt, day):
    client = client_for(reception)
    url, query = site_day(clinic, date=day.isoformat())
    people = client.get(url, query).content.decode()
    assert re.search(r'class="res-head[^"]*"><a [^>]*>Dr Pia Prax</a>', people)
    rooms = client.get(url, {**query, "by": "room"}).content.decode()
    assert re.search(r'class="res-head[^"]*"><a [^>]*>Room 1</a>', rooms)
    assert "Dr Pia Prax" in rooms  # on the block: who sees the patient
    other = client.get(url, {**query, "by": "patient"}).content.decode()
    assert re.search(r'class="res-head[^"]*"><a [^>]*>Dr Pia Prax</a>', other)


def test_cancelled_appointments_are_hidden_until_asked_for(org, clinic, reception, appt, day):
    with acting_for(org):
        services.cancel(reception, appt, "Patient is unwell")
    client = client_for(reception)
    url, query = site_day(clinic, date=day.isoformat())
    assert "Anna García" not in client.get(url, query).content.decode()
    shown = client.get(url, {**query, "cancelled": "1"}).content.decode()
    assert re.search(r'class="blk [^"]*status-cancelled faded', shown)
    assert "Anna García" in shown and "Hide cancelled and no-shows" in shown


def test_proposed_and_arrived_are_marked(org, clinic, reception, practitioner, patient, appt, day):
    book(org, reception, clinic, patient, practitioner, local(day, 14), status=Status.PROPOSED)
    with acting_for(org):
        Appointment.objects.filter(pk=appt.pk).update(arrived_at=appt.starts_at)
    url, query = site_day(clinic, date=day.isoformat())
    text = client_for(reception).get(url, query).content.decode()
    assert re.search(r'class="blk [^"]*status-proposed', text)
    assert re.search(r'class="blk [^"]*status-booked arrived', text) and "✓ Arrived" in text


def test_today_has_a_time_line_only_when_it_is_shown(org, clinic, practitioner):
    today = dt.datetime.now(LONDON).date()
    now = dt.datetime.now(LONDON)
    grid = _grid(org, clinic, today, staff=[practitioner])
    inside = 9 <= now.hour < 18
    assert (grid.now is not None) == inside
    assert _grid(org, clinic, today + dt.timedelta(days=1), staff=[practitioner]).now is None


@pytest.mark.parametrize("role", STAFF)
def test_every_role_sees_the_grid_and_drops_a_block(role, org, personas, clinic, appt, day):
    client = client_for(personas[role])
    url, query = site_day(clinic, date=day.isoformat())
    page = client.get(url, query).content.decode()
    assert "Anna García" in page and "data-movable" in page
    response = drop(client, clinic, appt, day, "15:00")
    assert response.status_code == 200
    assert "Moved Anna García to" in response.content.decode()
    assert reread(org, appt).local_start().time() == dt.time(15)


def test_another_organization_gets_404_and_never_our_appointments(org, personas, clinic, appt, day):
    outsider = client_for(personas["outsider"])
    url, query = site_day(clinic, date=day.isoformat())
    assert outsider.get(url, query).status_code == 404
    assert drop(outsider, clinic, appt, day, "15:00").status_code == 404
    # Their own board, with our appointment's id: still 404, and it has not moved.
    elsewhere = personas["outsider"].organization
    with acting_for(elsewhere):
        theirs = Site.objects.create(organization=elsewhere, name="Elsewhere")
    their_drop = reverse("calendar_board_move", args=["site", theirs.public_id, "day"])
    response = outsider.post(
        their_drop,
        {"appointment": appt.public_id, "date": day.isoformat(), "time": "15:00",
         "lock_version": 0},
    )  # fmt: skip
    assert response.status_code == 404
    assert reread(org, appt).local_start().time() == dt.time(10)
    their_page = outsider.get(reverse("calendar_board", args=["site", theirs.public_id, "day"]))
    assert "Anna García" not in their_page.content.decode()


def test_a_portal_patient_gets_404(clinic, appt, day, me):  # noqa: F811 - fixture
    client = client_for(me)
    url, query = site_day(clinic, date=day.isoformat())
    assert client.get(url, query).status_code == 404
    assert drop(client, clinic, appt, day, "15:00").status_code == 404
    new_slots = reverse("appointment_new_slots")
    assert client.get(new_slots, {"site": clinic["site"].public_id}).status_code == 404


def test_the_grid_is_audited(org, clinic, reception, appt, day):
    url, query = site_day(clinic, date=day.isoformat())
    client_for(reception).get(url, query)
    with acting_for(org):
        event = AuditEvent.objects.filter(object_type="calendar-site").get()
    assert event.actor == reception and "1 appointments" in event.detail


def test_reception_sees_names_and_times_never_areas(
    org, clinic, reception, practitioner, appt, day
):
    with acting_for(org):
        Appointment.objects.filter(pk=appt.pk).update(course_areas=["submental"], course_session=1)
    url, query = site_day(clinic, date=day.isoformat())
    seen = client_for(reception).get(url, query).content.decode()
    assert "10:00–10:45" in seen and "Anna García" in seen
    assert "ubmental" not in seen
    assert "Submental" in client_for(practitioner).get(url, query).content.decode()


# Dropping a block


def test_a_refused_drop_says_why_next_to_the_block_and_changes_nothing(
    org, clinic, reception, practitioner, owner, appt, make_patient, day
):
    book(org, reception, clinic, make_patient(first_name="Bea"), practitioner, local(day, 14))
    response = drop(client_for(reception), clinic, appt, day, "14:15")
    assert response.status_code == 400
    text = response.content.decode()
    block = re.search(r'<div class="blk [^"]*refused[^"]*" data-appointment="([^"]+)"', text)
    assert block and block.group(1) == str(appt.public_id)
    assert re.search(r'class="blk-refusal" role="alert"[^>]*>Dr Pia Prax is already booked', text)
    assert reread(org, appt).local_start().time() == dt.time(10)


def test_a_drop_outside_working_hours_is_refused(org, clinic, reception, appt, day):
    response = drop(client_for(reception), clinic, appt, day, "17:45")
    assert response.status_code == 400
    assert "Main site is not open" in response.content.decode()


def test_a_second_drop_with_the_same_version_is_refused_as_stale(org, clinic, reception, appt, day):
    client = client_for(reception)
    assert drop(client, clinic, appt, day, "15:00").status_code == 200
    again = drop(client, clinic, appt, day, "16:00", lock_version=0)
    assert again.status_code == 400
    assert "Someone else changed this appointment meanwhile" in again.content.decode()
    moved = reread(org, appt)
    assert moved.local_start().time() == dt.time(15) and moved.lock_version == 1
    with acting_for(org):
        changes = AuditEvent.objects.filter(action="change", object_type="appointment")
        assert changes.count() == 1


def test_a_drop_on_a_room_column_takes_that_room(org, clinic, reception, appt, day):
    room = clinic["rooms"][1]
    response = drop(
        client_for(reception), clinic, appt, day, "11:00", room=room.public_id,
        query={"by": "room"},
    )  # fmt: skip
    assert response.status_code == 200
    moved = reread(org, appt)
    assert moved.room == room and moved.local_start().time() == dt.time(11)


def test_a_drop_on_a_colleague_who_does_not_give_the_treatment_is_refused(
    org, clinic, reception, practitioner, esthetician, patient, day
):
    appt = book(
        org, reception, clinic, patient, practitioner, local(day, 10),
        treatment_type=clinic["treatment"],
    )  # fmt: skip
    response = drop(client_for(reception), clinic, appt, day, "10:00",
                    practitioner=esthetician.public_id)  # fmt: skip
    assert response.status_code == 400
    assert "Mesotherapy is given by: practitioner (physician)" in response.content.decode()
    assert reread(org, appt).practitioner == practitioner


def test_a_drop_on_a_colleague_hands_the_appointment_over(
    org, clinic, reception, practitioner, owner, appt, day
):
    response = drop(client_for(reception), clinic, appt, day, "11:00", practitioner=owner.public_id)
    assert response.status_code == 200
    moved = reread(org, appt)
    assert moved.practitioner == owner and moved.local_start().time() == dt.time(11)


def test_a_completed_appointment_is_not_movable(org, clinic, reception, appt, day):
    with acting_for(org):
        Appointment.objects.filter(pk=appt.pk).update(status=Status.COMPLETED)
    url, query = site_day(clinic, date=day.isoformat())
    assert "data-movable" not in client_for(reception).get(url, query).content.decode()
    response = drop(client_for(reception), clinic, appt, day, "15:00")
    assert response.status_code == 400 and "cannot be moved" in response.content.decode()


# Queries


def _fill(org, clinic, reception, staff, patients, first, count, days):
    # Each practitioner in a room of their own: the same start for all three is no clash.
    with acting_for(org):
        rooms = list(Room.objects.filter(site=clinic["site"]).order_by("pk"))
    rows = []
    for n in range(count):
        d = first + dt.timedelta(days=n % days)
        start = local(d, 9) + dt.timedelta(minutes=5 * (n // days // len(staff)))
        rows.append(
            Appointment(
                organization=org,
                site=clinic["site"],
                room=rooms[n % len(staff)],
                practitioner=staff[n % len(staff)],
                patient=patients[n % len(patients)],
                treatment_type=clinic["treatment"] if n % 2 else None,
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=5),
                created_by=reception,
            )  # fmt: skip
        )
    with acting_for(org):
        Appointment.objects.bulk_create(rows)


@pytest.mark.parametrize("count", [5, 500])
@pytest.mark.parametrize("span", ["day", "week"])
def test_the_grid_runs_a_bounded_number_of_queries(
    count, span, org, clinic, practitioner, owner, esthetician, reception, make_patient,
    django_assert_max_num_queries,
):  # fmt: skip
    monday = next_weekday(0)
    with acting_for(org):
        for n in range(6):
            Room.objects.create(site=clinic["site"], name=f"Extra {n}")
    patients = [make_patient(first_name=f"P{n}") for n in range(20)]
    staff = [practitioner, owner, esthetician]
    _fill(org, clinic, reception, staff, patients, monday, count, 1 if span == "day" else 7)
    client = client_for(reception)
    url = reverse("calendar_board", args=["site", clinic["site"].public_id, span])
    for by in ("practitioner", "room"):
        query = {"date": monday.isoformat(), "by": by}
        client.get(url, query)  # warm the session
        # Measured: 13 by practitioner, 12 by room, whatever the count.
        with django_assert_max_num_queries(14):
            page = client.get(url, query)
        assert page.content.decode().count('class="blk ') == count


# Free starts on the booking form


def test_the_booking_form_offers_the_practitioners_free_starts(
    org, clinic, reception, practitioner, appt, day
):
    response = client_for(reception).get(
        reverse("appointment_new_slots"),
        {"site": clinic["site"].public_id, "practitioner": practitioner.public_id,
         "date": day.isoformat(), "treatment_type": clinic["treatment"].public_id},
    )  # fmt: skip
    text = response.content.decode()
    assert 'data-minutes="45"' in text and "for 45 minutes" in text
    times = re.findall(r'data-time="(\d\d:\d\d)"', text)
    assert times[:2] == ["09:00", "09:15"] and "10:00" not in times and "09:30" not in times
    assert "10:45" in times and times[-1] == "17:15"
    with acting_for(org):
        event = AuditEvent.objects.filter(object_type="calendar-practitioner").get()
    assert event.actor == reception and "free slots" in event.detail


def test_the_booking_form_offers_only_times_the_chosen_room_is_free(
    org, clinic, reception, practitioner, owner, make_patient, day
):
    book(org, reception, clinic, make_patient(first_name="Bea"), owner, local(day, 12), room=1)
    response = client_for(reception).get(
        reverse("appointment_new_slots"),
        {"site": clinic["site"].public_id, "practitioner": practitioner.public_id,
         "date": day.isoformat(), "room": clinic["rooms"][1].public_id, "minutes": "30"},
    )  # fmt: skip
    times = re.findall(r'data-time="(\d\d:\d\d)"', response.content.decode())
    assert "11:30" in times and "11:45" not in times and "12:30" not in times
    assert "12:45" in times and "data-minutes" not in response.content.decode()


def test_the_booking_form_asks_for_a_practitioner_and_day_first(clinic, reception):
    response = client_for(reception).get(
        reverse("appointment_new_slots"), {"site": clinic["site"].public_id}
    )
    assert "Choose the practitioner and the day" in response.content.decode()


def test_another_organization_cannot_read_our_free_starts(clinic, personas, practitioner, day):
    response = client_for(personas["outsider"]).get(
        reverse("appointment_new_slots"),
        {"site": clinic["site"].public_id, "practitioner": practitioner.public_id,
         "date": day.isoformat()},
    )  # fmt: skip
    assert response.status_code == 404


def test_the_benchmark_finds_the_busiest_site_and_day(
    org, clinic, reception, practitioner, owner, patient, make_patient, appt, day
):
    from mesoclinic.scale.prepare import busiest_day

    later = day + dt.timedelta(days=1)
    book(org, reception, clinic, make_patient(first_name="Bea"), practitioner, local(later, 10))
    book(org, reception, clinic, patient, owner, local(later, 12))
    with acting_for(org):
        found = busiest_day()
    assert found == {"site": str(clinic["site"].public_id), "date": later.isoformat()}


def test_back_to_back_short_blocks_are_drawn_side_by_side():
    """Three 15-minute calls in a row (3 rows each; a block is drawn 6 rows tall): each
    would lie over the next one's tap area, so they alternate halves; a block after a gap,
    another lane's and a cancelled one keep the whole width."""
    import uuid

    from mesoclinic.scheduling import board

    def block(column, row, span, status="booked"):
        when = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
        return board.Block(
            uuid.uuid4(), status, when, when, "P", "Dr", None, None, [], "", "", 0, False,
            0, column, row, span,
        )  # fmt: skip

    calls = [block(2, 10, 3), block(2, 13, 3), block(2, 16, 3)]
    later, other_lane, cancelled = block(2, 30, 9), block(3, 13, 3), block(2, 11, 9, "cancelled")
    drawn = board._crowded([later, *calls, other_lane, cancelled])
    half = {b.public_id: b.half for b in drawn}
    assert [half[b.public_id] for b in calls] == [0, 1, 0]
    assert half[later.public_id] == half[other_lane.public_id] == half[cancelled.public_id] == -1
    assert len(drawn) == 6
