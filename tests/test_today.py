"""Today: every role's home page is its day (issue 17).

Personas: a practitioner and an esthetician see their own visits with what each patient
still needs; reception sees the day of their sites with Check in and No-show and never a
clinical detail; the owner sees one site's day, theirs to pick, and the clinic's alerts.
An outsider (another organization) never sees our visits; a portal patient gets a 404.
"""

import datetime as dt
import uuid
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans.models import PlanStatus, PlanVersion
from mesoclinic.portal.models import SymptomReport, Urgency
from mesoclinic.scheduling import today_sections
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import FollowUpTask, SessionStatus, StockLevel, TreatmentSession
from tests.factories import (
    CLINICAL,
    LONDON,
    client_for,
    make_event,
    make_lot,
    make_session,
    make_user,
    open_clinic,
    plan_with_result,
)
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

SUBMENTAL = [{"concern": "localized-fat", "area": "submental"}]
CELLULITE = [{"concern": "cellulite", "area": "thighs-outer"}]
DAY = 'id="h-day"'


@pytest.fixture(autouse=True)
def _at_a_london_midday():
    """The board is about the hours of one day: its tests run at a London midday, with
    the clock still moving, so "a minute ago" and "in an hour" are both today whenever
    the suite runs (at 23:50 "in an hour" would be tomorrow, and the tests would fail)."""
    real = timezone.now
    started = real()
    noon = started.astimezone(LONDON).replace(hour=12, minute=0, second=0, microsecond=0)
    with mock.patch.object(timezone, "now", lambda: noon + (real() - started)):
        yield


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


def now_in_london() -> dt.datetime:
    return timezone.now().astimezone(LONDON)


def today_at(hour: int, minute: int = 0) -> dt.datetime:
    day = now_in_london().date()
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def appointment(org, clinic, practitioner, patient, starts_at, status=Status.BOOKED, **extra):
    """Written below the services, which refuse a time already passed or out of hours."""
    with acting_for(org):
        return Appointment.objects.create(
            site=clinic["site"],
            practitioner=practitioner,
            patient=patient,
            treatment_type=clinic["treatment"],
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(minutes=15),
            status=status,
            created_by=practitioner,
            cancel_reason="patient asked" if status == Status.CANCELLED else "",
            **extra,
        )


def a_minute_ago() -> dt.datetime:
    """A start already passed, today in London (00:00 when the day has just begun)."""
    return max(timezone.now() - dt.timedelta(minutes=1), today_at(0))


def in_an_hour() -> dt.datetime:
    """A start still ahead, today in London."""
    return min(timezone.now() + dt.timedelta(hours=1), today_at(23, 40))


def home(user, **params) -> str:
    page = client_for(user).get(reverse("home"), params)
    assert page.status_code == 200
    return page.content.decode()


def line(page: str, appt_or_session) -> str:
    """The board's line of an appointment or a walk-in session, or "" if not shown."""
    start = page.find(f'id="visit-{appt_or_session.public_id}"')
    return page[start : page.find("</li>", start)] if start >= 0 else ""


def hx_post(user, url, **data):
    return client_for(user).post(url, data, HTTP_HX_REQUEST="true")


# --- the board and its chips -----------------------------------------------------------


def test_each_visit_has_its_chip(org, clinic, practitioner, make_patient, site):
    booked = appointment(org, clinic, practitioner, make_patient(first_name="B"), today_at(9))
    confirmed = appointment(
        org, clinic, practitioner, make_patient(first_name="C"), today_at(10), Status.CONFIRMED
    )
    arrived = appointment(
        org,
        clinic,
        practitioner,
        make_patient(first_name="A"),
        today_at(11),
        arrived_at=timezone.now(),
    )
    cancelled = appointment(
        org, clinic, practitioner, make_patient(first_name="X"), today_at(12), Status.CANCELLED
    )
    treated_patient = make_patient(first_name="T")
    session = make_session(org, treated_patient, site, practitioner, days_ago=0)
    treated = appointment(org, clinic, practitioner, treated_patient, today_at(13), session=session)
    page = home(practitioner)
    assert 'state-booked">Booked<' in line(page, booked)
    assert 'state-confirmed">Confirmed<' in line(page, confirmed)
    assert 'state-arrived">Arrived<' in line(page, arrived)
    assert 'state-cancelled">Cancelled<' in line(page, cancelled)
    assert 'state-in_treatment">In treatment<' in line(page, treated)
    with acting_for(org):
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=practitioner
        )
    assert 'state-signed">Signed<' in line(home(practitioner), treated)


