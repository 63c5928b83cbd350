"""Treatment plans: a patient's plans, and one with its approved versions and consents."""

from typing import Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Query, Router, Status

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas_clinical as s
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.patients import AGAIN_WITHIN
from mesoclinic.api.refusals import body_doc, read_body
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.plans import services
from mesoclinic.plans.access import get_plan
from mesoclinic.plans.models import Consent, Plan, PlanStatus, PlanVersion

router = Router(tags=["plans"])

SORTS = {"-created_at": ("-created_at", "-id"), "created_at": ("created_at", "id")}


class PlanParams(cursor.PageParams):
    patient: UUID | None = None
    status: PlanStatus | None = None
    sort: Literal["-created_at", "created_at"] = "-created_at"


def _summary(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.public_id,
        "patient_id": plan.patient.public_id,
        "status": plan.status,
        "created_at": plan.created_at,
        "created_by": plan.created_by.full_name,
        "cancelled_reason": plan.cancelled_reason,
    }


def _item(area: dict[str, Any]) -> dict[str, Any]:
    known = rules.load_reference().areas.get(area["area"])
    return {
        "concern": area["concern"],
        "area": area["area"],
        "area_name": known.name if known else area["area"],
        "side": area.get("side") or "",
        "protocol": area.get("protocol"),
        "products": area.get("products", []),
        "formula_mg_per_ml": area.get("formula_mg_per_ml", {}),
        "technique": area["technique"],
        "depth_mm": area.get("depth_mm"),
        "points": area.get("point_count", len(area.get("points", []))),
        "volume_per_point_ml": area.get("volume_per_point_ml"),
        "dose_per_session_ml": area.get("total_volume_ml"),
        "sessions": area.get("sessions", 1),
    }


def _consent_status(consent: Consent) -> str:
    if consent.voided_at is not None:
        return "withdrawn"
    return "valid" if consent.countersigned_at else "awaiting_countersignature"


def consent_out(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.public_id,
        "version": consent.plan_version.number,
        "status": _consent_status(consent),
        "patient_typed_name": consent.patient_typed_name,
        "patient_signed_at": consent.patient_signed_at,
        "signed_at_home": consent.signed_at_home,
        "countersigned_by": consent.countersigned_by.full_name
        if consent.countersigned_by
        else None,
        "countersigned_at": consent.countersigned_at,
        "voided_at": consent.voided_at,
        "voided_by": consent.voided_by.full_name if consent.voided_by else None,
        "void_reason": consent.void_reason,
    }


@router.get("", response={200: s.PlanPage, **s.LIST_REFUSED})
def list_plans(request: AuthedRequest, params: Query[PlanParams]) -> Any:
    require_clinical(request)
    rows = Plan.objects.select_related("patient", "created_by")
    if params.status:
        rows = rows.filter(status=params.status)
    patient = get_patient(params.patient) if params.patient else None
    if patient is not None:
        rows = rows.filter(patient=patient)
    page, after = cursor.page(rows, SORTS[params.sort], params)
    if patient is not None:
        record(request.user, Action.VIEW, patient, detail="api plans")
    else:
        record(request.user, Action.SEARCH, object_type="plan", detail="api plans")
    return {"results": [_summary(p) for p in page], "next": after}


@router.post(
    "",
    response={201: s.PlanDetail, 200: s.PlanDetail, **s.WRITE_REFUSED},
    openapi_extra=body_doc(s.PlanIn),
)
def create_plan(request: AuthedRequest) -> Any:
    """Start a draft plan for a patient, with an area for each of their charted concerns,
    as the chart's "New plan" button does. The same request sent again by the same caller
    within ten minutes answers 200 with the draft first made, if nobody has edited it."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    body = read_body(request, s.PlanIn)
    patient = get_patient(body.patient)
    again = Plan.objects.filter(
        patient=patient,
        created_by=request.user,
        status=PlanStatus.DRAFT,
        lock_version=0,
        created_at__gte=timezone.now() - AGAIN_WITHIN,
    ).first()
    if again is not None:
        return Status(200, detail(get_plan(again.public_id)))
    plan = services.create_plan(request.user, patient)
    return Status(201, detail(get_plan(plan.public_id)))


@router.get("/{uuid:plan_id}", response={200: s.PlanDetail, **s.REFUSED})
def plan_detail(request: AuthedRequest, plan_id: UUID) -> Any:
    require_clinical(request)
    plan = get_plan(plan_id)
    record(request.user, Action.VIEW, plan, detail="api")
    return detail(plan)


def _draft(plan: Plan) -> dict[str, Any]:
    evaluation = services.evaluate(plan.patient, plan.inputs, plan=plan)
    result = evaluation.result or {}
    return {
        "start": services.start_date(plan.inputs),
        "items": [_item(a) for a in result.get("areas", [])],
        "requested": plan.inputs.get("items", []),
        "hard_stops": result.get("hard_stops", []),
        "warnings": result.get("warnings", []),
        "overrides": plan.inputs.get("overrides", []),
        "error": evaluation.error,
    }


def detail(plan: Plan) -> dict[str, Any]:
    """The plan with its draft (while editable), its approved versions and its consents."""
    versions = list(
        PlanVersion.objects.filter(plan=plan).select_related("approved_by").order_by("number")
    )
    consents = Consent.objects.filter(plan=plan).select_related(
        "plan_version", "countersigned_by", "voided_by", "created_by"
    )
    return {
        **_summary(plan),
        "lock_version": plan.lock_version,
        "draft": _draft(plan) if plan.is_editable else None,
        "versions": [
            {
                "number": v.number,
                "status": "current" if v is versions[-1] else "superseded",
                "approved_at": v.approved_at,
                "approved_by": v.approved_by.full_name,
                "items": [_item(a) for a in v.result.get("areas", [])],
            }
            for v in versions
        ],
        "consents": [consent_out(c) for c in consents.order_by("patient_signed_at", "id")],
    }
