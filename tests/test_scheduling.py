"""The diary and course booking: free slots, no double booking, interval rules, DST.

Its helpers (open_clinic, book, plan_with_result...) are in tests/factories.py.
"""

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans.models import PlanStatus
from mesoclinic.scheduling import course, services
from mesoclinic.scheduling.diary import Diary
from mesoclinic.scheduling.models import (
    Appointment,
    Leave,
    SiteClosure,
    Status,
    TreatmentType,
    WorkingHours,
)
from mesoclinic.scheduling.services import Refused
from mesoclinic.tenancy import acting_for
from tests.factories import (
    DCA,
    HAIR,
    LONDON,
    book,
    local,
    next_weekday,
    open_clinic,
    plan_with_result,
)


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


def propose(org, user, clinic, plan, practitioner, prefer=dt.time(10)):
    with acting_for(org):
        proposals, made = course.propose_course(
            user,
            plan,
            site=clinic["site"],
            practitioner=practitioner,
            treatment_type=clinic["treatment"],
            duration=dt.timedelta(minutes=45),
            prefer=prefer,
        )
    return proposals, made


def local_dates(appointments):
    return [a.starts_at.astimezone(LONDON).date() for a in appointments]


def gaps(appointments):
    dates = local_dates(appointments)
    return [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]


# Booking and double booking


def test_a_free_slot_books_and_is_audited(org, clinic, reception, practitioner, patient):
    day = next_weekday(1)
    appt = book(org, reception, clinic, patient, practitioner, local(day, 10))
    assert appt.status == Status.BOOKED and appt.local_start().hour == 10
    assert appt.starts_at.utcoffset() == dt.timedelta(0) or appt.starts_at.tzinfo is not None
    with acting_for(org):
        assert AuditEvent.objects.filter(
            object_type="appointment", object_id=str(appt.public_id), action="create"
        ).exists()


def test_the_practitioner_cannot_be_in_two_places(
    org, clinic, reception, practitioner, make_patient
):
    day = next_weekday(1)
    book(org, reception, clinic, make_patient(), practitioner, local(day, 10))
    with pytest.raises(Refused) as refused:
        book(
            org,
            reception,
            clinic,
            make_patient(first_name="Bea"),
            practitioner,
            local(day, 10, 30),
            room=1,
        )
    assert "Dr Pia Prax is already booked" in refused.value.message
    assert "10:00-10:45" in refused.value.message


def test_a_time_in_another_year_names_the_year(org, site):
    zone = site.zone
    now = dt.datetime.now(zone)
    this_year = now.replace(hour=10, minute=0, second=0, microsecond=0)
    next_year = this_year.replace(year=now.year + 1, month=1, day=4)
    assert services.span(this_year, this_year + dt.timedelta(minutes=45), site).endswith(
        f"{this_year:%b} 10:00-10:45"
    )
    shown = services.span(next_year, next_year + dt.timedelta(minutes=45), site)
    assert shown == f"{next_year:%a} 4 Jan {now.year + 1} 10:00-10:45"


def test_a_room_holds_one_patient(org, clinic, reception, practitioner, owner, make_patient):
    day = next_weekday(1)
    book(org, reception, clinic, make_patient(), practitioner, local(day, 10))
    with pytest.raises(Refused) as refused:
        book(org, reception, clinic, make_patient(first_name="Bea"), owner, local(day, 10, 15))
    assert "Room 1 is already booked" in refused.value.message


def test_a_patient_cannot_be_booked_twice_at_once(
    org, clinic, reception, practitioner, owner, patient
):
    day = next_weekday(1)
    book(org, reception, clinic, patient, practitioner, local(day, 10))
    with pytest.raises(Refused) as refused:
        book(org, reception, clinic, patient, owner, local(day, 10, 30), room=1)
    assert "Anna García already has an appointment" in refused.value.message


def test_back_to_back_and_cancelled_slots_are_free(
    org, clinic, reception, practitioner, patient, make_patient
):
    day = next_weekday(1)
    first = book(org, reception, clinic, patient, practitioner, local(day, 10))
    book(org, reception, clinic, make_patient(first_name="Bea"), practitioner, local(day, 10, 45))
    with acting_for(org):
        services.cancel(reception, first, "patient ill")
    again = book(
        org, reception, clinic, make_patient(first_name="Cy"), practitioner, local(day, 10)
    )
    assert again.status == Status.BOOKED