def test_a_walk_in_session_started_today_is_on_the_day(org, clinic, practitioner, patient, site):
    walk_in = make_session(org, patient, site, practitioner, days_ago=0)
    walk_in.started_at = timezone.now()
    with acting_for(org):
        TreatmentSession.objects.filter(pk=walk_in.pk).update(started_at=timezone.now())
    shown = line(home(practitioner), walk_in)
    assert "Anna García" in shown and "walk-in" in shown and "In treatment" in shown
    assert reverse("session_detail", args=[walk_in.public_id]) in shown


def test_a_voided_or_yesterdays_walk_in_is_not(org, clinic, practitioner, make_patient, site):
    old = make_session(org, make_patient(first_name="Old"), site, practitioner, days_ago=2)
    voided = make_session(org, make_patient(first_name="Void"), site, practitioner, days_ago=0)
    with acting_for(org):
        TreatmentSession.objects.filter(pk=voided.pk).update(
            status=SessionStatus.VOIDED,
            voided_at=timezone.now(),
            voided_by=practitioner,
            void_reason="wrong patient",
        )
    page = home(practitioner)
    assert line(page, old) == "" and line(page, voided) == ""


# --- what each patient needs -------------------------------------------------------------


def test_a_plan_awaiting_consent_links_to_the_consent_form(org, clinic, practitioner, patient):
    plan = plan_with_result(
        org, patient, practitioner, SUBMENTAL, timezone.localdate(), PlanStatus.APPROVED
    )
    appt = appointment(org, clinic, practitioner, patient, in_an_hour(), plan=plan)
    shown = line(home(practitioner), appt)
    assert f'href="{reverse("consent_new", args=[plan.public_id])}">Consent to sign' in shown


def test_a_signed_consent_waits_for_countersigning(
    org, clinic, practitioner, esthetician, patient, signed_consent
):
    appt = appointment(org, clinic, practitioner, patient, in_an_hour(), plan=signed_consent.plan)
    href = reverse("consent_detail", args=[signed_consent.public_id])
    assert f'href="{href}">Consent to countersign' in line(home(practitioner), appt)


def test_a_consented_plan_needs_no_consent(org, clinic, practitioner, patient):
    plan = plan_with_result(org, patient, practitioner, SUBMENTAL, timezone.localdate())
    appt = appointment(org, clinic, practitioner, patient, in_an_hour(), plan=plan)
    assert "Consent" not in line(home(practitioner), appt)


def test_a_first_session_says_its_baseline_photos_are_due(org, clinic, practitioner, patient):
    plan = plan_with_result(org, patient, practitioner, SUBMENTAL, timezone.localdate())
    with acting_for(org):
        version = PlanVersion.objects.get(plan=plan)
    first = appointment(
        org,
        clinic,
        practitioner,
        patient,
        in_an_hour(),
        plan=plan,
        plan_version=version,
        course_session=1,
    )
    shown = line(home(practitioner), first)
    assert "Baseline photos:" in shown
    assert reverse("patient_photos", args=[patient.public_id]) in shown


def test_reports_waiting_and_follow_ups_due_are_linked(org, clinic, practitioner, patient):
    appt = appointment(org, clinic, practitioner, patient, in_an_hour())
    with acting_for(org):
        SymptomReport.objects.create(
            patient=patient,
            reported_by=practitioner,
            reported_at=timezone.now(),
            feeling="unwell",
            symptoms=["fever"],
            urgency=Urgency.TODAY,
            checkin_version=1,
            submission_key=uuid.uuid4(),
        )
        FollowUpTask.objects.create(
            patient=patient,
            assigned_to=practitioner,
            due_on=timezone.localdate(),
            reason="Check the nodule",
            created_by=practitioner,
            changed_by=practitioner,
        )
    shown = line(home(practitioner), appt)
    assert "1 patient report to review" in shown and "danger-link" in shown
    assert reverse("report_queue") in shown
    assert "1 follow-up due" in shown and reverse("followup_list") in shown


