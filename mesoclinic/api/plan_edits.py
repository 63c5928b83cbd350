"""Plan writes: a draft's areas, start and overrides, approval and the other status
changes, and the patient's consent, through the plan editor's and the consent page's own
forms and services. Each answers the plan (or consent) as it now is; a change sent with
a lock_version that has moved is a 409, as two tablets editing one plan are on the page.

Approval evaluates the patient's whole charted record, as the page does: a grade-A hard
stop cannot be overridden here (the override is refused) nor approved past.
"""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms as django_forms
from ninja import Router, Schema, Status

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import schemas_clinical as s
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.plans import consent_out, detail
from mesoclinic.api.refusals import (
    Refused,
    as_form_data,
    body_doc,
    form_refused,
    read_body,
    refused,
)
from mesoclinic.audit.log import Action, record
from mesoclinic.plans import consent as c
from mesoclinic.plans import editing, forms, services
from mesoclinic.plans.access import get_consent, get_plan
from mesoclinic.plans.consent_forms import RevokeForm, SignForm
from mesoclinic.plans.models import Consent, Plan
from mesoclinic.transitions import TransitionRefused

router = Router(tags=["plans"])
consents = Router(tags=["plans"])

PLAN = {200: s.PlanDetail, **s.WRITE_REFUSED}
CONSENT = {200: s.ConsentOut, **s.WRITE_REFUSED}
NOT_EDITABLE = "Only a draft or proposed plan is edited: reopen the approved plan first."


def _writer(request: AuthedRequest, permission: str = roles.EDIT_CLINICAL) -> None:
    require_clinical(request, Scope.WRITE)
    require(request, permission, Scope.WRITE)


def _stale(plan: Plan) -> Status[Any]:
    plan.refresh_from_db(fields=["lock_version"])
    return refused(
        "The plan was changed meanwhile (or this request was sent twice): read it again; "
        f"its lock_version is now {plan.lock_version}.",
        status=409,
    )


def _edit(plan: Plan, change: Callable[..., Plan], *args: Any, **kwargs: Any) -> Any:
    """Run one of the editor's use cases and answer the plan as it now is."""
    try:
        change(*args, **kwargs)
    except editing.NotEditable:
        return refused(NOT_EDITABLE, status=409)
    except services.StaleEdit:
        return _stale(plan)
    except editing.EditRefused as refusal:
        return refused(refusal.message or "The change was refused.", refusal.field)
    return detail(get_plan(plan.public_id))


def _editable(plan_id: UUID) -> Plan:
    plan = get_plan(plan_id)
    if not plan.is_editable:
        raise Refused(NOT_EDITABLE, status=409)
    return plan


def _form_edit(
    request: AuthedRequest,
    plan_id: UUID,
    schema: type[Schema],
    form_class: type[django_forms.Form],
    change: Callable[..., Plan],
    *names: str,
    permission: str = roles.EDIT_CLINICAL,
) -> Any:
    """One editor form's change: its body read as `schema`, checked by `form_class`, and
    `change` called with the form's lock_version and its fields `names`."""
    _writer(request, permission)
    plan = _editable(plan_id)
    form = form_class(as_form_data(read_body(request, schema).dict()))
    if not form.is_valid():
        return form_refused(form)
    data = form.cleaned_data
    values = {name: data[name] for name in names}
    return _edit(plan, change, request.user, plan, lock_version=data["lock_version"], **values)


@router.post("/{uuid:plan_id}/areas", response=PLAN, openapi_extra=body_doc(s.AreaIn))
def add_area(request: AuthedRequest, plan_id: UUID) -> Any:
    """Add an area for a concern; the engine then plans it from the protocol's defaults."""
    return _form_edit(
        request, plan_id, s.AreaIn, forms.AddAreaForm, editing.add_area, "concern", "area", "side"
    )


def _index(plan: Plan, index: int) -> int:
    try:
        return editing.item_index(plan, index)
    except editing.NoSuchItem:
        raise Refused(f"The plan has no area at index {index}.", status=404) from None