def test_closed_hours_closures_and_leave_are_refused(org, clinic, reception, practitioner, patient):
    day = next_weekday(2)
    with pytest.raises(Refused, match="Main site is not open"):
        book(org, reception, clinic, patient, practitioner, local(day, 8))
    with acting_for(org):
        SiteClosure.objects.create(site=clinic["site"], date=day, reason="bank holiday")
        Leave.objects.create(
            user=practitioner,
            start_date=day + dt.timedelta(days=1),
            end_date=day + dt.timedelta(days=2),
        )
    with pytest.raises(Refused, match="not open"):
        book(org, reception, clinic, patient, practitioner, local(day, 10))
    with pytest.raises(Refused, match="Dr Pia Prax is not working"):
        book(org, reception, clinic, patient, practitioner, local(day + dt.timedelta(days=1), 10))


def test_working_hours_limit_the_free_slots(org, clinic, practitioner):
    day = next_weekday(3)
    with acting_for(org):
        WorkingHours.objects.create(
            user=practitioner, site=clinic["site"], weekday=3, start=dt.time(14), end=dt.time(16)
        )
        diary = Diary.load(clinic["site"], day, day, staff=[practitioner])
    slots = diary.free_slots(day, practitioner, dt.timedelta(minutes=45))
    starts = [s.starts_at.astimezone(LONDON).strftime("%H:%M") for s in slots]
    assert starts[0] == "14:00" and starts[-1] == "15:15"
    assert (
        diary.free_slots(day + dt.timedelta(days=1), practitioner, dt.timedelta(minutes=45)) == []
    )


def test_cancelling_needs_a_reason(org, clinic, reception, practitioner, patient):
    appt = book(org, reception, clinic, patient, practitioner, local(next_weekday(1), 10))
    with acting_for(org), pytest.raises(Refused, match="Say why"):
        services.cancel(reception, appt, " ")


def test_reminders_only_for_booked_and_confirmed(
    org, clinic, reception, practitioner, make_patient
):
    day = next_weekday(1)
    kept = book(org, reception, clinic, make_patient(), practitioner, local(day, 10))
    gone = book(
        org, reception, clinic, make_patient(first_name="Bea"), practitioner, local(day, 11)
    )
    book(
        org,
        reception,
        clinic,
        make_patient(first_name="Cy"),
        practitioner,
        local(day, 12),
        status=Status.PROPOSED,
    )
    with acting_for(org):
        services.cancel(reception, gone, "moved away")
        assert list(services.active_appointments()) == [kept]
    assert list(services.active_appointments(all_orgs=True)) == [kept]


# Courses


def test_a_deoxycholic_course_is_proposed_a_month_apart(
    org, clinic, reception, practitioner, patient
):
    plan = plan_with_result(org, patient, practitioner, DCA, next_weekday(1))
    proposals, made = propose(org, reception, clinic, plan, practitioner)
    assert len(made) == 4 and all(a.status == Status.PROPOSED for a in made)
    assert all(g >= 30 for g in gaps(made))
    assert [a.local_start().time() for a in made] == [dt.time(10)] * 4
    assert [a.course_session for a in made] == [1, 2, 3, 4]
    with acting_for(org):
        assert course.confirm_course(reception, plan) == 4
        assert set(Appointment.objects.values_list("status", flat=True)) == {Status.BOOKED}


def test_proposals_avoid_busy_practitioners_and_closed_days(
    org, clinic, reception, practitioner, patient, make_patient
):
    start = next_weekday(1)
    with acting_for(org):
        SiteClosure.objects.create(site=clinic["site"], date=start + dt.timedelta(days=30))
    # The whole ideal first day is taken.
    for hour in range(9, 18):
        book(
            org,
            reception,
            clinic,
            make_patient(first_name=f"P{hour}"),
            practitioner,
            local(start, hour),
            minutes=60,
        )
    plan = plan_with_result(org, patient, practitioner, DCA, start)
    _, made = propose(org, reception, clinic, plan, practitioner)
    dates = local_dates(made)
    assert dates[0] == start + dt.timedelta(days=1)
    assert start + dt.timedelta(days=30) not in dates
    assert all(g >= 30 for g in gaps(made))


def test_a_hair_course_follows_its_phased_pattern(org, clinic, reception, practitioner, patient):
    plan = plan_with_result(org, patient, practitioner, HAIR, next_weekday(0))
    _, made = propose(org, reception, clinic, plan, practitioner)
    assert len(made) == 10
    assert gaps(made) == [7, 7, 7, 14, 14, 30, 30, 30, 30]


def _booked_course(org, clinic, reception, practitioner, patient, items):
    plan = plan_with_result(org, patient, practitioner, items, next_weekday(1))
    _, made = propose(org, reception, clinic, plan, practitioner)
    with acting_for(org):
        course.confirm_course(reception, plan)
        return plan, list(Appointment.objects.filter(plan=plan).order_by("course_session"))


def _move(org, user, appt, start, **kwargs):
    with acting_for(org):
        appt = Appointment.objects.select_related("site", "plan_version", "plan").get(pk=appt.pk)
        return course.move(user, appt, starts_at=start, lock_version=appt.lock_version, **kwargs)


