"""The clinician's day on the home page: today's appointments with the outcome scores due
for each patient, linked straight to the score form, and the scores due for the
clinician's other patients; clinical roles only, one organization only, audited once."""

import datetime as dt
import uuid
import zoneinfo
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes import courses
from mesoclinic.plans import services as plan_services
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import (
    ALL,
    CLINICAL,
    HAIR,
    LONDON,
    client_for,
    make_session,
    make_user,
    open_clinic,
    plan_with_result,
)

CELLULITE = [{"concern": "cellulite", "area": "thighs-outer"}]
HEXSEL = {"number": 2, "depth": 2, "morphology": 1, "laxity": 1, "nurnberger-muller": 2}
DAY = 'id="h-day"'
# A link names its scale, and to a screen reader its timepoint (the heading above it).
HEXSEL_BASELINE = 'Cellulite Severity Scale (Hexsel)<span class="sr-only">: Baseline</span>'
# Measured: 15 on SQLite (the session, the user, today's appointments, walk-ins, the
# other patients, their plans, versions, sessions, scores and follow-up visits, photos,
# the patients' reports and follow-up tasks, the unsigned sessions, the reports waiting,
# the audit event).
HOME_MAX = 15


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


def today_in(zone: zoneinfo.ZoneInfo) -> dt.date:
    return timezone.now().astimezone(zone).date()


def at(day: dt.date, hour: int, minute: int = 0, zone=LONDON) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def appointment(org, clinic, practitioner, patient, starts_at, status=Status.BOOKED, site=None):
    """Written below the services, which refuse a time already passed or out of hours."""
    with acting_for(org):
        return Appointment.objects.create(
            site=site or clinic["site"],
            practitioner=practitioner,
            patient=patient,
            treatment_type=clinic["treatment"],
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=15),
            status=status,
            created_by=practitioner,
            cancel_reason="patient asked" if status == Status.CANCELLED else "",
        )


def baseline_href(patient, plan, protocol, instrument="hexsel-css"):
    """The score form's link as the chart builds it (outcomes/_due.html), as HTML has it."""
    url = reverse("assessment_new", args=[patient.public_id, instrument])
    query = urlencode({"plan": plan.public_id, "protocol": protocol, "timepoint": "baseline"})
    return f"{url}?{query}".replace("&", "&amp;")


def protocol_of(org, plan):
    with acting_for(org):
        [course] = courses.courses_for(plan.patient)
    return course.protocol


def home(user) -> str:
    page = client_for(user).get(reverse("home"))
    assert page.status_code == 200
    return page.content.decode()


def ended_course(org, patient, approver, signed_days_ago=None, template=None, site=None):
    """A completed cellulite plan approved by `approver`; its end-of-course score is due,
    and its 3-month follow-up too once the last session was signed 76 days ago or more.
    The engine's result of `template` is copied, sparing an evaluation per patient."""
    if template is None:
        return plan_with_result(
            org, patient, approver, CELLULITE, timezone.localdate(), PlanStatus.COMPLETED
        )
    with acting_for(org):
        source = PlanVersion.objects.get(plan=template)
        plan = Plan.objects.create(
            patient=patient, created_by=approver, inputs=source.inputs, status=PlanStatus.COMPLETED
        )
        PlanVersion.objects.create(
            plan=plan,
            number=1,
            inputs=source.inputs,
            result=source.result,
            approved_by=approver,
            content_hash=plan_services.content_hash(source.inputs, source.result),
        )
    if signed_days_ago is not None:
        signed = timezone.now() - dt.timedelta(days=signed_days_ago)
        make_session(
            org,
            patient,
            site,
            approver,
            days_ago=signed_days_ago,
            plan=plan,
            status=SessionStatus.SIGNED,
            signed_by=approver,
            signed_at=signed,
            ended_at=signed,
        )
        with acting_for(org):  # marked completed after its last session
            Plan.objects.filter(pk=plan.pk).update(changed_at=signed)
    return plan


# --- today's appointments ------------------------------------------------------------


