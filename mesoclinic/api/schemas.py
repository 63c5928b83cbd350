from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class Error(Schema):
    detail: str


class ValidationErrors(Schema):
    """django-ninja's own answer (422) to a parameter of the wrong type or out of range."""

    detail: list[dict[str, Any]]


class PatientSummary(Schema):
    id: UUID
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    phone: str
    email: str


class Alert(Schema):
    kind: str
    text: str


class HistoryItem(Schema):
    id: UUID
    kind: str
    text: str
    recorded_on: date
    recorded_by: str


class PatientDetail(PatientSummary):
    address: str
    occupation: str
    weight_kg: float | None = None
    height_cm: float | None = None
    fitzpatrick: int | None = None
    alerts: list[Alert] | None = None
    history: list[HistoryItem] | None = None
    updated_at: datetime


CLINICAL_FIELDS = ("weight_kg", "height_cm", "measured_on", "fitzpatrick", "notes")


class PatientIn(Schema):
    """A new patient, as the patient form takes one. Measurements and notes are clinical:
    a caller without a clinical role (or a token without the clinical scope) leaves them
    out."""

    first_name: str
    last_name: str
    date_of_birth: date
    sex: Literal["F", "M", "X", "U"] = Field(description="F, M, X (intersex/other), U.")
    phone: str = ""
    email: str = ""
    contact_by: Literal["email", "sms", "both", "none"] = "email"
    address: str = ""
    occupation: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    home_site: UUID | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    measured_on: date | None = None
    fitzpatrick: int | None = Field(None, description="Fitzpatrick skin type, 1-6.")
    notes: str = ""
    duplicate_ok: bool = Field(
        False, description="Create it although a patient of that name and birth date exists."
    )


class PatientPage(Schema):
    results: list[PatientSummary]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")