def test_a_grade_a_interval_cannot_be_shortened_even_by_a_practitioner(
    org, clinic, reception, practitioner, patient
):
    plan, appts = _booked_course(org, clinic, reception, practitioner, patient, DCA)
    third = appts[2]
    too_early = third.local_start() - dt.timedelta(days=5)
    for user in (reception, practitioner):
        with pytest.raises(Refused) as refused:
            _move(org, user, third, too_early, reason="patient travelling")
        assert "at least 30 days" in refused.value.message
        assert "cannot be shortened" in refused.value.message
        assert "Kybella label" in refused.value.message
    later = appts[3].local_start() + dt.timedelta(days=3)
    moved = _move(org, reception, appts[3], later)
    assert moved[0].local_start() == later


def test_moving_into_the_next_session_is_refused(org, clinic, reception, practitioner, patient):
    plan, appts = _booked_course(org, clinic, reception, practitioner, patient, DCA)
    with pytest.raises(Refused, match="from session 4") as refused:
        _move(org, reception, appts[2], appts[2].local_start() + dt.timedelta(days=10))
    assert "Shift the later sessions" in refused.value.message


def test_a_treatment_is_booked_with_a_role_that_gives_it(
    org, clinic, reception, esthetician, patient
):
    with acting_for(org):
        lipolysis = TreatmentType.objects.create(
            name="Injection lipolysis", duration_minutes=60, roles=["practitioner", "owner"]
        )
    with pytest.raises(Refused) as refused:
        book(
            org,
            reception,
            clinic,
            patient,
            esthetician,
            local(next_weekday(1), 10),
            treatment_type=lipolysis,
        )
    assert refused.value.field == "practitioner"
    assert "Erin Esth is esthetician / nurse" in refused.value.message


def test_shorter_grade_b_interval_needs_a_practitioner_and_a_reason(
    org, clinic, reception, practitioner, patient
):
    plan, appts = _booked_course(org, clinic, reception, practitioner, patient, HAIR)
    second = appts[1]
    earlier = second.local_start() - dt.timedelta(days=2)
    with pytest.raises(Refused, match="Only a practitioner may shorten it"):
        _move(org, reception, second, earlier, reason="holiday")
    with pytest.raises(Refused, match="Give the reason") as refused:
        _move(org, practitioner, second, earlier)
    assert refused.value.field == "reason"
    moved = _move(org, practitioner, second, earlier, reason="patient on holiday next week")
    with acting_for(org):
        second.refresh_from_db()
        assert second.interval_override_reason == "patient on holiday next week"
        assert second.overridden_by == practitioner
        assert moved[0].local_start() == earlier


def test_shifting_the_rest_of_the_course_keeps_the_gaps(
    org, clinic, reception, practitioner, patient
):
    plan, appts = _booked_course(org, clinic, reception, practitioner, patient, DCA)
    before = gaps(appts)
    moved = _move(
        org, reception, appts[1], appts[1].local_start() + dt.timedelta(days=4), shift_rest=True
    )
    assert len(moved) == 3
    with acting_for(org):
        after = list(Appointment.objects.filter(plan=plan).order_by("course_session"))
    assert gaps(after) == [before[0] + 4, before[1], before[2]]
    assert all(a.local_start().time() == dt.time(10) for a in after)


def test_a_cancelled_session_leaves_the_course_open_for_rebooking(
    org, clinic, reception, practitioner, patient
):
    plan, appts = _booked_course(org, clinic, reception, practitioner, patient, DCA)
    with acting_for(org):
        services.cancel(reception, appts[1], "flu")
        rows = course.course_rows(course.latest_version(plan), course.course_appointments(plan))
    assert [r["open"] for r in rows] == [False, True, False, False]
    _, made = propose(org, reception, clinic, plan, practitioner)
    assert [a.course_session for a in made] == [2]
    with acting_for(org):
        dates = course.session_dates(course.course_appointments(plan))
    assert (dates[2] - dates[1]).days >= 30 and (dates[3] - dates[2]).days >= 30


def test_a_course_across_a_dst_change_keeps_its_local_time(
    org, clinic, reception, practitioner, patient
):
    # Summer time starts on the last Sunday of March: 10:00 in London moves to 09:00 UTC.
    year = dt.date.today().year + 1
    march_end = dt.date(year, 3, 31)
    dst_day = march_end - dt.timedelta(days=(march_end.weekday() + 1) % 7)
    start = dst_day - dt.timedelta(days=14)
    plan = plan_with_result(org, patient, practitioner, HAIR, start)
    _, made = propose(org, reception, clinic, plan, practitioner)
    assert [a.local_start().time() for a in made[:4]] == [dt.time(10)] * 4
    utc_hours = {a.starts_at.astimezone(dt.UTC).hour for a in made[:4]}
    assert utc_hours == {9, 10}
    # Shifting the whole course by a week across the change keeps 10:00 local.
    moved = _move(
        org, reception, made[0], made[0].local_start() + dt.timedelta(days=7), shift_rest=True
    )
    assert {a.local_start().time() for a in moved} == {dt.time(10)}


