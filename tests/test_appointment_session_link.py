"""The visit from the appointment (issue 17, "Today"): reception checks the patient in,
a clinician starts the session from the appointment, signing it completes the appointment,
and a session without an appointment (a walk-in) works as before.

Personas (conftest): reception checks in but never starts a session; the practitioner
(and every clinical role) starts one; the outsider, of another clinic, gets 404."""

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans import services as plan_services
from mesoclinic.scheduling import services as scheduling_services
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.scheduling.services import Refused
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import sessions
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from tests.factories import (
    PRECHECK,
    client_for,
    open_clinic,
    post_chart,
    post_start,
    receive_lot,
    take_baseline_photos,
)


@pytest.fixture
def clinic(org, site):
    return open_clinic(org, site)


@pytest.fixture
def make_appt(org, clinic, reception, practitioner, patient, consented_plan):
    """An appointment of the consented plan's first session, starting now unless told."""

    def make(starts_at=None, **fields):
        starts_at = starts_at or timezone.now()
        with acting_for(org):
            values = {
                "site": clinic["site"],
                "room": clinic["rooms"][0],
                "practitioner": practitioner,
                "patient": patient,
                "plan": consented_plan,
                "plan_version": plan_services.latest_version(consented_plan),
                "course_session": 1,
                "starts_at": starts_at,
                "ends_at": starts_at + dt.timedelta(minutes=45),
                "created_by": reception,
                **fields,
            }
            # Written directly, as the demo does: booking refuses a time already begun.
            return Appointment.objects.create(**values)

    return make


@pytest.fixture
def appt(make_appt):
    return make_appt()


def _reload(org, appt):
    with acting_for(org):
        return Appointment.objects.select_related("session").get(pk=appt.pk)


def _detail(client, appt):
    return client.get(reverse("appointment_detail", args=[appt.public_id])).content.decode()


def _check_in(client, appt):
    return client.post(reverse("appointment_check_in", args=[appt.public_id]))


def _start(client, appt, site, **changes):
    url = reverse("appointment_session_start", args=[appt.public_id])
    return client.post(url, {**PRECHECK, "site": site.pk, **changes})


def _events(org, appt, detail):
    with acting_for(org):
        return AuditEvent.objects.filter(object_id=str(appt.public_id), detail=detail)


def _chart_and_sign(client, org, site, user, session):
    lot = receive_lot(org, site, user, number=f"L{session.pk}")
    assert post_chart(client, session, lot).status_code == 200
    take_baseline_photos(org, user, session)
    return client.post(reverse("session_sign", args=[session.public_id]))


# Check-in


def test_reception_checks_the_patient_in_and_the_page_says_when(org, reception, appt):
    client = client_for(reception)
    assert "Check in" in _detail(client, appt)
    before = timezone.now()
    response = _check_in(client, appt)
    assert response.status_code == 302
    arrived = _reload(org, appt).arrived_at
    assert arrived is not None and before <= arrived <= timezone.now()
    page = client.get(response["Location"]).content.decode()
    local = arrived.astimezone(appt.site.zone)
    assert f"Checked in at {local:%H:%M}" in page
    assert "Arrived" in page and ">Check in<" not in page
    assert _reload(org, appt).status == Status.BOOKED


def test_a_double_submitted_check_in_checks_in_once(org, reception, appt):
    client = client_for(reception)
    assert _check_in(client, appt).status_code == 302
    first = _reload(org, appt).arrived_at
    second = _check_in(client, appt)
    assert second.status_code == 302
    assert "Already checked in" in client.get(second["Location"]).content.decode()
    assert _reload(org, appt).arrived_at == first
    assert _events(org, appt, "checked in").count() == 1


def test_check_in_is_audited_with_who_did_it(org, reception, appt):
    _check_in(client_for(reception), appt)
    event = _events(org, appt, "checked in").get()
    assert event.actor_id == reception.pk and event.action == "change"


def test_a_cancelled_appointment_is_not_checked_in(org, reception, appt):
    with acting_for(org):
        Appointment.objects.filter(pk=appt.pk).update(
            status=Status.CANCELLED, cancel_reason="Patient ill"
        )
    client = client_for(reception)
    assert ">Check in<" not in _detail(client, appt)
    response = _check_in(client, appt)
    assert response.status_code == 400
    assert "A cancelled appointment cannot be checked in." in response.content.decode()
    assert _reload(org, appt).arrived_at is None


