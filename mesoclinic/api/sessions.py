"""Treatment sessions: lists, the chart of one, and charting and sign-off through the very
services (and the very form) the session page uses, so a limit the page refuses is
refused here too."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Query, Router, Status

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas_clinical as s
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import as_form_data, body_doc, form_refused, read_body, refused
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.plans.access import get_plan
from mesoclinic.plans.models import Plan
from mesoclinic.scheduling.access import get_clinician, get_site
from mesoclinic.treatments import charting, inventory, sessions
from mesoclinic.treatments import session_forms as forms
from mesoclinic.treatments.access import get_session, get_session_to_sign
from mesoclinic.treatments.models import (
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)
from mesoclinic.treatments.start_page import precheck

router = Router(tags=["sessions"])

CENTS = Decimal("0.01")  # the column's places, also on a row just charted
SORTS = {"-started_at": ("-started_at", "-id"), "started_at": ("started_at", "id")}


class SessionParams(cursor.PageParams):
    patient: UUID | None = None
    status: SessionStatus | None = None
    started_from: date | None = None
    started_to: date | None = None
    sort: Literal["-started_at", "started_at"] = "-started_at"


def _name(user: Any) -> str | None:
    return user.full_name if user is not None else None


def _summary(session: TreatmentSession) -> dict[str, Any]:
    return {
        "id": session.public_id,
        "patient_id": session.patient.public_id,
        "plan_id": session.plan.public_id if session.plan else None,
        "status": session.status,
        "site": session.site.name,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "performed_by": session.performed_by.full_name,
        "supervised_by": _name(session.supervised_by),
        "signed_by": _name(session.signed_by),
        "signed_at": session.signed_at,
        "voided_at": session.voided_at,
        "void_reason": session.void_reason,
    }


def charted_row(row: SessionArea) -> dict[str, Any]:
    ref = rules.load_reference()
    product, area = ref.products.get(row.lot.product), ref.areas.get(row.area)
    return {
        "id": row.public_id,
        "area": row.area,
        "area_name": area.name if area else row.area,
        "side": row.side,
        "technique": row.technique,
        "product": row.lot.product,
        "product_name": product.name if product else row.lot.product,
        "lot_id": row.lot.public_id,
        "lot_number": row.lot.lot_number,
        "lot_expires_on": row.lot.expires_on,
        "dose": {"amount": Decimal(row.volume_ml).quantize(CENTS), "unit": "mL"},
        "depth_mm": row.depth_mm,
        "needle_length_mm": row.needle_length_mm,
        "needle_angle_deg": row.needle_angle_deg,
        "injections": row.injections,
        "points": row.points,
        "charted_at": row.created_at,
        "charted_by": _name(row.changed_by),
    }


def _detail(session: TreatmentSession) -> dict[str, Any]:
    rows = SessionArea.objects.filter(session=session).select_related("lot", "changed_by")
    amendments = SessionAmendment.objects.filter(session=session).select_related("author")
    return {
        **_summary(session),
        "adhoc_reason": session.adhoc_reason,
        "weight_kg": session.weight_kg,
        "lock_version": session.lock_version,
        "rows": [charted_row(r) for r in rows.order_by("id")],
        "amendments": [
            {
                "id": a.public_id,
                "text": a.text,
                "reason": a.reason,
                "author": a.author.full_name,
                "created_at": a.created_at,
            }
            for a in amendments.order_by("created_at", "id")
        ],
        "voided_by": _name(session.voided_by),
        "precheck": _precheck(session.precheck),
    }


def _precheck(kept: dict[str, Any] | None) -> dict[str, Any] | None:
    if not kept:
        return None
    numbing = kept.get("numbing") or {}
    return {
        "pregnancy": kept.get("pregnancy", ""),
        "infected_areas": kept.get("infected_areas", []),
        "numbing_product": kept.get("numbing_product", ""),
        "numbing_amount_g": numbing.get("amount_g"),
        "numbing_applied_at": kept.get("numbing_applied_at", ""),
        "photos_taken": bool(kept.get("photos_taken")),
        "injector_device": kept.get("injector_device", ""),
        "warnings": [str(w) for w in kept.get("warnings", [])],
    }


def _listed(params: SessionParams) -> QuerySet[TreatmentSession]:
    rows = TreatmentSession.objects.select_related(
        "patient", "plan", "site", "performed_by", "supervised_by", "signed_by"
    )
    if params.status:
        rows = rows.filter(status=params.status)
    if params.started_from:
        rows = rows.filter(started_at__date__gte=params.started_from)
    if params.started_to:
        rows = rows.filter(started_at__date__lte=params.started_to)
    return rows


@router.get("", response={200: s.SessionPage, **s.LIST_REFUSED})
def list_sessions(request: AuthedRequest, params: Query[SessionParams]) -> Any:
    require_clinical(request)
    if params.started_from and params.started_to and params.started_from > params.started_to:
        return Status(400, {"detail": "started_from: it is after started_to."})
    rows = _listed(params)
    patient = get_patient(params.patient) if params.patient else None
    if patient is not None:
        rows = rows.filter(patient=patient)
    page, after = cursor.page(rows, SORTS[params.sort], params)
    if patient is not None:
        record(request.user, Action.VIEW, patient, detail="api sessions")
    else:
        record(request.user, Action.SEARCH, object_type="treatmentsession", detail="api sessions")
    return {"results": [_summary(x) for x in page], "next": after}


# A start sent again by the same caller this soon answers with the session it started.
RETRY_WINDOW = timedelta(minutes=10)


def _retried(request: AuthedRequest, plan: Plan) -> TreatmentSession | None:
    return TreatmentSession.objects.filter(
        plan=plan,
        performed_by=request.user,
        status=SessionStatus.IN_PROGRESS,
        started_at__gte=timezone.now() - RETRY_WINDOW,
    ).first()


@router.post(
    "",
    response={200: s.SessionDetail, 201: s.SessionDetail, **s.WRITE_REFUSED},
    summary="Start a session",
    openapi_extra=body_doc(s.SessionStartIn),
)
def start_session(request: AuthedRequest) -> Any:
    """Start a session of a consented plan, as the start page does: the same form and the
    same service, so today's answers (pregnancy, infection in an area, weight, numbing
    cream) re-check the plan against the patient's whole charted record, and a hard stop
    refuses the start. A patient has one session in progress at a time: the same start
    sent again by its caller within ten minutes answers 200 with the session it started;
    otherwise another start is a 409."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    body = read_body(request, s.SessionStartIn)
    plan = get_plan(body.plan)
    site = get_site(body.site)
    values = body.dict(exclude={"plan", "site", "supervised_by"})
    values["site"] = site.pk
    if body.supervised_by is not None:
        values["supervised_by"] = get_clinician(body.supervised_by).pk
    areas = [a["area"] for a in sessions.planned_areas(plan)]
    form = forms.PrecheckForm(as_form_data(values), patient=plan.patient, areas=areas)
    if not form.is_valid():
        return form_refused(form)
    data = form.cleaned_data
    try:
        session = sessions.start(
            request.user, plan, data["site"], precheck(data), data["supervised_by"]
        )
    except sessions.SessionRefused as refusal:
        if str(refusal) == sessions.ALREADY_OPEN:
            if (again := _retried(request, plan)) is not None:
                return Status(200, _detail(get_session(again.public_id)))
            return refused(str(refusal), status=409)
        field = refusal.field if refusal.field in form.fields else None
        return refused(str(refusal), field)
    return Status(201, _detail(get_session(session.public_id)))


