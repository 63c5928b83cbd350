"""Adverse events and follow-up tasks: lists per patient or session, one of each, and an
adverse event recorded through the page's own form and service."""

from typing import Any, Literal
from uuid import UUID

from django.db.models import QuerySet
from ninja import Query, Router, Status

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas_clinical as s
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import as_form_data, body_doc, form_refused, read_body
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.treatments import safety
from mesoclinic.treatments.access import get_adverse_event, get_follow_up, get_session
from mesoclinic.treatments.models import AdverseEvent, FollowUpTask, TreatmentSession
from mesoclinic.treatments.safety_forms import AdverseEventForm, FollowUpDoneForm, VoidEventForm

events = Router(tags=["adverse events"])
follow_ups = Router(tags=["follow-ups"])

EVENT_SORTS = {"-onset_on": ("-onset_on", "-id"), "onset_on": ("onset_on", "id")}
TASK_SORTS = {"due_on": ("due_on", "id"), "-due_on": ("-due_on", "-id")}


class Filters(cursor.PageParams):
    patient: UUID | None = None
    session: UUID | None = None


class EventParams(Filters):
    serious: bool | None = None
    sort: Literal["-onset_on", "onset_on"] = "-onset_on"


class TaskParams(Filters):
    status: Literal["open", "done"] | None = None
    sort: Literal["due_on", "-due_on"] = "due_on"


def _name(user: Any) -> str | None:
    return user.full_name if user is not None else None


def _event(event: AdverseEvent) -> dict[str, Any]:
    ref = rules.load_reference()
    return {
        "id": event.public_id,
        "patient_id": event.patient.public_id,
        "session_id": event.session.public_id if event.session else None,
        "event_type": event.event_type,
        "area": event.area,
        "onset_on": event.onset_on,
        "grade": event.grade,
        "serious": event.serious,
        "criteria": event.criteria,
        "description": event.description,
        "action_taken": event.action_taken,
        "outcome": event.outcome,
        "resolved_on": event.resolved_on,
        "lots": [
            {
                "id": lot.public_id,
                "lot_number": lot.lot_number,
                "product": lot.product,
                "product_name": p.name if (p := ref.products.get(lot.product)) else lot.product,
                "expires_on": lot.expires_on,
            }
            for lot in event.lots.all()
        ],
        "reported_by": event.reported_by.full_name,
        "created_at": event.created_at,
        "voided_at": event.voided_at,
        "voided_by": _name(event.voided_by),
        "void_reason": event.void_reason,
    }


def _task(task: FollowUpTask) -> dict[str, Any]:
    return {
        "id": task.public_id,
        "patient_id": task.patient.public_id,
        "session_id": task.session.public_id if task.session else None,
        "adverse_event_id": task.adverse_event.public_id if task.adverse_event else None,
        "assigned_to": task.assigned_to.full_name,
        "due_on": task.due_on,
        "reason": task.reason,
        "done_at": task.done_at,
        "done_by": _name(task.done_by),
        "notes": task.notes,
    }


def _scoped(
    request: AuthedRequest, rows: QuerySet[Any], params: Filters, kind: str
) -> QuerySet[Any]:
    """Rows of the patient or session asked for (404 for another organization's), audited
    once: a view of that patient or session, else a search."""
    target: Patient | TreatmentSession | None = None
    if params.patient:
        target = get_patient(params.patient)
        rows = rows.filter(patient=target)
    if params.session:
        session = get_session(params.session)
        rows = rows.filter(session=session)
        target = target or session
    if target is not None:
        record(request.user, Action.VIEW, target, detail=f"api {kind}")
    else:
        record(request.user, Action.SEARCH, object_type=kind, detail=f"api {kind}")
    return rows


@events.get("", response={200: s.AdverseEventPage, **s.LIST_REFUSED})
def list_adverse_events(request: AuthedRequest, params: Query[EventParams]) -> Any:
    require_clinical(request)
    rows = safety.with_lots(AdverseEvent.objects.select_related("voided_by"))
    if params.serious is not None:
        rows = rows.filter(serious=params.serious)
    rows = _scoped(request, rows, params, "adverse events")
    page, after = cursor.page(rows, EVENT_SORTS[params.sort], params)
    return {"results": [_event(e) for e in page], "next": after}


