"""Follow-up visits for outcome scores: an ended course whose protocol takes 3- and 6-month
scores gets proposed visits near those dates, once, never in the past; reception confirms
them with the course; the diary calls them what they are."""

import datetime as dt
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes import courses, follow_ups, services
from mesoclinic.plans.models import PlanStatus
from mesoclinic.scheduling.models import Appointment, FollowUp, SiteClosure, Status
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import (
    HAIR,
    LONDON,
    book,
    client_for,
    local,
    make_session,
    next_weekday,
    open_clinic,
    plan_with_result,
)

STAFF = ("owner", "practitioner", "esthetician", "reception")
PAIN = [{"concern": "pain", "area": "knees"}]  # its protocol takes no follow-up


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


def ended_course(org, clinic, patient, practitioner, items=HAIR, days_ago=10, complete=True):
    """A plan whose last session was signed `days_ago`, completed (the course ended)."""
    plan = plan_with_result(org, patient, practitioner, items, timezone.localdate())
    signed = timezone.now() - dt.timedelta(days=days_ago)
    make_session(
        org, patient, clinic["site"], practitioner, days_ago=days_ago, plan=plan,
        status=SessionStatus.SIGNED, signed_by=practitioner, signed_at=signed, ended_at=signed,
    )  # fmt: skip
    if complete:
        with acting_for(org):
            type(plan).objects.filter(pk=plan.pk).update(status=PlanStatus.COMPLETED)
            plan.refresh_from_db()
    return plan


@pytest.fixture
def plan(org, clinic, patient, practitioner):
    return ended_course(org, clinic, patient, practitioner)


def the_course(org, plan):
    with acting_for(org):
        return next(c for c in courses.courses_for(plan.patient) if c.plan.pk == plan.pk)


def last_signed_day(org, plan):
    return timezone.localtime(the_course(org, plan).last_signed_at).date()


def propose(org, user, plan, clinic, practitioner, **extra):
    found = the_course(org, plan)
    with acting_for(org):
        return follow_ups.propose_follow_ups(
            user, found, site=clinic["site"], practitioner=practitioner, **extra
        )


def visits(org, plan):
    with acting_for(org):
        return list(
            Appointment.objects.filter(plan=plan).exclude(follow_up="").order_by("starts_at")
        )


def post_propose(client, plan, protocol="hair-minoxidil"):
    url = reverse("follow_ups_propose", args=[plan.patient.public_id])
    return client.post(url, {"plan": str(plan.public_id), "protocol": protocol})


def visible(html: str) -> str:
    """What a person reads: the page without its tags and attributes."""
    return re.sub(r"<[^>]+>", " ", html)


# --- proposing -----------------------------------------------------------------------


def test_visits_go_on_free_slots_nearest_90_and_180_days_after_the_last_session(
    org, clinic, practitioner, plan
):
    last = last_signed_day(org, plan)
    three, six = last + dt.timedelta(days=90), last + dt.timedelta(days=180)
    with acting_for(org):
        # The 3-month day is closed: the visit goes to the next day, the nearest open one.
        SiteClosure.objects.create(site=clinic["site"], date=three, reason="bank holiday")
    done = propose(org, practitioner, plan, clinic, practitioner, prefer=dt.time(11))
    assert done.missed == []
    first, second = visits(org, plan)
    assert (first.follow_up, second.follow_up) == (FollowUp.MONTHS_3, FollowUp.MONTHS_6)
    assert first.local_start().date() == three + dt.timedelta(days=1)
    assert second.local_start().date() == six and second.local_start().time() == dt.time(11)
    for visit, due in ((first, three), (second, six)):
        assert visit.status == Status.PROPOSED and visit.course_session is None
        assert visit.ideal_date == due and visit.patient == plan.patient
        assert visit.ends_at - visit.starts_at == dt.timedelta(minutes=follow_ups.MINUTES)
        assert visit.room is not None and visit.practitioner == practitioner
    assert done.made == [first, second]


def test_nothing_is_proposed_for_a_course_not_ended(org, clinic, practitioner, patient):
    plan = ended_course(org, clinic, patient, practitioner, complete=False)
    assert not the_course(org, plan).ended
    assert propose(org, practitioner, plan, clinic, practitioner).made == []
    assert visits(org, plan) == []


def test_nothing_is_proposed_for_a_protocol_without_follow_ups(org, clinic, practitioner, patient):
    plan = ended_course(org, clinic, patient, practitioner, items=PAIN)
    found = the_course(org, plan)
    assert found.ended and "3-months" not in found.measures.timepoints
    assert follow_ups.visits(found) == []
    assert propose(org, practitioner, plan, clinic, practitioner).made == []
    assert visits(org, plan) == []


