"""Services that change clinical data refuse a user of the wrong role, whoever calls them.

The views' decorators refuse these users too (403); these tests call the services
directly, as the API, a worker or a command would, and check that nothing changed.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import forms as patient_forms
from mesoclinic.patients import models as pm
from mesoclinic.patients import services as patient_services
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Consent, PlanStatus, PlanVersion
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import charting, safety, sessions
from mesoclinic.treatments.models import (
    AdverseEvent,
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)
from tests.factories import (
    make_event,
    make_lot,
    make_session,
    plan_in_status,
    record_allergy,
    session_in_status,
)

NOT_SIGNING = ["esthetician", "reception"]


@pytest.fixture
def lot(org, site, owner):
    return make_lot(org, site, owner)


@pytest.fixture
def open_session(org, patient, site, practitioner, lot):
    return make_session(org, patient, site, practitioner, lot, days_ago=0)


def _unchanged_audit():
    return AuditEvent.objects.exclude(action="login").count()


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_only_a_licensed_practitioner_signs_a_session(personas, org, open_session, role):
    before = _unchanged_audit()
    with acting_for(org), pytest.raises(sessions.SessionRefused, match="cannot sign off"):
        sessions.sign(personas[role], open_session)
    with acting_for(org):
        open_session.refresh_from_db()
    assert open_session.status == SessionStatus.IN_PROGRESS and open_session.signed_by is None
    assert _unchanged_audit() == before


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_a_signed_session_is_not_resigned_by_the_wrong_role_either(
    personas, org, patient, site, practitioner, lot, role
):
    signed = session_in_status(org, patient, site, practitioner, lot, SessionStatus.SIGNED)
    with acting_for(org), pytest.raises(sessions.SessionRefused):
        sessions.sign(personas[role], signed)


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_only_a_practitioner_voids_a_session(personas, org, open_session, role):
    with acting_for(org), pytest.raises(PermissionDenied):
        sessions.void(personas[role], open_session, "Charted on the wrong patient")
    with acting_for(org):
        row = TreatmentSession.objects.get(pk=open_session.pk)
    assert row.status == SessionStatus.IN_PROGRESS and row.void_reason == ""


def test_reception_neither_amends_nor_removes_charted_areas(
    org, make_patient, site, practitioner, lot, reception, open_session
):
    other = make_patient(first_name="Bea")
    signed = session_in_status(org, other, site, practitioner, lot, SessionStatus.SIGNED)
    with acting_for(org):
        row = SessionArea.objects.get(session=open_session)
        with pytest.raises(PermissionDenied):
            sessions.amend(reception, signed, "2 mL, not 3", "typo")
        with pytest.raises(PermissionDenied):
            charting.remove_area(reception, open_session, row)
        assert not SessionAmendment.objects.exists()
        assert SessionArea.objects.filter(pk=row.pk).exists()


def test_only_a_practitioner_treats_without_a_plan(org, site, esthetician, patient):
    check = sessions.Precheck(
        pregnancy="no",
        infected_areas=[],
        weight_kg=Decimal("64"),
        numbing_product="",
        numbing_applied_at="",
        photos_taken=True,
    )
    items = [{"concern": "localized-fat", "area": "submental"}]
    with acting_for(org), pytest.raises(sessions.SessionRefused, match="Only a practitioner"):
        sessions.start_adhoc(esthetician, patient, site, check, "Touch-up", items)
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_only_a_practitioner_voids_an_adverse_event(personas, org, patient, practitioner, role):
    event = make_event(org, patient, practitioner)
    with acting_for(org), pytest.raises(PermissionDenied):
        safety.void_event(personas[role], event, "Recorded in error")
    with acting_for(org):
        event.refresh_from_db()
    assert event.voided_at is None


def test_reception_neither_records_nor_updates_an_adverse_event(
    org, patient, practitioner, reception
):
    event = make_event(org, patient, practitioner)
    data = {
        "event_type": "bruising",
        "grade": 1,
        "onset_on": date.today(),
        "description": "Small bruise",
    }
    with acting_for(org):
        with pytest.raises(PermissionDenied):
            safety.record_event(reception, patient, data, [])
        with pytest.raises(PermissionDenied):
            safety.update_event(reception, event, {"resolved_on": date.today()})
        assert AdverseEvent.objects.count() == 1
        event.refresh_from_db()
    assert event.resolved_on is None


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_only_a_practitioner_approves_a_plan(personas, org, patient, practitioner, role):
    plan = plan_in_status(org, patient, practitioner)
    with acting_for(org), pytest.raises(PermissionDenied):
        plans.approve(personas[role], plan, patient, plan.lock_version)
    with acting_for(org):
        plan.refresh_from_db()
        assert not PlanVersion.objects.exists()
    assert plan.status == PlanStatus.DRAFT


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_only_a_practitioner_countersigns_a_consent(personas, org, role, signed_consent):
    with acting_for(org), pytest.raises(PermissionDenied):
        consents.countersign(personas[role], signed_consent)
    with acting_for(org):
        assert Consent.objects.get(pk=signed_consent.pk).countersigned_at is None


def test_reception_does_not_revoke_a_consent(org, reception, signed_consent):
    with acting_for(org), pytest.raises(PermissionDenied):
        consents.revoke(reception, signed_consent, "Patient changed her mind")
    with acting_for(org):
        assert Consent.objects.get(pk=signed_consent.pk).voided_at is None


# --- the patient's medical history ----------------------------------------------------


def _history_rows(org, patient):
    with acting_for(org):
        return [
            (a.public_id, a.voided_at, a.coding)
            for a in pm.Allergy.all_orgs.filter(patient=patient)
        ] + [(x.public_id, x.voided_at) for x in pm.Medication.all_orgs.filter(patient=patient)]


def test_reception_cannot_record_medical_history_through_the_service(
    personas, org, patient, practitioner
):
    form = patient_forms.MedicationForm(
        {"name": "Warfarin", "dose": "5 mg daily", "recorded_on": "2026-11-02"}, patient=patient
    )
    assert form.is_valid(), form.errors
    before, audit = _history_rows(org, patient), _unchanged_audit()
    with acting_for(org), pytest.raises(PermissionDenied, match="clinical staff"):
        patient_services.add_entry(personas["reception"], patient, form)
    assert _history_rows(org, patient) == before and _unchanged_audit() == audit


def test_reception_cannot_void_medical_history_through_the_service(
    personas, org, patient, practitioner
):
    allergy = record_allergy(org, patient, practitioner, "Lidocaine", substance="lidocaine")
    before, audit = _history_rows(org, patient), _unchanged_audit()
    with acting_for(org), pytest.raises(PermissionDenied, match="clinical staff"):
        patient_services.void_entry(personas["reception"], patient, allergy, "Entered in error")
    assert _history_rows(org, patient) == before and _unchanged_audit() == audit


@pytest.mark.parametrize("role", NOT_SIGNING)
def test_only_a_practitioner_codes_an_allergy_through_the_service(
    personas, org, patient, practitioner, role
):
    allergy = record_allergy(org, patient, practitioner, "the pink cream from last time")
    before, audit = _history_rows(org, patient), _unchanged_audit()
    with acting_for(org), pytest.raises(PermissionDenied, match="practitioner codes"):
        patient_services.code_allergy(personas[role], patient, allergy, ["lidocaine"])
    with acting_for(org), pytest.raises(PermissionDenied, match="practitioner codes"):
        patient_services.set_allergy_aside(personas[role], patient, allergy, "Not a drug allergy")
    assert _history_rows(org, patient) == before and _unchanged_audit() == audit