@router.get("/{uuid:session_id}", response={200: s.SessionDetail, **s.REFUSED})
def session_detail(request: AuthedRequest, session_id: UUID) -> Any:
    require_clinical(request)
    session = get_session(session_id)
    record(request.user, Action.VIEW, session, detail="api")
    return _detail(session)


def _refusal(
    session: TreatmentSession, lock_version: int, refusal: sessions.SessionRefused
) -> Status[dict[str, Any]]:
    """400 for a refused row; 409 when the session moved on (charted meanwhile, the same
    row sent twice, signed or voided), saying how to carry on."""
    session.refresh_from_db(fields=["lock_version", "status"])
    if session.status != SessionStatus.IN_PROGRESS:
        return refused(str(refusal), status=409)
    if session.lock_version != lock_version:
        detail = (
            "The session was charted meanwhile (or this row was sent twice): read it "
            f"again; its lock_version is now {session.lock_version}."
        )
        return refused(detail, status=409)
    return refused(str(refusal), refusal.field)


@router.post(
    "/{uuid:session_id}/areas",
    response={201: s.Charted, **s.WRITE_REFUSED},
    openapi_extra=body_doc(s.ChartIn),
)
def chart_area(request: AuthedRequest, session_id: UUID) -> Any:
    """Chart one row, as the session page's chart form does: the same form, the same
    service, the same checks against the patient's whole record."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    session = get_session(session_id)
    body = read_body(request, s.ChartIn)
    form = forms.chart_form(session, as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    data = dict(form.cleaned_data)
    try:
        lot = inventory.lot_for_charting(data.pop("lot"), timezone.localdate(), site=session.site)
    except inventory.LotUnusable as refusal:
        return refused(str(refusal), "lot")
    lock_version, reason = data.pop("lock_version"), data.pop("override_reason")
    try:
        data["side"] = data.get("side") or ""
        row = charting.chart_area(request.user, session, data, lot, lock_version, reason)
    except sessions.SessionRefused as refusal:
        return _refusal(session, lock_version, refusal)
    row.lot = lot
    return Status(201, {"row": charted_row(row), "lock_version": session.lock_version})


@router.post(
    "/{uuid:session_id}/sign",
    response={200: s.SessionDetail, **s.WRITE_REFUSED},
)
def sign_session(request: AuthedRequest, session_id: UUID) -> Any:
    """Sign off, as the sign-off page does; signing a signed session again changes nothing."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.SIGN_CLINICAL, Scope.WRITE)
    try:
        sessions.sign(request.user, get_session_to_sign(session_id))
    except sessions.SessionRefused as refusal:
        voided = get_session(session_id).status == SessionStatus.VOIDED
        return refused(str(refusal), status=409 if voided else 400)
    return _detail(get_session(session_id))