def test_an_appointment_of_another_day_is_not_checked_in(org, reception, make_appt):
    tomorrow = make_appt(starts_at=timezone.now() + dt.timedelta(days=1))
    client = client_for(reception)
    assert ">Check in<" not in _detail(client, tomorrow)
    response = _check_in(client, tomorrow)
    assert response.status_code == 400
    assert "Only today's appointments are checked in." in html.unescape(response.content.decode())
    assert _reload(org, tomorrow).arrived_at is None


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_every_staff_role_may_check_in(role, org, personas, appt):
    assert _check_in(client_for(personas[role]), appt).status_code == 302
    assert _reload(org, appt).arrived_at is not None


# Starting the session from the appointment


def test_start_session_opens_the_start_page_for_the_plan_and_this_visit(
    practitioner, appt, consented_plan, site
):
    client = client_for(practitioner)
    assert "Start session" in _detail(client, appt)
    page = client.get(reverse("appointment_session_start", args=[appt.public_id]))
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    local = appt.starts_at.astimezone(appt.site.zone)
    assert f"From the appointment at {local:%H:%M} with Dr Pia Prax: session 1 of 4." in text
    assert page.context["plan"] == consented_plan
    assert page.context["form"]["site"].value() == site.pk
    assert "Back to the appointment" in text


def test_starting_links_the_session_and_keeps_the_appointment_booked(org, practitioner, appt, site):
    response = _start(client_for(practitioner), appt, site)
    assert response.status_code == 302
    linked = _reload(org, appt)
    assert linked.session is not None
    assert response["Location"] == reverse("session_detail", args=[linked.session.public_id])
    assert linked.session.status == SessionStatus.IN_PROGRESS
    assert linked.status == Status.BOOKED
    page = _detail(client_for(practitioner), appt)
    assert "In progress: open the session" in page and ">Start session<" not in page
    assert _events(org, appt, "session started").get().actor_id == practitioner.pk


def test_signing_the_session_completes_the_appointment(org, practitioner, appt, site):
    client = client_for(practitioner)
    _start(client, appt, site)
    session = _reload(org, appt).session
    assert _chart_and_sign(client, org, site, practitioner, session).status_code == 302
    done = _reload(org, appt)
    assert done.session.status == SessionStatus.SIGNED
    assert done.status == Status.COMPLETED
    assert "Completed" in _detail(client, appt)
    with acting_for(org):
        assert AuditEvent.objects.filter(
            object_id=str(appt.public_id), detail="status completed", actor=practitioner
        ).exists()


def test_a_patient_seen_before_the_booked_time_is_completed_too(org, practitioner, make_appt, site):
    """Arrived early: signed before the appointment's start, which the Completed button
    refuses; the signed session proves the visit took place."""
    now = timezone.now().astimezone(site.zone)
    later = min(now + dt.timedelta(minutes=30), now.replace(hour=23, minute=59))
    if later <= now:
        pytest.skip("no later time left today")
    appt = make_appt(starts_at=later)
    client = client_for(practitioner)
    assert _start(client, appt, site).status_code == 302
    _chart_and_sign(client, org, site, practitioner, _reload(org, appt).session)
    assert _reload(org, appt).status == Status.COMPLETED


def test_a_confirmed_appointment_is_completed_too(org, practitioner, make_appt, site):
    appt = make_appt(status=Status.CONFIRMED)
    client = client_for(practitioner)
    _start(client, appt, site)
    _chart_and_sign(client, org, site, practitioner, _reload(org, appt).session)
    assert _reload(org, appt).status == Status.COMPLETED


def test_voiding_the_session_leaves_the_appointment_as_it_was(org, practitioner, appt, site):
    client = client_for(practitioner)
    _start(client, appt, site)
    session = _reload(org, appt).session
    with acting_for(org):
        sessions.void(practitioner, session, "Started for the wrong patient")
    after = _reload(org, appt)
    assert after.status == Status.BOOKED
    assert after.session.status == SessionStatus.VOIDED
    # Treatment can start again from the same appointment, and that session is the one kept.
    assert "Start session" in _detail(client, appt)
    assert _start(client, appt, site).status_code == 302
    again = _reload(org, appt)
    assert again.session != session and again.session.status == SessionStatus.IN_PROGRESS


def test_a_second_start_from_the_same_appointment_is_refused(org, practitioner, appt, site):
    client = client_for(practitioner)
    assert _start(client, appt, site).status_code == 302
    again = _start(client, appt, site)
    assert again.status_code == 400
    assert "A session was already started from this appointment." in again.content.decode()
    with acting_for(org):
        assert TreatmentSession.objects.count() == 1


