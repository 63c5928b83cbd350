"""Input no person types but a tool can send: a NUL byte in a text field is refused next
to the field with everything else typed kept, on SQLite and PostgreSQL alike (where
PostgreSQL would refuse to store it and answer 500)."""

import datetime as dt

import pytest
from django.urls import reverse

from mesoclinic.patients import models as pm
from mesoclinic.plans.models import PlanStatus
from mesoclinic.scheduling.models import Status
from mesoclinic.tenancy import acting_for
from tests.factories import (
    DCA,
    book,
    client_for,
    draft_plan,
    local,
    next_weekday,
    open_clinic,
    reload_plan,
)

NUL = "Null characters are not allowed."


def field_block(body: str, name: str) -> str:
    """The markup from the field's label to the next field's label."""
    start = body.index(f'for="id_{name}"')
    end = body.find("<label", start + 1)
    return body[start : end if end != -1 else len(body)]


PATIENT = {
    "first_name": "Lea",
    "last_name": "Dubois",
    "date_of_birth": "1990-02-03",
    "sex": "F",
    "phone": "+33 6 12 34 56 78",
    "email": "lea@example.com",
    "weight_kg": "61.5",
    "height_cm": "168",
}


@pytest.mark.parametrize("field", ["first_name", "last_name", "phone"])
def test_the_patient_form_refuses_a_nul_byte_next_to_the_field(org, practitioner, field):
    data = {**PATIENT, field: PATIENT[field][:2] + "\x00" + PATIENT[field][2:]}
    response = client_for(practitioner).post(reverse("patient_new"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert NUL in field_block(body, field)
    kept = next(name for name in ("first_name", "last_name") if name != field)
    assert f'value="{PATIENT[kept]}"' in body
    with acting_for(org):
        assert not pm.Patient.objects.exists()


def test_the_patient_edit_form_refuses_a_nul_byte(org, reception, patient):
    url = reverse("patient_edit", args=[patient.public_id])
    data = {**PATIENT, "last_name": "Gar\x00cía"}
    response = client_for(reception).post(url, data)
    assert response.status_code == 400
    assert NUL in field_block(response.content.decode(), "last_name")
    with acting_for(org):
        patient.refresh_from_db()
    assert patient.last_name == "García"


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("allergy", {"substance_text": "La\x00tex", "reaction": "Hives"}, "substance_text"),
        ("allergy", {"substance_text": "Latex", "reaction": "Hi\x00ves"}, "reaction"),
        ("medication", {"name": "Warf\x00arin"}, "name"),
    ],
)
def test_a_history_entry_refuses_a_nul_byte_next_to_the_field(
    org, practitioner, patient, kind, data, field
):
    url = reverse("entry_add", args=[patient.public_id, kind])
    posted = {"severity": "moderate", "recorded_on": "2026-11-01", **data}
    response = client_for(practitioner).post(url, posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert NUL in field_block(body, field)
    assert 'value="2026-11-01"' in body
    with acting_for(org):
        assert not pm.Allergy.objects.exists() and not pm.Medication.objects.exists()


def test_cancelling_an_appointment_refuses_a_nul_byte_in_the_reason(
    org, site, reception, practitioner, patient
):
    clinic = open_clinic(org, site)
    appt = book(org, reception, clinic, patient, practitioner, local(next_weekday(2), 10))
    url = reverse("appointment_status", args=[appt.public_id, "cancel"])
    response = client_for(reception).post(url, {"reason": "Patient \x00 ill"})
    assert response.status_code == 400
    assert NUL in response.content.decode()
    with acting_for(org):
        appt.refresh_from_db()
    assert appt.status != Status.CANCELLED


def test_cancelling_a_plan_refuses_a_nul_byte_in_the_reason(org, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, DCA, start=dt.date.today().isoformat())
    url = reverse("plan_cancel", args=[plan.public_id])
    response = client_for(practitioner).post(url, {"reason": "Chose \x00 surgery"}, follow=True)
    assert NUL in response.content.decode()
    assert reload_plan(org, plan).status == PlanStatus.DRAFT