def test_your_unsigned_sessions_any_day_are_listed(org, site, practitioner, make_patient):
    mine = make_session(org, make_patient(first_name="Mine"), site, practitioner, days_ago=5)
    colleague = make_user(org, "practitioner", "other@test.clinic", "Dr Colm Other")
    theirs = make_session(org, make_patient(first_name="Theirs"), site, colleague, days_ago=5)
    page = home(practitioner)
    unsigned = page[page.index('id="h-unsigned"') :]
    assert reverse("session_detail", args=[mine.public_id]) in unsigned
    assert reverse("session_detail", args=[theirs.public_id]) not in unsigned


# --- reception: arrivals, check-in, no-show --------------------------------------------------


def test_reception_sees_the_sites_arrivals_without_clinical_detail(
    org, clinic, practitioner, reception, patient, site
):
    plan = plan_with_result(
        org, patient, practitioner, SUBMENTAL, timezone.localdate(), PlanStatus.APPROVED
    )
    appt = appointment(
        org, clinic, practitioner, patient, in_an_hour(), plan=plan, course_areas=["submental"]
    )
    make_session(org, patient, site, practitioner, days_ago=3)  # unsigned, any day
    page = home(reception)
    shown = line(page, appt)
    assert "Anna García" in shown and "Dr Pia Prax" in shown and "Check in" in shown
    for clinical in ("Consent", "Baseline", "Submental", "submental", "h-unsigned", "h-later"):
        assert clinical not in page
    assert "/sessions/" not in page


def test_check_in_from_the_day_swaps_in_arrived_and_a_double_submit_is_one(
    org, clinic, practitioner, reception, patient
):
    appt = appointment(org, clinic, practitioner, patient, in_an_hour())
    url = reverse("appointment_check_in", args=[appt.public_id])
    before = AuditEvent.objects.filter(detail="checked in").count()
    first = hx_post(reception, url)
    assert first.status_code == 200
    html = first.content.decode()
    assert 'state-arrived">Arrived<' in html and "Check in" not in html
    assert "<html" not in html  # the partial only
    second = hx_post(reception, url)
    assert second.status_code == 200 and 'state-arrived">Arrived<' in second.content.decode()
    assert AuditEvent.objects.filter(detail="checked in").count() == before + 1
    with acting_for(org):
        appt.refresh_from_db()
    assert appt.arrived_at is not None


def test_a_refused_check_in_says_why_in_place(org, clinic, practitioner, reception, patient):
    appt = appointment(org, clinic, practitioner, patient, in_an_hour(), Status.CANCELLED)
    answer = hx_post(reception, reverse("appointment_check_in", args=[appt.public_id]))
    assert answer.status_code == 400
    assert "A cancelled appointment cannot be checked in." in answer.content.decode()


def test_no_show_is_offered_once_the_start_has_passed(
    org, clinic, practitioner, reception, make_patient
):
    past = appointment(org, clinic, practitioner, make_patient(first_name="Past"), a_minute_ago())
    ahead = appointment(org, clinic, practitioner, make_patient(first_name="Ahead"), in_an_hour())
    page = home(reception)
    assert "No-show" in line(page, past)
    assert "No-show" not in line(page, ahead)
    url = reverse("appointment_status", args=[past.public_id, "no-show"])
    answer = hx_post(reception, url)
    assert answer.status_code == 200 and 'state-no_show">No-show<' in answer.content.decode()
    again = hx_post(reception, url)  # a double submit: the same partial, no error
    assert again.status_code == 200 and 'role="alert"' not in again.content.decode()
    too_soon = hx_post(reception, reverse("appointment_status", args=[ahead.public_id, "no-show"]))
    assert too_soon.status_code == 400
    assert "cannot be marked no-show before it starts" in too_soon.content.decode()