@events.get("/{uuid:event_id}", response={200: s.AdverseEventOut, **s.REFUSED})
def adverse_event_detail(request: AuthedRequest, event_id: UUID) -> Any:
    require_clinical(request)
    event = get_adverse_event(event_id)
    record(request.user, Action.VIEW, event, detail="api")
    return _event(event)


@events.post(
    "",
    response={201: s.AdverseEventOut, 200: s.AdverseEventOut, **s.LIST_REFUSED},
    openapi_extra=body_doc(s.AdverseEventIn),
)
def record_adverse_event(request: AuthedRequest) -> Any:
    """Record an event as the page's form does; the same `submission_key` twice records one."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    body = read_body(request, s.AdverseEventIn)
    patient = get_patient(body.patient)
    if (done := safety.submitted_event(patient, body.submission_key)) is not None:
        return Status(200, _event(get_adverse_event(done.public_id)))
    values = body.dict(exclude={"patient"})
    values["lots"] = [str(lot) for lot in body.lots]
    values["seriousness"] = [str(c) for c in body.seriousness]
    form = AdverseEventForm(as_form_data(values), patient=patient)
    if not form.is_valid():
        return form_refused(form)
    event = safety.record_event(
        request.user,
        patient,
        form.event_data(),
        form.all_lots(),
        submission_key=form.cleaned_data["submission_key"],
    )
    return Status(201, _event(get_adverse_event(event.public_id)))


@events.post(
    "/{uuid:event_id}/void",
    response={200: s.AdverseEventOut, **s.WRITE_REFUSED},
    openapi_extra=body_doc(s.ReasonIn),
)
def void_adverse_event(request: AuthedRequest, event_id: UUID) -> Any:
    """Void an event recorded in error, as the event page does: it leaves the safety list
    and stays in the record; its open follow-ups close with the reason. Twice: no change."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.SIGN_CLINICAL, Scope.WRITE)
    event = get_adverse_event(event_id)
    body = read_body(request, s.ReasonIn)
    form = VoidEventForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    safety.void_event(request.user, event, form.cleaned_data["reason"])
    return _event(get_adverse_event(event_id))


@follow_ups.get("", response={200: s.FollowUpPage, **s.LIST_REFUSED})
def list_follow_ups(request: AuthedRequest, params: Query[TaskParams]) -> Any:
    require_clinical(request)
    rows = FollowUpTask.objects.select_related(
        "patient", "session", "adverse_event", "assigned_to", "done_by"
    )
    # As the page: those who do not sign see their own tasks only (access.get_follow_up).
    if not roles.can(request.user, roles.SIGN_CLINICAL):
        rows = rows.filter(assigned_to=request.user)
    if params.status:
        rows = rows.filter(done_at__isnull=params.status == "open")
    rows = _scoped(request, rows, params, "follow-ups")
    page, after = cursor.page(rows, TASK_SORTS[params.sort], params)
    return {"results": [_task(t) for t in page], "next": after}


@follow_ups.get("/{uuid:task_id}", response={200: s.FollowUpOut, **s.REFUSED})
def follow_up_detail(request: AuthedRequest, task_id: UUID) -> Any:
    require_clinical(request)
    task = get_follow_up(request.user, task_id)
    record(request.user, Action.VIEW, task, detail="api")
    return _task(task)


@follow_ups.post(
    "/{uuid:task_id}/done",
    response={200: s.FollowUpOut, **s.WRITE_REFUSED},
    openapi_extra=body_doc(s.DoneIn),
)
def close_follow_up(request: AuthedRequest, task_id: UUID) -> Any:
    """Mark a follow-up done, with optional notes, as the follow-ups page does; one already
    done (by someone else, or sent twice) is answered as it stands."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    task = get_follow_up(request.user, task_id)
    body = read_body(request, s.DoneIn)
    if task.done_at is not None:
        return _task(task)
    form = FollowUpDoneForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    safety.mark_done(request.user, task, form.cleaned_data["notes"])
    return _task(get_follow_up(request.user, task_id))
