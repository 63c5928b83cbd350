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


class PatientChange(Schema):
    """The fields to change, as the patient form edits them; a field left out stays as it
    is, null clears it. Measurements and notes are clinical, as for a new patient."""

    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: date | None = None
    sex: Literal["F", "M", "X", "U"] | None = None
    phone: str | None = None
    email: str | None = None
    contact_by: Literal["email", "sms", "both", "none"] | None = None
    address: str | None = None
    occupation: str | None = None
    emergency_contact_name: str | None = None
    emergency_contact_phone: str | None = None
    home_site: UUID | None = None
    weight_kg: Decimal | None = None
    height_cm: Decimal | None = None
    measured_on: date | None = None
    fitzpatrick: int | None = Field(None, description="Fitzpatrick skin type, 1-6.")
    notes: str | None = None


HistoryKind = Literal[
    "allergy", "no-known-allergies", "medication", "condition", "pregnancy", "infection",
    "lifestyle", "concern",
]  # fmt: skip


class HistoryIn(Schema):
    """One entry of the medical history, with the fields of its kind's form (the others
    are ignored): allergy (substance or substance_text, reaction, severity),
    no-known-allergies, medication (name, dose), condition (condition, area, notes),
    pregnancy (status, confirmed_on), infection (area, description, resolved_on),
    lifestyle (factor, notes), concern (concern, areas, goals, expectations)."""

    kind: HistoryKind
    recorded_on: date
    substance: str = ""
    substance_text: str = ""
    reaction: str = ""
    severity: str = ""
    name: str = ""
    dose: str = ""
    condition: str = ""
    area: str = ""
    notes: str = ""
    status: str = ""
    confirmed_on: date | None = None
    description: str = ""
    resolved_on: date | None = None
    factor: str = ""
    concern: str = ""
    areas: list[str] = []
    goals: str = ""
    expectations: str = ""


class PatientPage(Schema):
    results: list[PatientSummary]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")