def test_the_practitioner_starts_the_session_from_the_day(
    org, clinic, practitioner, reception, patient, consented_plan
):
    appt = appointment(org, clinic, practitioner, patient, in_an_hour(), plan=consented_plan)
    start = reverse("appointment_session_start", args=[appt.public_id])
    assert start in line(home(practitioner), appt)
    assert start not in line(home(reception), appt)  # reception does not treat


def test_reception_sees_only_their_sites(org, clinic, practitioner, reception, make_patient, site):
    with acting_for(org):
        other_site = Site.objects.create(organization=org, name="North", time_zone="Europe/London")
    reception.sites.set([other_site])
    appt = appointment(org, clinic, practitioner, make_patient(first_name="Main"), in_an_hour())
    assert line(home(reception), appt) == ""
    reception.sites.set([site])
    assert "Main García" in line(home(reception), appt)


# --- the payments slot ---------------------------------------------------------------------


def test_a_registered_section_fills_its_slot_for_its_role_only(reception, practitioner, clinic):
    def payments(request, site, day):
        return f'<section class="panel" id="payments">Due for {day:%d %b}</section>'

    today_sections.register("reception", payments)
    try:
        assert 'id="payments"' in home(reception)
        assert 'id="payments"' not in home(practitioner)
    finally:
        today_sections.unregister("reception", payments)
    assert 'id="payments"' not in home(reception)


def test_an_unknown_role_cannot_be_registered():
    with pytest.raises(ValueError, match="No such role"):
        today_sections.register("cashier", lambda *_: "")


# --- the owner: a site's day and the alerts --------------------------------------------------


def test_the_owner_picks_one_of_their_sites_and_anything_else_is_ignored(
    org, clinic, owner, practitioner, make_patient, other_org
):
    with acting_for(org):
        north = Site.objects.create(organization=org, name="North", time_zone="Europe/London")
    with acting_for(other_org):
        theirs = Site.objects.create(organization=other_org, name="Theirs")
    appt = appointment(org, clinic, practitioner, make_patient(first_name="Main"), in_an_hour())
    assert "Main García" in line(home(owner), appt)  # the first of the owner's sites: Main
    assert line(home(owner, site=str(north.public_id)), appt) == ""
    assert "Today at North" in home(owner, site=str(north.public_id))
    page = home(owner, site=str(theirs.public_id))
    assert "Main García" in line(page, appt) and "Theirs" not in page
    assert "Main García" in line(home(owner, site="not-a-uuid"), appt)


def test_the_owner_sees_the_clinics_alerts(org, site, clinic, owner, practitioner, patient):
    make_event(org, patient, practitioner)  # an infection: serious, still open
    lot = make_lot(org, site, owner)
    with acting_for(org):
        StockLevel.objects.create(
            site=site, product=lot.product, low_at=20, changed_at=timezone.now(), changed_by=owner
        )
    stale = make_session(org, patient, site, practitioner, days_ago=3)
    page = home(owner)
    alerts = page[page.index('id="h-alerts"') :]
    assert "1 serious adverse event still open" in alerts
    assert "Low stock: 1 product" in alerts and "10 left" in alerts
    assert "Unsigned for more than a day: 1 session" in alerts
    assert reverse("session_detail", args=[stale.public_id]) in alerts


# --- who sees it -------------------------------------------------------------------------------