def test_a_session_is_not_started_from_another_days_appointment(org, practitioner, make_appt, site):
    tomorrow = make_appt(starts_at=timezone.now() + dt.timedelta(days=1))
    client = client_for(practitioner)
    assert ">Start session<" not in _detail(client, tomorrow)
    response = _start(client, tomorrow, site)
    assert response.status_code == 400
    assert "today's appointments only" in html.unescape(response.content.decode())
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_a_refused_start_links_nothing(org, practitioner, appt, site):
    response = _start(client_for(practitioner), appt, site, pregnancy="pregnant")
    assert response.status_code == 400
    assert _reload(org, appt).session is None
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_reception_cannot_start_a_session(org, reception, appt, site):
    client = client_for(reception)
    assert ">Start session<" not in _detail(client, appt)
    url = reverse("appointment_session_start", args=[appt.public_id])
    assert client.get(url).status_code == 403
    assert _start(client, appt, site).status_code == 403
    assert _reload(org, appt).session is None


def test_an_esthetician_may_start_the_session(org, esthetician, practitioner, appt, site):
    response = _start(client_for(esthetician), appt, site, supervised_by=practitioner.pk)
    assert response.status_code == 302
    assert _reload(org, appt).session is not None


def test_outsiders_get_404_on_the_visit_endpoints(outsider, appt, site):
    client = client_for(outsider)
    assert _check_in(client, appt).status_code == 404
    url = reverse("appointment_session_start", args=[appt.public_id])
    assert client.get(url).status_code == 404
    assert _start(client, appt, site).status_code == 404


# Walk-ins


def test_a_walk_in_session_works_as_before_and_touches_no_appointment(
    org, practitioner, consented_plan, appt, site
):
    client = client_for(practitioner)
    assert post_start(client, consented_plan, site).status_code == 302
    with acting_for(org):
        session = TreatmentSession.objects.get()
    assert _chart_and_sign(client, org, site, practitioner, session).status_code == 302
    with acting_for(org):
        session.refresh_from_db()
    assert session.status == SessionStatus.SIGNED
    untouched = _reload(org, appt)
    assert untouched.session is None and untouched.status == Status.BOOKED


def test_the_plans_start_page_still_links_back_to_the_plan(practitioner, consented_plan):
    page = client_for(practitioner).get(reverse("session_start", args=[consented_plan.public_id]))
    text = page.content.decode()
    assert page.status_code == 200 and "Back to the plan" in text
    assert "From the appointment" not in text


def test_the_appointment_page_says_why_no_session_starts_from_it(org, practitioner, patient, site):
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from mesoclinic.scheduling.models import Appointment, Status
    from mesoclinic.tenancy import acting_for
    from tests.factories import client_for

    start = timezone.now() + dt.timedelta(days=3)
    with acting_for(org):
        appt = Appointment.objects.create(
            site=site, practitioner=practitioner, patient=patient, starts_at=start,
            ends_at=start + dt.timedelta(minutes=30), status=Status.BOOKED,
            created_by=practitioner,
        )  # fmt: skip
    page = client_for(practitioner).get(reverse("appointment_detail", args=[appt.public_id]))
    text = page.content.decode()
    assert "No session starts from this appointment: only a treatment visit" in text


# A visit whose session was started happened: not cancelled, missed or moved under it.


def _cancel(client, appt):
    url = reverse("appointment_status", args=[appt.public_id, "cancel"])
    return client.post(url, {"reason": "Patient phoned"})


def test_an_appointment_with_a_session_in_progress_is_not_cancelled_or_moved(
    org, practitioner, reception, appt, site
):
    _start(client_for(practitioner), appt, site)
    refused = _cancel(client_for(reception), appt)
    assert refused.status_code == 400
    assert "sign or void it before it can be cancelled" in html.unescape(refused.content.decode())
    missed = client_for(reception).post(
        reverse("appointment_status", args=[appt.public_id, "no-show"])
    )
    assert missed.status_code == 400
    with acting_for(org):
        current = _reload(org, appt)
        with pytest.raises(Refused, match="before it can be moved"):
            scheduling_services.reschedule(
                reception,
                current,
                starts_at=current.starts_at + dt.timedelta(hours=1),
                lock_version=current.lock_version,
            )
    assert _reload(org, appt).status == Status.BOOKED


def test_voiding_the_session_frees_the_appointment_to_be_cancelled(
    org, practitioner, reception, appt, site
):
    _start(client_for(practitioner), appt, site)
    with acting_for(org):
        sessions.void(practitioner, _reload(org, appt).session, "Started for the wrong patient")
    assert _cancel(client_for(reception), appt).status_code == 302
    assert _reload(org, appt).status == Status.CANCELLED