def test_a_patient_booked_today_shows_with_a_link_to_the_baseline_due(
    org, clinic, practitioner, patient
):
    plan = plan_with_result(org, patient, practitioner, CELLULITE, timezone.localdate())
    protocol = protocol_of(org, plan)
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10))
    page = home(practitioner)
    assert "Anna García" in page
    assert reverse("patient_detail", args=[patient.public_id]) in page
    assert "Mesotherapy" in page and "Booked" in page and "10:00" in page
    href = baseline_href(patient, plan, protocol)
    assert f'href="{href}">{HEXSEL_BASELINE}</a>' in page

    client = client_for(practitioner)
    data = {k: str(v) for k, v in HEXSEL.items()}
    recorded = client.post(
        reverse("assessment_new", args=[patient.public_id, "hexsel-css"]),
        {
            "plan": str(plan.public_id),
            "protocol": protocol,
            "timepoint": "baseline",
            "side": "",
            "submission_key": str(uuid.uuid4()),
            **data,
        },
    )
    assert recorded.status_code == 302
    page = home(practitioner)
    assert "Anna García" in page and href not in page
    assert HEXSEL_BASELINE not in page


def test_the_day_is_in_time_order_with_no_score_due_said_plainly(
    org, clinic, practitioner, make_patient
):
    later, earlier = make_patient(first_name="Later"), make_patient(first_name="Earlier")
    today = today_in(LONDON)
    appointment(org, clinic, practitioner, later, at(today, 15, 30))
    appointment(org, clinic, practitioner, earlier, at(today, 9, 15))
    page = home(practitioner)
    assert page.index("Earlier García") < page.index("Later García")
    assert page.index("09:15") < page.index("15:30")
    assert "Nothing due" in page


def test_another_practitioners_appointments_are_not_shown(
    org, clinic, practitioner, patient, make_patient
):
    colleague = make_user(org, "practitioner", "other@test.clinic", "Dr Colm Other")
    theirs = make_patient(first_name="Theirs")
    appointment(org, clinic, colleague, theirs, at(today_in(LONDON), 11))
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 12))
    page = home(practitioner)
    assert "Anna García" in page and "Theirs García" not in page
    assert "Theirs García" in home(colleague)


@pytest.mark.parametrize(
    ("status", "chip"), [(Status.CANCELLED, "Cancelled"), (Status.NO_SHOW, "No-show")]
)
def test_a_cancelled_or_missed_appointment_shows_as_such_with_nothing_due(
    org, clinic, practitioner, patient, status, chip
):
    plan_with_result(org, patient, practitioner, CELLULITE, timezone.localdate())
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10), status=status)
    page = home(practitioner)
    assert "Anna García" in page and f'state-{status}">{chip}</span>' in page
    assert "Baseline" not in page and "Check in" not in page


@pytest.mark.parametrize("status", [Status.PROPOSED, Status.CONFIRMED, Status.COMPLETED])
def test_every_appointment_that_holds_its_slot_is_shown(org, clinic, practitioner, patient, status):
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10), status=status)
    assert "Anna García" in home(practitioner)


def test_yesterday_and_tomorrow_are_not_shown(org, clinic, practitioner, make_patient):
    today = today_in(LONDON)
    days = {"Yesterday": today - dt.timedelta(days=1), "Tomorrow": today + dt.timedelta(days=1)}
    for name, day in days.items():
        appointment(org, clinic, practitioner, make_patient(first_name=name), at(day, 10))
    page = home(practitioner)
    assert "Yesterday García" not in page and "Tomorrow García" not in page
    assert "No appointments today." in page


@pytest.mark.parametrize("zone_name", ["America/Los_Angeles", "Pacific/Auckland"])
def test_today_is_the_sites_day_not_the_servers(org, clinic, practitioner, make_patient, zone_name):
    """23:30 in Los Angeles is tomorrow in UTC; 00:30 in Auckland is yesterday in UTC."""
    site = clinic["site"]
    site.time_zone = zone_name
    site.save()
    zone = zoneinfo.ZoneInfo(zone_name)
    today = today_in(zone)
    times = {
        "Late": at(today, 23, 30, zone),
        "Early": at(today, 0, 30, zone),
        "Yesterday": at(today - dt.timedelta(days=1), 23, 30, zone),
        "Tomorrow": at(today + dt.timedelta(days=1), 0, 30, zone),
    }
    for name, starts_at in times.items():
        appointment(org, clinic, practitioner, make_patient(first_name=name), starts_at)
    page = home(practitioner)
    assert "Late García" in page and "23:30" in page
    assert "Early García" in page and "00:30" in page
    assert "Yesterday García" not in page and "Tomorrow García" not in page