@router.post("/{uuid:plan_id}/areas/{int:index}", response=PLAN, openapi_extra=body_doc(s.ItemIn))
def update_area(request: AuthedRequest, plan_id: UUID, index: int) -> Any:
    """Set an area's protocol, products, technique, depth, spacing, volume per point,
    sessions and interval (index: its position in the draft's `requested`); a field left
    out is the protocol's default. Limits are checked when the plan is read or approved."""
    _writer(request)
    plan = _editable(plan_id)
    position = _index(plan, index)
    body = read_body(request, s.ItemIn)
    area = plan.inputs["items"][position]["area"]
    form = forms.ItemForm(as_form_data(body.dict(exclude={"lock_version"})), area=area)
    if not form.is_valid():
        return form_refused(form)
    fields = sorted(form.changed_data) or ["items"]
    return _edit(
        plan,
        editing.update_item,
        request.user,
        plan,
        position,
        form.cleaned_data,
        body.lock_version,
        fields,
    )


@router.post(
    "/{uuid:plan_id}/areas/{int:index}/remove", response=PLAN, openapi_extra=body_doc(s.LockIn)
)
def remove_area(request: AuthedRequest, plan_id: UUID, index: int) -> Any:
    """Take an area out of the draft."""
    _writer(request)
    plan = _editable(plan_id)
    position = _index(plan, index)
    body = read_body(request, s.LockIn)
    return _edit(plan, editing.remove_item, request.user, plan, position, body.lock_version)


@router.post("/{uuid:plan_id}/start", response=PLAN, openapi_extra=body_doc(s.StartIn))
def set_start(request: AuthedRequest, plan_id: UUID) -> Any:
    """Move the first session's date; the schedule and intervals follow from it."""
    return _form_edit(request, plan_id, s.StartIn, forms.StartForm, editing.set_start, "start")


@router.post("/{uuid:plan_id}/overrides", response=PLAN, openapi_extra=body_doc(s.OverrideIn))
def add_override(request: AuthedRequest, plan_id: UUID) -> Any:
    """Pass a grade-B or C finding with a reason, as a practitioner may on the page;
    a grade-A limit or a code the draft does not report is refused."""
    return _form_edit(
        request,
        plan_id,
        s.OverrideIn,
        forms.OverrideForm,
        editing.add_override,
        "code",
        "reason",
        "area",
        "confirmed_by",
        "patient_acknowledged",
        permission=roles.OVERRIDE_SAFETY,
    )


@router.post("/{uuid:plan_id}/approve", response=PLAN, openapi_extra=body_doc(s.LockIn))
def approve(request: AuthedRequest, plan_id: UUID) -> Any:
    """Approve the draft as the next version, as a practitioner does on the page: refused
    while the engine reports a hard stop against the patient's record."""
    _writer(request, roles.SIGN_CLINICAL)
    plan = get_plan(plan_id)
    body = read_body(request, s.LockIn)
    try:
        services.approve(request.user, plan, plan.patient, body.lock_version)
    except services.StaleEdit:
        return _stale(plan)
    except services.ApprovalRefused as refusal:
        return refused(str(refusal))
    except TransitionRefused as refusal:
        return refused(refusal.message, status=409)
    return detail(get_plan(plan_id))


def _status(request: AuthedRequest, plan: Plan, change: Callable[..., None], *args: Any) -> Any:
    try:
        change(request.user, plan, *args)
    except TransitionRefused as refusal:
        return refused(refusal.message, status=409)
    except services.CancelRefused as refusal:
        return refused(str(refusal), "reason")
    return detail(get_plan(plan.public_id))


@router.post("/{uuid:plan_id}/propose", response=PLAN)
def propose(request: AuthedRequest, plan_id: UUID) -> Any:
    """Mark the draft as presented to the patient; it stays editable."""
    _writer(request)
    return _status(request, get_plan(plan_id), services.propose)


@router.post("/{uuid:plan_id}/reopen", response=PLAN)
def reopen(request: AuthedRequest, plan_id: UUID) -> Any:
    """Edit an approved plan: it becomes the draft of its next version, to be approved
    and consented again before treatment."""
    _writer(request)
    return _status(request, get_plan(plan_id), services.reopen)


