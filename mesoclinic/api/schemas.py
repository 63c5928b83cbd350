from datetime import date, datetime
from typing import Any
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


class PatientPage(Schema):
    results: list[PatientSummary]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")