# --- the other patients' scores due --------------------------------------------------


def test_ended_courses_you_approved_list_their_scores_due_newest_first(
    org, site, practitioner, make_patient
):
    colleague = make_user(org, "practitioner", "other@test.clinic", "Dr Colm Other")
    first = make_patient(first_name="Unsigned")
    template = ended_course(org, first, practitioner)  # marked completed today, no session
    ended_course(org, make_patient(first_name="Recent"), practitioner, 5, template, site)
    ended_course(org, make_patient(first_name="Followup"), practitioner, 100, template, site)
    ended_course(org, make_patient(first_name="Colleagues"), colleague, 5, template, site)
    running = make_patient(first_name="Running")
    plan_with_result(org, running, practitioner, CELLULITE, timezone.localdate())  # baseline due
    page = home(practitioner)
    later = page[page.index('id="h-later"') :]
    assert later.index("Unsigned García") < later.index("Recent García")
    assert later.index("Recent García") < later.index("Followup García")
    assert "3-month follow-up" in later and "End of course" in later
    assert "Colleagues García" not in page and "Running García" not in page
    assert "Colleagues García" in home(colleague)


def test_a_shared_patients_ended_course_is_listed_for_whoever_approved_it(
    org, site, practitioner, patient
):
    colleague = make_user(org, "practitioner", "other@test.clinic", "Dr Colm Other")
    ended_course(org, patient, colleague)  # theirs: the end-of-course score is due
    running = plan_with_result(org, patient, practitioner, CELLULITE, timezone.localdate())
    signed = timezone.now() - dt.timedelta(days=1)  # the first of its sessions: late baseline
    make_session(
        org,
        patient,
        site,
        practitioner,
        days_ago=1,
        plan=running,
        status=SessionStatus.SIGNED,
        signed_by=practitioner,
        signed_at=signed,
        ended_at=signed,
    )
    assert "Anna García" not in home(practitioner)
    assert "Anna García" in home(colleague)


def test_a_patient_booked_today_is_not_listed_twice(org, clinic, practitioner, patient):
    ended_course(org, patient, practitioner)
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10))
    page = home(practitioner)
    assert page.count(">Anna García</a>") == 1
    assert "No end-of-course or follow-up score due." in page


def test_the_other_patients_are_cut_at_ten_with_a_count(org, site, practitioner, make_patient):
    template = ended_course(org, make_patient(first_name="P0"), practitioner)
    for n in range(1, 23):
        ended_course(org, make_patient(first_name=f"P{n}"), practitioner, n, template, site)
    page = home(practitioner)
    later = page[page.index('id="h-later"') :]
    assert later.count("García</a>") == 10
    assert "P0 García" in later and "P9 García" in later and "P10 García" not in later
    assert "And 13 more patients with scores due." in later


def entry(page: str, name: str) -> str:
    """The list item of the patient `name` on the page, or "" if none."""
    at = page.find(f">{name} García</a>")
    return page[at : page.find("</li>", at)] if at >= 0 else ""


def test_only_scores_fallen_due_in_the_last_three_months_are_listed(
    org, site, practitioner, make_patient
):
    template = ended_course(org, make_patient(first_name="Template"), practitioner)
    ended_course(org, make_patient(first_name="Stale"), practitioner, 300, template, site)
    ended_course(org, make_patient(first_name="Lapsed"), practitioner, 170, template, site)
    hair = plan_with_result(
        org,
        make_patient(first_name="Hair"),
        practitioner,
        HAIR,
        timezone.localdate(),
        PlanStatus.COMPLETED,
    )
    ended_course(org, make_patient(first_name="Sixmonth"), practitioner, 210, hair, site)
    page = home(practitioner)
    assert entry(page, "Stale") == ""  # end 300 days ago, 3-month follow-up 210 days ago
    lapsed = entry(page, "Lapsed")  # end 170 days ago, 3-month follow-up 80 days ago
    assert "3-month follow-up" in lapsed and "End of course" not in lapsed
    six = entry(page, "Sixmonth")  # the 6-month follow-up fell due 30 days ago
    assert "6-month follow-up" in six and "3-month" not in six and "End of course" not in six