@router.post(
    "/{uuid:session_id}/void",
    response={200: s.SessionDetail, **s.WRITE_REFUSED},
    openapi_extra=body_doc(s.ReasonIn),
)
def void_session(request: AuthedRequest, session_id: UUID) -> Any:
    """Void a session charted in error, with a reason, as the session page does: it stays
    in the record (who, when, why); voiding it again changes nothing."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.SIGN_CLINICAL, Scope.WRITE)
    session = get_session(session_id)
    body = read_body(request, s.ReasonIn)
    form = forms.ReasonForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    try:
        sessions.void(request.user, session, form.cleaned_data["reason"])
    except sessions.SessionRefused as refusal:
        return refused(str(refusal), status=409)
    return _detail(get_session(session_id))


@router.post(
    "/{uuid:session_id}/amendments",
    response={201: s.SessionDetail, **s.WRITE_REFUSED},
    openapi_extra=body_doc(s.AmendIn),
)
def amend_session(request: AuthedRequest, session_id: UUID) -> Any:
    """Correct a signed session as the page does: the original is kept and the amendment
    is added with its author and reason. The same amendment sent twice is recorded once."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    session = get_session(session_id)
    body = read_body(request, s.AmendIn)
    form = forms.AmendForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    try:
        sessions.amend(
            request.user, session, form.cleaned_data["text"], form.cleaned_data["reason"]
        )
    except sessions.SessionRefused as refusal:
        return refused(str(refusal), status=409)
    return Status(201, _detail(get_session(session_id)))