def test_only_approved_plans_are_booked(org, clinic, reception, practitioner, patient):
    plan = plan_with_result(
        org, patient, practitioner, DCA, next_weekday(1), status=PlanStatus.DRAFT
    )
    with pytest.raises(Refused, match="approved or consented"):
        propose(org, reception, clinic, plan, practitioner)


def test_the_past_cannot_be_booked_and_shows_no_free_slots(
    org, clinic, reception, practitioner, patient
):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    with pytest.raises(Refused, match="already passed"):
        book(org, reception, clinic, patient, practitioner, local(yesterday, 10))
    with acting_for(org):
        diary = Diary.load(clinic["site"], yesterday, yesterday, staff=[practitioner])
    now = dt.datetime.now(dt.UTC)
    assert diary.free_slots(yesterday, practitioner, dt.timedelta(minutes=45), not_before=now) == []


@pytest.fixture
def three_patients(make_patient):
    return [make_patient(first_name=f"P{n}") for n in range(3)]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    busy=st.lists(
        st.tuples(
            st.integers(0, 35),  # start, in quarter-hours after 09:00
            st.integers(1, 8),  # length, in quarter-hours
            st.integers(0, 2),  # who treats
            st.sampled_from([0, 1, None]),  # which room
            st.integers(0, 2),  # which patient
        ),
        max_size=10,
    ),
    minutes=st.sampled_from([15, 30, 45, 60, 90]),
    pick=st.floats(0, 1),
)
def test_every_free_slot_books_and_then_is_no_longer_free(
    org, clinic, reception, practitioner, owner, esthetician, three_patients, busy, minutes, pick
):
    """The diary's free slots and the booking check agree, whatever is already booked."""
    staff = [practitioner, owner, esthetician]
    patients = three_patients
    day = next_weekday(3)
    with acting_for(org):
        Appointment.objects.all().delete()
    for start, length, who, room, whom in busy:
        with contextlib.suppress(Refused):
            book(
                org,
                reception,
                clinic,
                patients[whom],
                staff[who],
                local(day, 9) + dt.timedelta(minutes=15 * start),
                minutes=15 * length,
                room=room,
            )
    duration = dt.timedelta(minutes=minutes)
    with acting_for(org):
        diary = Diary.load(clinic["site"], day, day, staff=[practitioner], patient=patients[0])
    slots = diary.free_slots(day, practitioner, duration, patient=patients[0])
    for slot in slots:
        assert not diary.clashes(
            slot.starts_at,
            slot.ends_at,
            practitioner_id=practitioner.pk,
            room_id=slot.room.pk,
            patient_id=patients[0].pk,
        )
    if not slots:
        return
    slot = slots[min(int(pick * len(slots)), len(slots) - 1)]
    with acting_for(org):
        made = services.book(
            reception,
            site=clinic["site"],
            room=slot.room,
            practitioner=practitioner,
            patient=patients[0],
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
        after = Diary.load(clinic["site"], day, day, staff=[practitioner], patient=patients[0])
    again = after.free_slots(day, practitioner, duration, patient=patients[0])
    assert all(s.ends_at <= made.starts_at or s.starts_at >= made.ends_at for s in again)


def test_a_session_given_before_booking_counts_and_anchors_the_next(
    org, clinic, reception, practitioner, patient
):
    from mesoclinic.treatments.models import SessionStatus, TreatmentSession

    given = dt.date.today() + dt.timedelta(days=2)
    plan = plan_with_result(org, patient, practitioner, DCA, dt.date.today())
    with acting_for(org):
        TreatmentSession.objects.create(
            patient=patient,
            plan=plan,
            site=clinic["site"],
            status=SessionStatus.SIGNED,
            started_at=local(given, 11),
            performed_by=practitioner,
            signed_by=practitioner,
            signed_at=local(given, 12),
        )
    _, made = propose(org, reception, clinic, plan, practitioner)
    assert [a.course_session for a in made] == [2, 3, 4]
    assert (made[0].local_start().date() - given).days >= 30
    with acting_for(org):
        rows = course.course_rows(course.latest_version(plan), made, course.given_sessions(plan))
        too_early = made[0].local_start() - dt.timedelta(days=3)
        with pytest.raises(Refused, match="from session 1"):
            _move(org, reception, made[0], too_early)
    assert rows[0]["given"] == given and not rows[0]["open"]