def test_a_follow_up_already_recorded_is_not_proposed(org, clinic, practitioner, plan):
    entry = services.Entry(
        instrument="hair-count", timepoint="3-months", plan=plan, protocol="hair-minoxidil"
    )
    with acting_for(org):
        services.record_assessment(practitioner, plan.patient, entry, {"value": 80}, uuid.uuid4())
    propose(org, practitioner, plan, clinic, practitioner)
    assert [v.follow_up for v in visits(org, plan)] == [FollowUp.MONTHS_6]


def test_proposing_twice_makes_one_set(org, clinic, practitioner, plan):
    stale = the_course(org, plan)  # read before the first proposal: it knows no visit
    assert len(propose(org, practitioner, plan, clinic, practitioner).made) == 2
    with acting_for(org):
        again = follow_ups.propose_follow_ups(
            practitioner, stale, site=clinic["site"], practitioner=practitioner
        )
    assert again.made == [] and again.missed == []
    client = client_for(practitioner)
    assert post_propose(client, plan).status_code == 302
    assert post_propose(client, plan).status_code == 302
    assert len(visits(org, plan)) == 2


def test_a_cancelled_visit_frees_its_follow_up_to_be_proposed_again(
    org, clinic, practitioner, reception, plan
):
    from mesoclinic.scheduling import services as diary

    propose(org, practitioner, plan, clinic, practitioner)
    first, _ = visits(org, plan)
    with acting_for(org):
        diary.cancel(reception, first, "Patient moved away for the summer")
    assert [a.follow_up for a in propose(org, practitioner, plan, clinic, practitioner).made] == [
        FollowUp.MONTHS_3
    ]


def test_a_follow_up_just_past_goes_on_the_first_day_ahead(org, clinic, practitioner, patient):
    plan = ended_course(org, clinic, patient, practitioner, days_ago=93)
    propose(org, practitioner, plan, clinic, practitioner)
    first, _ = visits(org, plan)
    tomorrow = timezone.now().astimezone(LONDON).date() + dt.timedelta(days=1)
    assert first.follow_up == FollowUp.MONTHS_3
    assert first.local_start().date() == tomorrow and first.starts_at > timezone.now()


def test_a_follow_up_long_past_is_never_proposed_in_the_past(org, clinic, practitioner, patient):
    plan = ended_course(org, clinic, patient, practitioner, days_ago=120)
    done = propose(org, practitioner, plan, clinic, practitioner)
    [missed] = done.missed
    assert missed.label == "3-month follow-up" and missed.searched is None
    assert [v.follow_up for v in visits(org, plan)] == [FollowUp.MONTHS_6]
    assert all(v.starts_at > timezone.now() for v in visits(org, plan))


def test_no_free_slot_says_which_days_were_searched(org, clinic, practitioner, plan):
    six = last_signed_day(org, plan) + dt.timedelta(days=180)
    reach = follow_ups.SEARCH_DAYS
    with acting_for(org):
        for n in range(-reach, reach + 1):
            SiteClosure.objects.create(site=clinic["site"], date=six + dt.timedelta(days=n))
    client = client_for(practitioner)
    html = client.get(post_propose(client, plan).url).content.decode()
    low, high = six - dt.timedelta(days=reach), six + dt.timedelta(days=reach)
    assert f"6-month follow-up: no free slot between {low:%-d %b} and {high:%-d %b %Y}" in html
    assert [v.follow_up for v in visits(org, plan)] == [FollowUp.MONTHS_3]


def test_the_service_refuses_someone_who_may_not_book(org, clinic, practitioner, plan):
    practitioner.is_active = False  # roles.can: an inactive account may do nothing
    with pytest.raises(PermissionDenied):
        propose(org, practitioner, plan, clinic, practitioner)
    assert visits(org, plan) == []


def test_no_visit_is_proposed_with_someone_who_no_longer_works_here(
    org, clinic, owner, practitioner, plan
):
    practitioner.is_active = False
    practitioner.save()
    client = client_for(owner)
    page = client.get(post_propose(client, plan).url).content.decode()
    assert "No one who gave this course treats here now" in page
    assert visits(org, plan) == []


# --- who may -------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF)
def test_each_role_gets_the_right_answer(role, org, personas, clinic, practitioner, plan):
    client = client_for(personas[role])
    page = client.get(reverse("patient_outcomes", args=[plan.patient.public_id]))
    response = post_propose(client, plan)
    if role == "reception":  # the outcomes page is clinical
        assert page.status_code == 403 and response.status_code == 403
        assert visits(org, plan) == []
        return
    assert page.status_code == 200 and "Propose follow-up visits" in page.content.decode()
    assert response.status_code == 302
    assert len(visits(org, plan)) == 2