def test_a_portal_patient_is_sent_to_their_portal_and_the_days_actions_are_404(
    me,  # noqa: F811 - the fixture
    org,
    clinic,
    practitioner,
    patient,
):
    appt = appointment(org, clinic, practitioner, patient, a_minute_ago())
    client = client_for(me)
    answer = client.get(reverse("home"))
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    for url in (
        reverse("appointment_check_in", args=[appt.public_id]),
        reverse("appointment_status", args=[appt.public_id, "no-show"]),
    ):
        assert client.post(url, HTTP_HX_REQUEST="true").status_code == 404


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_another_organizations_visits_never_appear(
    role, personas, org, other_org, clinic, make_patient
):
    """The outsider's colleague of each role, in a clinic with a site of its own."""
    with acting_for(other_org):
        Site.objects.create(organization=other_org, name="Elsewhere", time_zone="Europe/London")
    theirs = make_user(other_org, role, f"{role}-today@other.clinic", f"Other {role}")
    ours = personas["practitioner"] if role not in CLINICAL or role == "owner" else personas[role]
    appointment(org, clinic, ours, make_patient(first_name="Ours"), in_an_hour())
    page = home(theirs)
    assert DAY in page and "Ours García" not in page and "No appointments today." in page


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_every_roles_day_is_audited_once(role, personas, org, clinic, make_patient):
    user = personas[role]
    clinician = user if role in ("practitioner", "esthetician") else personas["practitioner"]
    for n in range(2):
        appointment(org, clinic, clinician, make_patient(first_name=f"P{n}"), today_at(10 + n))
    client = client_for(user)
    before = AuditEvent.objects.count()
    client.get(reverse("home"))
    [event] = AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before]
    assert event.object_type == "day" and event.actor == user and event.action == "view"
    assert event.detail.startswith("2 appointments and 0 walk-ins today")


# --- cost --------------------------------------------------------------------------------------

# Measured on SQLite: the session and the user (2), the sites (two when none is set),
# today's appointments and walk-ins, then per role: a clinician's needs (the other
# patients, their plans, versions, sessions, scores, follow-up visits, consents, photos,
# reports, follow-up tasks), unsigned sessions, the reports waiting; the owner's alerts
# (safety list, stock levels and lots, stale sessions); the audit event.
# Reception and the owner: one more for the payments due and one for the sessions to
# invoice (reception: and their sites), each with its count past ten rows.
QUERY_MAX = {"practitioner": 15, "esthetician": 15, "reception": 11, "owner": 28}


@pytest.mark.parametrize("count", [2, 40])
@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_the_day_costs_the_same_queries_whatever_the_count(
    role, count, personas, org, clinic, make_patient, site, django_assert_max_num_queries
):
    user = personas[role]
    clinician = user if role in ("practitioner", "esthetician") else personas["practitioner"]
    template = plan_with_result(
        org, make_patient(first_name="T"), clinician, CELLULITE, timezone.localdate()
    )
    for n in range(count):
        patient = make_patient(first_name=f"P{n}")
        starts_at = today_at(0) + dt.timedelta(minutes=30 * n)
        appointment(org, clinic, clinician, patient, starts_at, plan=template, arrived_at=None)
        if n % 4 == 0:
            make_session(org, patient, site, clinician, days_ago=n % 3)
    client = client_for(user)
    client.get(reverse("home"))  # settle the session
    with django_assert_max_num_queries(QUERY_MAX[role]):
        page = client.get(reverse("home")).content.decode()
    assert page.count('class="visit ') >= count


def test_reception_sees_who_is_in_treatment_but_no_link_into_the_session(
    org, clinic, practitioner, reception, patient, site
):
    walk_in = make_session(org, patient, site, practitioner, days_ago=0)
    shown = line(home(reception), walk_in)
    assert "In treatment" in shown and "Anna García" in shown
    assert reverse("session_detail", args=[walk_in.public_id]) not in shown
    assert reverse("session_detail", args=[walk_in.public_id]) in line(home(practitioner), walk_in)


# --- payments due (the payments app's section) ----------------------------------------------


def _owing(org, site, reception, patient, gross="80.00", paid=None):

    from tests.test_payments import issue, pay

    invoice = issue(org, reception, patient, site, gross)
    if paid:
        with acting_for(org):
            pay(org, reception, patient, site, paid, invoice=invoice)
    return invoice


def test_the_desk_sees_what_is_still_owed_and_clinicians_do_not(
    org, clinic, site, reception, practitioner, owner, make_patient
):
    owing = make_patient(first_name="Owes", last_name="Money")
    settled = make_patient(first_name="Paid", last_name="Up")
    _owing(org, site, reception, owing, "80.00", paid="30.00")
    _owing(org, site, reception, settled, "40.00", paid="40.00")
    page = home(reception)
    assert "Payments due" in page and "Money, Owes" in page and "USD 50.00" in page
    assert "Up, Paid" not in page
    assert "Money, Owes" in home(owner)
    assert "Payments due" not in home(practitioner)


