"""Billing's invoices as the payments app reads them (issue 17)."""

from decimal import Decimal

from mesoclinic.patients.models import Patient
from mesoclinic.payments.money import ZERO


def issued_totals(patient: Patient) -> tuple[Decimal, Decimal]:
    """What the patient's issued invoices charged and their issued credit notes gave back."""
    del patient
    return ZERO, ZERO


def of_patient(patient: Patient) -> list:
    del patient
    return []