def test_another_organizations_patient_or_plan_is_not_found(
    org, other_org, clinic, practitioner, outsider, plan, make_patient
):
    assert post_propose(client_for(outsider), plan).status_code == 404
    with acting_for(other_org):
        from mesoclinic.patients.models import Patient

        theirs = Patient.objects.create(
            first_name="Zoe", last_name="Other", date_of_birth=dt.date(1980, 1, 1),
            sex="F", created_by=outsider,
        )  # fmt: skip
    their_plan = plan_with_result(other_org, theirs, outsider, HAIR, timezone.localdate())
    ours = client_for(practitioner)
    url = reverse("follow_ups_propose", args=[plan.patient.public_id])
    for data in (
        {"plan": str(their_plan.public_id), "protocol": "hair-minoxidil"},
        {"plan": "not-a-uuid", "protocol": "hair-minoxidil"},
        {"plan": str(plan.public_id), "protocol": "no-such-protocol"},
    ):
        assert ours.post(url, data).status_code == 404
    someone_else = make_patient(first_name="Bea")
    other_url = reverse("follow_ups_propose", args=[someone_else.public_id])
    assert (
        ours.post(
            other_url, {"plan": str(plan.public_id), "protocol": "hair-minoxidil"}
        ).status_code
        == 404
    )
    assert visits(org, plan) == []


def test_proposing_is_audited(org, clinic, practitioner, plan):
    post_propose(client_for(practitioner), plan)
    with acting_for(org):
        made = AuditEvent.objects.filter(action="create", object_type="appointment")
        assert made.count() == 2 and {e.actor for e in made} == {practitioner}
        assert {e.object_id for e in made} == {str(v.public_id) for v in visits(org, plan)}


def test_the_page_needs_a_post_with_its_csrf_token(org, clinic, practitioner, plan):
    from django.test import Client

    client = client_for(practitioner)
    url = reverse("follow_ups_propose", args=[plan.patient.public_id])
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(practitioner)
    assert post_propose(strict, plan).status_code == 403
    assert visits(org, plan) == []


# --- what people see -----------------------------------------------------------------


def test_the_outcomes_page_shows_each_follow_up_and_its_visit(org, clinic, practitioner, plan):
    client = client_for(practitioner)
    url = reverse("patient_outcomes", args=[plan.patient.public_id])
    before = client.get(url).content.decode()
    last = last_signed_day(org, plan)
    assert "3-month follow-up" in before and "6-month follow-up" in before
    assert f"falls on {last + dt.timedelta(days=90):%-d %b %Y}" in before
    assert "no visit yet" in before and "Propose follow-up visits" in before
    post_propose(client, plan)
    first, second = visits(org, plan)
    with acting_for(org):
        diary_services().accept(practitioner, second)
    after = client.get(url).content.decode()
    assert f"Proposed for {first.local_start():%a %-d %b %Y, %H:%M}" in after
    assert f"Booked for {second.local_start():%a %-d %b %Y, %H:%M}" in after
    assert reverse("appointment_detail", args=[first.public_id]) in after
    assert "Propose follow-up visits" not in after
    assert reverse("course_page", args=[plan.public_id]) in after
    assert "3-months" not in visible(after) and "6-months" not in visible(after)


def diary_services():
    from mesoclinic.scheduling import services as diary

    return diary


def test_the_due_list_says_when_the_visit_is(org, clinic, practitioner, patient):
    plan = ended_course(org, clinic, patient, practitioner, days_ago=80)  # 3 months in 10 days
    client = client_for(practitioner)
    chart = reverse("patient_detail", args=[patient.public_id])
    assert "Book the follow-up" in client.get(chart).content.decode()
    post_propose(client, plan)
    first = visits(org, plan)[0]
    with acting_for(org):
        due = next(
            d for d in courses.due_for(courses.courses_for(patient)) if d.timepoint == "3-months"
        )
    assert due.appointment == first and due.appointment_at == first.local_start()
    when = f"{first.local_start():%a %-d %b %Y, %H:%M}"
    for url in (chart, reverse("patient_outcomes", args=[patient.public_id])):
        html = client.get(url).content.decode()
        assert "visit proposed for" in html and when in html, url
        assert "Book the follow-up" not in html