@router.post("/{uuid:plan_id}/cancel", response=PLAN, openapi_extra=body_doc(s.ReasonIn))
def cancel(request: AuthedRequest, plan_id: UUID) -> Any:
    """Cancel with a reason; the plan stays in the record."""
    _writer(request)
    plan = get_plan(plan_id)  # before the body: an outsider learns nothing of it
    body = read_body(request, s.ReasonIn)
    return _status(request, plan, services.cancel, body.reason)


@router.get(
    "/{uuid:plan_id}/consent-document", response={200: s.ConsentDocument, **s.WRITE_REFUSED}
)
def consent_document(request: AuthedRequest, plan_id: UUID) -> Any:
    """The consent document of the approved plan's latest version, to show the patient
    before they sign; send its text_hash back with the signature."""
    require_clinical(request)
    require(request, roles.EDIT_CLINICAL)
    plan = get_plan(plan_id)
    try:
        version = c.version_to_sign(plan)
    except c.ConsentRefused as refusal:
        return refused(str(refusal), status=409)
    text = c.document_text(version, plan.patient, c.template_for(), request.user.organization)
    record(request.user, Action.VIEW, plan, detail="api consent document")
    return {
        "plan_id": plan.public_id,
        "version": version.number,
        "text": text,
        "text_hash": Consent.hash_text(text),
    }


@router.post(
    "/{uuid:plan_id}/consents",
    response={201: s.ConsentOut, **CONSENT},
    openapi_extra=body_doc(s.SignIn),
)
def sign_consent(request: AuthedRequest, plan_id: UUID) -> Any:
    """The patient signs the document they read, on a device of the clinic: their name as
    recorded, their drawn signature and that they understood. A version already signed
    answers 200 with that consent; a document changed since it was read is a 409."""
    _writer(request)
    plan = get_plan(plan_id)
    try:
        version = c.version_to_sign(plan)
    except c.ConsentRefused as refusal:
        return refused(str(refusal), status=409)
    if (existing := c.signed_consent(version)) is not None:
        return Status(200, consent_out(get_consent(existing.public_id)))
    body = read_body(request, s.SignIn)
    form = SignForm(as_form_data(body.dict(exclude={"text_hash"})), patient=plan.patient)
    if not form.is_valid():
        return form_refused(form)
    try:
        consent = c.sign_as_read(
            request.user,
            plan,
            form.cleaned_data["typed_name"],
            form.cleaned_data["signature"],
            shown_hash=body.text_hash,
            detail="api",
        )
    except c.ConsentRefused as refusal:
        return refused(str(refusal), "text_hash", status=409)
    return Status(201, consent_out(get_consent(consent.public_id)))


@consents.post("/{uuid:consent_id}/countersign", response=CONSENT)
def countersign(request: AuthedRequest, consent_id: UUID) -> Any:
    """A practitioner countersigns: the approved plan becomes consented. Countersigning
    again changes nothing."""
    _writer(request, roles.SIGN_CLINICAL)
    consent = get_consent(consent_id)
    try:
        c.countersign(request.user, consent)
    except TransitionRefused as refusal:
        return refused(refusal.message, status=409)
    return consent_out(get_consent(consent_id))


@consents.post("/{uuid:consent_id}/revoke", response=CONSENT, openapi_extra=body_doc(s.ReasonIn))
def revoke(request: AuthedRequest, consent_id: UUID) -> Any:
    """The patient withdraws consent, with a reason: the plan needs a new consent before
    treatment. The consent stays in the record."""
    _writer(request)
    consent = get_consent(consent_id)
    form = RevokeForm(as_form_data(read_body(request, s.ReasonIn).dict()))
    if not form.is_valid():
        return form_refused(form)
    try:
        c.revoke(request.user, consent, form.cleaned_data["reason"])
    except TransitionRefused as refusal:
        return refused(refusal.message, status=409)
    return consent_out(get_consent(consent_id))
