"""Consent from the portal (issue 16): the patient reads and signs their approved plan's
consent at home and the practitioner countersigns at the visit; questions to the clinic
about it; the clinic's cooling-off period before a plan's first session; and the tablet
handed to the patient in kiosk mode, given back with the staff member's password."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Organization
from mesoclinic.plans.models import PlanStatus
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import sessions
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from tests.factories import (
    client_for,
    consent_to,
    only_session,
    post_start,
)

SUBMENTAL = [{"concern": "localized-fat", "area": "submental"}]


@contextmanager
def clock_moved(monkeypatch, hours):
    """Django's clock moved by `hours` (negative: the past) inside the block."""
    real = timezone.now
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real() + timedelta(hours=hours))
        yield


def cooling_off(org, hours):
    Organization.objects.filter(pk=org.pk).update(cooling_off_hours=hours)


# --- Cooling-off -----------------------------------------------------------------------


def test_a_first_session_inside_the_cooling_off_period_is_refused_with_when(
    org, site, practitioner, patient
):
    cooling_off(org, 24)
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    client = client_for(practitioner)
    response = post_start(client, plan, site)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Consent was signed less than an hour ago; this clinic waits 24 hours" in page
    allowed = timezone.localtime(timezone.now() + timedelta(hours=24))
    assert f"treatment from {allowed.day} {allowed:%b}" in page
    with acting_for(org):
        assert not TreatmentSession.objects.exists()
    # Shown before anyone fills the form in, next to the button.
    shown = client.get(reverse("session_start", args=[plan.public_id])).content.decode()
    assert 'id="start-wait"' in shown and "this clinic waits 24 hours" in shown


def test_the_service_itself_refuses_a_start_inside_the_cooling_off_period(
    org, site, practitioner, patient
):
    cooling_off(org, 24)
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    check = sessions.Precheck(
        pregnancy="no",
        infected_areas=[],
        weight_kg=64,
        numbing_product="",
        numbing_applied_at="",
        photos_taken=True,
    )
    with acting_for(org), pytest.raises(sessions.SessionRefused, match="waits 24 hours"):
        practitioner.refresh_from_db()
        sessions.start(practitioner, plan, site, check)


def test_a_first_session_after_the_cooling_off_period_starts(
    org, site, practitioner, patient, monkeypatch
):
    cooling_off(org, 24)
    with clock_moved(monkeypatch, hours=-25):
        plan = consent_to(org, practitioner, patient, SUBMENTAL)
    response = post_start(client_for(practitioner), plan, site)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert only_session(org).plan_id == plan.pk


def test_three_hours_into_a_day_of_cooling_off_says_three_hours(
    org, site, practitioner, patient, monkeypatch
):
    cooling_off(org, 24)
    with clock_moved(monkeypatch, hours=-3):
        plan = consent_to(org, practitioner, patient, SUBMENTAL)
    page = post_start(client_for(practitioner), plan, site).content.decode()
    assert "Consent was signed 3 hours ago; this clinic waits 24 hours" in page


def test_no_cooling_off_by_default(org, site, practitioner, patient):
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    assert post_start(client_for(practitioner), plan, site).status_code == 302


def test_only_the_first_session_of_a_plan_waits(org, site, practitioner, patient):
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    assert post_start(client_for(practitioner), plan, site).status_code == 302
    with acting_for(org):
        TreatmentSession.objects.filter(plan=plan).update(
            status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=practitioner
        )
    cooling_off(org, 24)
    response = post_start(client_for(practitioner), plan, site)
    assert "this clinic waits" not in response.content.decode()
    with acting_for(org):
        assert TreatmentSession.objects.filter(plan=plan).count() == 2
        assert plan.__class__.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE


def test_the_clinic_sets_its_cooling_off_period_in_the_settings(org, owner):
    client = client_for(owner)
    base = {"name": "Test Clinic", "currency": "USD", "tax_rate": "0", "jurisdiction": ""}
    too_long = client.post(reverse("clinic_settings"), {**base, "cooling_off_hours": "721"})
    assert too_long.status_code == 400
    assert "less than or equal to 720" in too_long.content.decode()
    saved = client.post(reverse("clinic_settings"), {**base, "cooling_off_hours": "24"})
    assert saved.status_code == 302
    org.refresh_from_db()
    assert org.cooling_off_hours == 24
    page = client.get(reverse("clinic_settings")).content.decode()
    assert "Cooling-off before the first treatment (hours)" in page
