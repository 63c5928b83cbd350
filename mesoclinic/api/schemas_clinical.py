"""Schemas of the clinical resources: plans, sessions, adverse events and follow-ups."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from mesoclinic.plans.models import PlanStatus
from mesoclinic.treatments.models import SessionStatus
from mesoclinic.treatments.vocab import AdverseEventType, Seriousness

NEXT = "Cursor of the next page; null on the last page."


class Invalid(Schema):
    """Ninja's own answer to a request that does not match the schema."""

    detail: list[dict[str, Any]]


class Refusal(Schema):
    """A refused change: why, and for a field's problem, the field's messages."""

    detail: str
    errors: dict[str, list[str]] | None = None


# What an operation may answer besides its success (401: no token or session; 422:
# ninja's own validation of the query or body).
REFUSED: dict[int, type[Schema]] = {401: Refusal, 403: Refusal, 404: Refusal}
LIST_REFUSED: dict[int, type[Schema]] = {**REFUSED, 400: Refusal, 422: Invalid}
WRITE_REFUSED: dict[int, type[Schema]] = {**LIST_REFUSED, 409: Refusal}


# --- plans ----------------------------------------------------------------------------


class PlanSummary(Schema):
    id: UUID
    patient_id: UUID
    status: PlanStatus
    created_at: datetime
    created_by: str
    cancelled_reason: str


class PlanItem(Schema):
    concern: str
    area: str
    area_name: str
    side: str
    protocol: str | None
    products: list[str]
    formula_mg_per_ml: dict[str, float]
    technique: str
    depth_mm: float | None
    points: int
    volume_per_point_ml: float | None
    dose_per_session_ml: float | None = Field(description="Planned volume per session, in mL.")
    sessions: int


class PlanVersionOut(Schema):
    number: int
    status: Literal["current", "superseded"]
    approved_at: datetime
    approved_by: str
    items: list[PlanItem]


class ConsentOut(Schema):
    id: UUID
    version: int
    status: Literal["awaiting_countersignature", "valid", "withdrawn"]
    patient_typed_name: str
    patient_signed_at: datetime
    signed_at_home: bool
    countersigned_by: str | None
    countersigned_at: datetime | None
    voided_at: datetime | None
    voided_by: str | None
    void_reason: str


class PlanDetail(PlanSummary):
    versions: list[PlanVersionOut]
    consents: list[ConsentOut]


class PlanPage(Schema):
    results: list[PlanSummary]
    next: str | None = Field(description=NEXT)


# --- sessions -------------------------------------------------------------------------


class SessionSummary(Schema):
    id: UUID
    patient_id: UUID
    plan_id: UUID | None
    status: SessionStatus
    site: str
    started_at: datetime
    ended_at: datetime | None
    performed_by: str
    supervised_by: str | None
    signed_by: str | None
    signed_at: datetime | None
    voided_at: datetime | None
    void_reason: str


class Dose(Schema):
    amount: Decimal
    unit: Literal["mL"]


class ChartedRow(Schema):
    id: UUID
    area: str
    area_name: str
    side: str
    technique: str
    product: str
    product_name: str
    lot_id: UUID
    lot_number: str
    lot_expires_on: date
    dose: Dose
    depth_mm: Decimal | None
    needle_length_mm: Decimal | None
    needle_angle_deg: int | None
    injections: int
    points: list[list[float]]
    charted_at: datetime | None
    charted_by: str | None


class Amendment(Schema):
    id: UUID
    text: str
    reason: str
    author: str
    created_at: datetime


class SessionDetail(SessionSummary):
    adhoc_reason: str
    weight_kg: Decimal | None
    lock_version: int = Field(description="Send it back with a charted row.")
    rows: list[ChartedRow]
    amendments: list[Amendment]
    voided_by: str | None


class SessionPage(Schema):
    results: list[SessionSummary]
    next: str | None = Field(description=NEXT)


class ChartIn(Schema):
    area: str
    side: Literal["", "left", "right"] = ""
    technique: str
    lot: UUID
    volume_ml: Decimal
    injections: int | None = Field(None, description="Blank: the plan's points for the area.")
    depth_mm: Decimal | None = None
    needle_length_mm: Decimal | None = None
    needle_angle_deg: int | None = None
    override_reason: str = ""
    lock_version: int = Field(description="The session's lock_version this row was typed on.")


class Charted(Schema):
    row: ChartedRow
    lock_version: int


class ReasonIn(Schema):
    reason: str = Field(description="Why, in words kept with the record (3-500 characters).")


class AmendIn(Schema):
    text: str = Field(description="The correction (up to 5,000 characters).")
    reason: str = Field(description="Why the signed record is corrected (3-500 characters).")


class DoneIn(Schema):
    notes: str = ""


# --- adverse events and follow-ups ------------------------------------------------------


class LotRef(Schema):
    id: UUID
    lot_number: str
    product: str
    product_name: str
    expires_on: date


class AdverseEventOut(Schema):
    id: UUID
    patient_id: UUID
    session_id: UUID | None
    event_type: AdverseEventType
    area: str
    onset_on: date
    grade: int = Field(ge=1, le=5, description="CTCAE v5 grade.")
    serious: bool
    criteria: list[Seriousness]
    description: str
    action_taken: str
    outcome: str
    resolved_on: date | None
    lots: list[LotRef]
    reported_by: str
    created_at: datetime
    voided_at: datetime | None
    voided_by: str | None
    void_reason: str


class AdverseEventPage(Schema):
    results: list[AdverseEventOut]
    next: str | None = Field(description=NEXT)


class AdverseEventIn(Schema):
    patient: UUID
    session: UUID | None = None
    event_type: AdverseEventType
    grade: int = Field(ge=1, le=5)
    seriousness: list[Seriousness] = []
    onset_on: date
    area: str = ""
    description: str
    lots: list[UUID] = Field([], description="Lots charted on this patient.")
    other_lots: str = Field("", description="Other lot numbers of the clinic, comma-separated.")
    action_taken: str = ""
    outcome: str = ""
    resolved_on: date | None = None
    submission_key: UUID | None = Field(
        None, description="The same key sent twice records one event (a retried request)."
    )


class FollowUpOut(Schema):
    id: UUID
    patient_id: UUID
    session_id: UUID | None
    adverse_event_id: UUID | None
    assigned_to: str
    due_on: date
    reason: str
    done_at: datetime | None
    done_by: str | None
    notes: str


class FollowUpPage(Schema):
    results: list[FollowUpOut]
    next: str | None = Field(description=NEXT)