# --- who sees it ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL)
def test_every_role_sees_the_day_and_only_clinical_roles_what_is_due(
    role, personas, org, clinic, patient
):
    user = personas[role]
    clinician = user if role in CLINICAL else personas["practitioner"]
    plan_with_result(org, patient, personas["practitioner"], CELLULITE, timezone.localdate())
    appointment(org, clinic, clinician, patient, at(today_in(LONDON), 10))
    page = home(user)
    assert "Find a patient or register a new one." in page
    assert DAY in page and "Anna García" in page
    if role in CLINICAL:
        assert "Baseline" in page
    else:
        assert "Baseline" not in page and "Scores due" not in page


def test_another_organization_never_sees_our_patients(
    org, clinic, practitioner, outsider, patient, make_patient
):
    """Even rows wrongly naming the outsider stay in our organization's scope."""
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10))
    plan = ended_course(org, make_patient(first_name="Ended"), practitioner)
    with acting_for(org):
        Appointment.objects.update(practitioner=outsider)
        # Below every check: the triggers refuse an UPDATE of a version, so a new one.
        source = PlanVersion.objects.get(plan=plan)
        PlanVersion.objects.create(
            plan=plan,
            number=2,
            inputs=source.inputs,
            result=source.result,
            approved_by_id=outsider.pk,
            content_hash=source.content_hash,
        )
    page = home(outsider)
    assert DAY in page and "García" not in page
    assert "No appointments today." in page


# --- audit and cost ------------------------------------------------------------------


def test_the_day_is_audited_once_for_the_page(org, clinic, practitioner, make_patient):
    for n in range(3):
        patient = make_patient(first_name=f"P{n}")
        appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10 + n))
    client = client_for(practitioner)
    before = AuditEvent.objects.count()
    client.get(reverse("home"))
    [event] = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before]
    assert event.action == "view" and event.actor == practitioner
    assert event.object_type == "day" and event.object_id == str(practitioner.public_id)
    assert event.detail == ("3 appointments and 0 walk-ins today, 0 more patients with scores due")
    assert event.organization_id == org.pk


def test_receptions_day_is_audited_once_too(reception, org, clinic, practitioner, patient):
    appointment(org, clinic, practitioner, patient, at(today_in(LONDON), 10))
    client = client_for(reception)
    before = AuditEvent.objects.count()
    client.get(reverse("home"))
    [event] = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before]
    assert event.object_type == "day" and event.actor == reception
    assert event.detail == "1 appointment and 0 walk-ins today"


@pytest.mark.parametrize("count", [3, 30])
def test_the_day_costs_the_same_queries_whatever_the_count(
    org, clinic, practitioner, make_patient, count, django_assert_max_num_queries
):
    template = None
    for n in range(count):
        patient = make_patient(first_name=f"P{n}")
        if template is None:
            template = plan_with_result(org, patient, practitioner, CELLULITE, timezone.localdate())
        else:
            ended_course(org, patient, practitioner, n, template, clinic["site"])
        starts_at = at(today_in(LONDON), 0) + dt.timedelta(minutes=20 * n)
        appointment(org, clinic, practitioner, patient, starts_at)
        other = make_patient(first_name=f"Q{n}")
        ended_course(org, other, practitioner, n + 1, template, clinic["site"])
    client = client_for(practitioner)
    client.get(reverse("home"))  # settle the session
    with django_assert_max_num_queries(HOME_MAX):
        page = client.get(reverse("home")).content.decode()
    assert page.count("García</a>") == count + min(count, 10)
