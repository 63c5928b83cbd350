"""Outcome scores: a patient's assessments (instrument, score, rater, date, session) and
recording one through `outcomes.services.record_assessment`, the page's own service (the
engine scores and checks the answers; a baseline after the first signed session needs
its reason; one record per Idempotency-Key). Clinical: a clinical role and, for a token,
the clinical scope; recording also needs the write scope.
"""

from typing import Any, Literal
from uuid import UUID

from ninja import Header, Query, Router, Status

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import NO_KEY, body_doc, parse, refused, submission_key
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes import services
from mesoclinic.outcomes.access import get_assessment
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan
from mesoclinic.rules import RulesInputError, outcomes
from mesoclinic.treatments.models import TreatmentSession

router = Router(tags=["outcomes"])

SORTS = {"newest": ("-taken_at", "-pk"), "oldest": ("taken_at", "pk")}
RELATED = ("patient", "plan", "session", "created_by", "amends")


class AssessmentParams(cursor.PageParams):
    patient: UUID
    instrument: str | None = None
    voided: bool = False
    sort: Literal["newest", "oldest"] = "newest"


def _name(slug: str) -> str:
    try:
        return outcomes.instrument(slug).name
    except RulesInputError:
        return slug


def _out(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.public_id,
        "patient": a.patient.public_id,
        "instrument": a.instrument,
        "instrument_name": _name(a.instrument),
        "instrument_version": a.instrument_version,
        "timepoint": a.timepoint,
        "rater": a.rater,
        "answers": a.answers,
        "total": a.total,
        "band": a.band,
        "display": a.display,
        "taken_at": a.taken_at,
        "recorded_by": a.created_by.full_name if a.created_by else "",
        "plan": a.plan.public_id if a.plan else None,
        "protocol": a.protocol,
        "area": a.area,
        "side": a.side,
        "session": a.session.public_id if a.session else None,
        "late_reason": a.late_reason,
        "amends": a.amends.public_id if a.amends else None,
        "voided": a.is_voided,
        "voided_at": a.voided_at,
        "void_reason": a.void_reason,
    }


@router.get("", response={200: d.AssessmentPage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_assessments(request: AuthedRequest, params: Query[AssessmentParams]) -> dict[str, Any]:
    """A patient's outcome scores (required: `patient`), voided ones only if asked."""
    require_clinical(request)
    patient = get_patient(params.patient)
    rows = Assessment.objects.filter(patient=patient).select_related(*RELATED)
    if not params.voided:
        rows = rows.filter(voided_at__isnull=True)
    if params.instrument:
        rows = rows.filter(instrument=params.instrument)
    found, after = cursor.page(rows, SORTS[params.sort], params)
    record(request.user, Action.VIEW, patient, detail="api outcomes")
    return {"results": [_out(a) for a in found], "next": after}


@router.get("/{uuid:assessment_id}", response={200: d.AssessmentOut, 403: s.Error, 404: s.Error})
def assessment_detail(request: AuthedRequest, assessment_id: UUID) -> dict[str, Any]:
    require_clinical(request)
    assessment = get_assessment(assessment_id)
    record(request.user, Action.VIEW, assessment, detail="api")
    return _out(assessment)


def _entry(patient: Patient, body: d.AssessmentIn) -> services.Entry:
    plan = session = None
    if body.plan is not None:
        plan = Plan.objects.filter(patient=patient, public_id=body.plan).first()
        if plan is None:
            raise services.AssessmentRefused("That plan is not this patient's.", "plan")
    if body.session is not None:
        session = TreatmentSession.objects.filter(patient=patient, public_id=body.session).first()
        if session is None:
            raise services.AssessmentRefused("That session is not this patient's.", "session")
    return services.Entry(
        instrument=body.instrument, timepoint=body.timepoint, plan=plan, session=session,
        protocol=body.protocol if plan else "", area=body.area, side=body.side,
        taken_at=body.taken_at, late_reason=body.late_reason,
    )  # fmt: skip


@router.post(
    "",
    response={
        200: d.AssessmentOut,
        201: d.AssessmentOut,
        400: d.FieldErrors,
        403: s.Error,
        404: s.Error,
    },
    summary="Record an outcome score",
    openapi_extra=body_doc(d.AssessmentIn),
)
def record_assessment(
    request: AuthedRequest,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Status[Any]:
    """Score and keep one assessment, once per Idempotency-Key: the same key again
    answers 200 with the assessment first recorded (201)."""
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    require_clinical(request, Scope.WRITE)
    body = parse(request, d.AssessmentIn)
    if isinstance(body, Status):
        return body
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    patient = get_patient(body.patient)
    already = services.submitted(key)
    try:
        assessment = services.record_assessment(
            request.user, patient, _entry(patient, body), body.answers, key
        )
    except services.AssessmentRefused as refusal:
        return refused(refusal.message, refusal.field or None)
    found = Assessment.objects.select_related(*RELATED).get(pk=assessment.pk)
    return Status(200 if already else 201, _out(found))