def test_the_outcomes_page_and_courses_stay_bounded(
    org, clinic, practitioner, patient, plan, django_assert_max_num_queries
):
    ended_course(org, clinic, patient, practitioner, items=PAIN)
    client = client_for(practitioner)
    post_propose(client, plan)
    with acting_for(org), django_assert_max_num_queries(5):
        found = courses.courses_for(patient)
    assert sorted(len(c.visits) for c in found) == [0, 2]
    with django_assert_max_num_queries(12):
        page = client.get(reverse("patient_outcomes", args=[patient.public_id]))
    assert page.status_code == 200


def test_the_course_page_lists_follow_ups_and_reception_confirms_them(
    org, clinic, practitioner, reception, plan
):
    post_propose(client_for(practitioner), plan)
    desk = client_for(reception)
    url = reverse("course_page", args=[plan.public_id])
    page = desk.get(url).content.decode()
    assert "Follow-up visits" in page and "3-month follow-up" in page
    assert "6-month follow-up" in page and "session None" not in page
    assert "Confirm all 2 proposed follow-up visits" in page
    assert "3-months" not in visible(page)
    done = desk.post(reverse("course_confirm", args=[plan.public_id]), follow=True)
    assert "2 follow-up visits booked." in done.content.decode()
    assert {v.status for v in visits(org, plan)} == {Status.BOOKED}


def test_follow_up_proposals_are_discarded_with_the_course(
    org, clinic, practitioner, reception, plan
):
    post_propose(client_for(practitioner), plan)
    done = client_for(reception).post(reverse("course_discard", args=[plan.public_id]), follow=True)
    assert "2 proposed follow-up visits discarded." in done.content.decode()
    assert visits(org, plan) == []
    with acting_for(org):
        assert AuditEvent.objects.filter(action="void", object_type="appointment").count() == 2


def test_the_calendar_calls_a_visit_a_follow_up_not_a_session(
    org, clinic, practitioner, reception, plan
):
    post_propose(client_for(practitioner), plan)
    first = visits(org, plan)[0]
    day = {"date": first.local_start().date().isoformat()}
    desk = client_for(reception)
    for kind, subject in (("site", clinic["site"]), ("practitioner", practitioner)):
        for span in ("day", "week"):
            url = reverse("calendar_board", args=[kind, subject.public_id, span])
            board = desk.get(url, day).content.decode()
            assert "3-month follow-up: outcome scores" in board, url
            assert "session None" not in board
    detail = desk.get(reverse("appointment_detail", args=[first.public_id])).content.decode()
    assert "3-month follow-up: outcome scores" in detail and "Session None" not in detail
    move = desk.get(reverse("appointment_move", args=[first.public_id])).content.decode()
    assert "3-month follow-up: outcome scores" in move
    chart = desk.get(reverse("patient_detail", args=[plan.patient.public_id])).content.decode()
    assert "3-month follow-up: outcome scores" in chart


# --- the database --------------------------------------------------------------------


def test_the_database_refuses_a_follow_up_it_does_not_know(org, clinic, practitioner, plan):
    propose(org, practitioner, plan, clinic, practitioner)
    first = visits(org, plan)[0]
    with acting_for(org), pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=first.pk).update(follow_up="9-months")


def test_the_database_refuses_a_follow_up_that_is_a_session_or_of_no_plan(
    org, clinic, practitioner, plan
):
    propose(org, practitioner, plan, clinic, practitioner)
    first = visits(org, plan)[0]
    with acting_for(org):
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.filter(pk=first.pk).update(course_session=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            Appointment.objects.filter(pk=first.pk).update(plan=None)


def test_the_database_keeps_one_live_visit_per_follow_up_and_plan(
    org, clinic, practitioner, reception, plan
):
    day = next_weekday(2)
    book(org, reception, clinic, plan.patient, practitioner, local(day, 9), plan=plan,
         follow_up=FollowUp.MONTHS_3)  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        book(org, reception, clinic, plan.patient, practitioner, local(day, 11), plan=plan,
             follow_up=FollowUp.MONTHS_3)  # fmt: skip
    # Another kind is another visit.
    book(org, reception, clinic, plan.patient, practitioner, local(day, 13), plan=plan,
         follow_up=FollowUp.MONTHS_6)  # fmt: skip
    assert len(visits(org, plan)) == 2


def test_the_diarys_follow_ups_are_the_outcomes_timepoints():
    from mesoclinic.outcomes.models import Timepoint

    for timepoint, visit in courses.VISIT_FOR.items():
        assert visit.value == Timepoint(timepoint).value
        assert visit.label == Timepoint(timepoint).label
    assert set(courses.VISIT_FOR) == set(courses.FOLLOW_UPS)
