"""Schemas of the clinical resources: plans, sessions, adverse events and follow-ups."""

from datetime import date, datetime, time
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


class Finding(Schema):
    """What the rules engine says of the draft: a hard stop blocks approval."""

    code: str = Field(description="The finding's code, for an override.")
    message: str
    grade: str = Field(description="Evidence grade of the rule: A is never overridden.")
    overridable: bool
    area: str | None
    source: str | None = Field(description="Where clinical-reference.md gives the limit.")


class OverrideOut(Schema):
    code: str
    area: str | None
    reason: str
    by: str
    at: str


class PlanDraft(Schema):
    """The plan as being edited, evaluated against the patient's whole charted record."""

    start: date
    items: list[PlanItem] = Field(description="The engine's plan, one entry per area side.")
    requested: list[dict[str, Any]] = Field(
        description="The items as edited (index = the position used by /areas/{index})."
    )
    hard_stops: list[Finding]
    warnings: list[Finding]
    overrides: list[OverrideOut]
    error: str | None = Field(description="Why the engine could not plan these inputs.")


class PlanDetail(PlanSummary):
    lock_version: int = Field(description="Send it back with a change; 409 if it moved.")
    draft: PlanDraft | None = Field(description="Present while the plan can be edited.")
    versions: list[PlanVersionOut]
    consents: list[ConsentOut]


class PlanIn(Schema):
    patient: UUID = Field(description="The patient; the draft starts from their concerns.")


class LockIn(Schema):
    lock_version: int = Field(ge=0, description="The plan's lock_version as last read.")


class AreaIn(LockIn):
    concern: str = Field(description="A concern code, as in the reference's concerns.")
    area: str = Field(description="An area code, as in the reference's areas.")
    side: Literal["", "left", "right", "both"] = ""


class ItemIn(LockIn):
    """An area's settings; a field left out means the protocol's default."""

    concern: str
    protocol: str | None = None
    products: list[str] = []
    side: Literal["", "left", "right", "both"] = ""
    technique: str | None = None
    depth_mm: float | None = None
    spacing_mm: float | None = None
    volume_per_point_ml: float | None = None
    sessions: int | None = None
    interval_days: int | None = None


class StartIn(LockIn):
    start: date = Field(description="The first session's date.")


class OverrideIn(LockIn):
    code: str = Field(description="A grade-B or C finding's code from the draft.")
    area: str = ""
    reason: str = Field(description="Why, kept with the plan (3-500 characters).")
    confirmed_by: UUID | None = Field(
        None, description="Another practitioner confirming a pregnancy or breastfeeding stop."
    )
    patient_acknowledged: bool = False


class ConsentDocument(Schema):
    plan_id: UUID
    version: int
    text: str = Field(description="The document the patient reads, in the clinic's words.")
    text_hash: str = Field(description="Send it back with the signature.")


class SignIn(Schema):
    typed_name: str = Field(description="The patient's full name, as on their record.")
    signature: str = Field("", description="The drawn signature as a data:image/png URL.")
    understood: bool = Field(description="The patient has read and understood the document.")
    text_hash: str = Field(description="The text_hash of the document the patient read.")


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


PregnancyAnswerName = Literal["no", "pregnant", "breastfeeding"]


class SessionStartIn(Schema):
    """Today's pre-treatment check, as the start page asks it."""

    plan: UUID = Field(description="A consented (or active) plan of the patient.")
    site: UUID
    pregnancy: PregnancyAnswerName | None = Field(
        None,
        description="Asked today. Required, except for a patient recorded as male, who is "
        'not asked: the session records "not-asked" and ignores a value sent.',
    )
    infected_areas: list[str] = Field(
        default_factory=list, description="Area codes of the plan with infection seen today."
    )
    weight_kg: Decimal | None = Field(None, description="Weighed today, in kg.")
    weight_confirmed: bool = Field(
        False, description="Confirms a weight more than 10% off the last recorded one."
    )
    numbing_product: str = Field("", description="A topical product's code, or empty.")
    numbing_amount_g: Decimal | None = None
    numbing_applied_at: time | None = None
    photos_taken: bool = Field(False, description="Before photos taken.")
    injector_device: str = Field("", max_length=200)
    supervised_by: UUID | None = Field(None, description="The supervising practitioner.")
    override_reason: str = Field(
        "", max_length=500, description="Only when today's check finds a grade-B limit."
    )


class PrecheckOut(Schema):
    pregnancy: str = Field(description='"no", "pregnant", "breastfeeding" or "not-asked".')
    infected_areas: list[str]
    numbing_product: str
    numbing_amount_g: float | None
    numbing_applied_at: str
    photos_taken: bool
    injector_device: str
    warnings: list[str] = Field(description="The engine's warnings for today, in words.")


class SessionDetail(SessionSummary):
    adhoc_reason: str
    weight_kg: Decimal | None
    precheck: PrecheckOut | None = Field(description="Today's answers at the start.")
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