@pytest.mark.parametrize("count", [2, 14])
def test_payments_due_costs_the_same_queries_whatever_the_count(
    count, org, clinic, site, reception, make_patient, django_assert_max_num_queries
):
    for n in range(count):
        _owing(org, site, reception, make_patient(first_name=f"D{n}"))
    client = client_for(reception)
    client.get(reverse("home"))
    with django_assert_max_num_queries(QUERY_MAX["reception"]):
        page = client.get(reverse("home")).content.decode()
    assert page.count("USD 80.00") == min(count, 10)
    assert ("And 4 more" in page) == (count == 14)


# --- sessions to invoice (the payments app's section) ---------------------------------------


def _signed_today(org, site, practitioner, patient, owner, signed_at=None):
    """A session charted from a lot of its own and signed (now, unless said)."""
    lot = make_lot(org, site, owner, number=f"LOT-{uuid.uuid4().hex[:6]}")
    session = make_session(org, patient, site, practitioner, lot, days_ago=0)
    with acting_for(org):
        TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.SIGNED,
            signed_at=signed_at or timezone.now(),
            signed_by=practitioner,
        )
    return session


def test_the_desk_invoices_todays_signed_sessions_from_its_day(
    org, clinic, site, reception, practitioner, owner, make_patient
):
    from tests.test_invoices import price_list

    price_list(org, owner)
    session = _signed_today(org, site, practitioner, make_patient(last_name="Billed"), owner)
    unsigned = make_session(
        org, make_patient(last_name="Chairside"), site, practitioner, days_ago=0
    )
    page = home(reception)
    assert "Sessions to invoice" in page and "Billed, Anna" in page
    assert "Chairside" not in page.split('id="h-to-invoice"')[1].split("</section>")[0]
    invoice_url = reverse("session_invoice", args=[session.public_id])
    assert invoice_url in page and reverse("session_invoice", args=[unsigned.public_id]) not in page
    panel = page.split('id="h-to-invoice"')[1].split("</section>")[0]
    assert 'name="csrfmiddlewaretoken"' in panel  # a real browser's post is accepted
    assert "Sessions to invoice" in home(owner) and "Sessions to invoice" not in home(practitioner)

    drafted = client_for(reception).post(invoice_url)
    assert drafted.status_code == 302
    again = client_for(reception).post(invoice_url)  # a double click: the same draft
    assert again["Location"] == drafted["Location"]
    # Drafted (not yet issued) is invoiced: it leaves the list, so it is billed once.
    assert "Sessions to invoice" not in home(reception)


def test_another_days_or_another_clinics_signed_session_is_not_listed(
    org, other_org, clinic, site, reception, practitioner, owner, make_patient
):
    yesterday = today_at(12) - dt.timedelta(days=1)
    _signed_today(org, site, practitioner, make_patient(last_name="Yesterday"), owner, yesterday)
    assert "Sessions to invoice" not in home(reception)
    _signed_today(org, site, practitioner, make_patient(last_name="Ours"), owner)
    with acting_for(other_org):
        Site.objects.create(organization=other_org, name="Elsewhere", time_zone="Europe/London")
    outsider = make_user(other_org, "reception", "desk-bill@other.clinic", "Other desk")
    assert "Ours, Anna" not in home(outsider) and "Sessions to invoice" not in home(outsider)


@pytest.mark.parametrize("count", [2, 13])
def test_sessions_to_invoice_cost_the_same_queries_whatever_the_count(
    count,
    org,
    clinic,
    site,
    reception,
    practitioner,
    owner,
    make_patient,
    django_assert_max_num_queries,
):
    for n in range(count):
        _signed_today(org, site, practitioner, make_patient(first_name=f"S{n}"), owner)
    client = client_for(reception)
    client.get(reverse("home"))
    with django_assert_max_num_queries(QUERY_MAX["reception"]):
        page = client.get(reverse("home")).content.decode()
    panel = page.split('id="h-to-invoice"')[1].split("</section>")[0]
    assert panel.count("<tr><td>") == min(count, 10)
    assert ("And 3 more signed today" in panel) == (count == 13)
