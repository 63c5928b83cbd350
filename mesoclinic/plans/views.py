"""The plan editor: every change is re-checked by the engine and the editor re-rendered (HTMX)."""

import uuid
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from mesoclinic import fragments, rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.context_processors import role
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.services import chart_for
from mesoclinic.plans import diagram, editing, forms, services
from mesoclinic.plans.access import get_plan
from mesoclinic.plans.models import Plan
from mesoclinic.plans.quote import itemized_quote
from mesoclinic.transitions import TransitionRefused


def _editor_context(
    request: AuthedRequest,
    plan: Plan,
    error: str | None = None,
    error_field: str | None = None,
    conflict: bool = False,
) -> dict[str, Any]:
    chart = chart_for(plan.patient)
    evaluation = services.evaluate(plan.patient, plan.inputs, chart, plan=plan)
    ref = rules.load_reference()
    items = plan.inputs.get("items", [])
    selected = {(i["area"], i.get("side") or None) for i in items}
    areas = evaluation.result["areas"] if evaluation.result else []
    item_forms = [
        forms.ItemForm(
            initial={**item, "products": item.get("products") or []},
            area=item["area"],
            prefix=f"item{n}",
        )
        for n, item in enumerate(items)
    ]
    views = diagram.build_views(ref, selected, areas, editable=plan.is_editable)
    zoomed = [p for v in views for p in v.planned]
    rows = []
    for n, (item, form) in enumerate(zip(items, item_forms, strict=True)):
        rows.append(
            {
                "index": n,
                "item": item,
                "form": form,
                "area_name": ref.areas[item["area"]].name,
                "planned": [a for a in areas if a.get("item") == n],
                "zoomed": [p for p in zoomed if p.item == n],
            }
        )
    return {
        "plan": plan,
        "patient": plan.patient,
        "chart": chart,
        "rows": rows,
        "views": views,
        "evaluation": evaluation,
        "result": evaluation.result,
        "error": error or evaluation.error,
        "error_field": error_field or evaluation.field,
        "conflict": conflict,
        "quote": itemized_quote(evaluation.result, request.user.organization)
        if evaluation.result
        else None,
        "add_form": forms.AddAreaForm(initial={"lock_version": plan.lock_version}),
        "start_form": forms.StartForm(
            initial={"start": services.start_date(plan.inputs), "lock_version": plan.lock_version}
        ),
        "can_approve": roles.can(request.user, roles.SIGN_CLINICAL),
        "can_override": roles.can(request.user, roles.OVERRIDE_SAFETY),
        "second_practitioners": editing.other_practitioners(request.user),
        "needs_confirmation": sorted(rules.findings.SECOND_CONFIRMATION),
        "version": services.latest_version(plan),
    }


def _editor_parts(request: AuthedRequest, plan: Plan, **extra: Any) -> dict[str, str]:
    """The editor and the chart's alerts above it, rendered for any request of this user."""
    context = _editor_context(request, plan, **extra)
    return {
        "alerts": fragments.render("patients/_alerts.html", {"alerts": context["chart"].alerts}),
        "editor": fragments.render("plans/_editor.html", context),
    }


def _cached_parts(request: AuthedRequest, plan: Plan) -> dict[str, str]:
    """The parts for an unchanged plan, from the cache. The key holds all the editor shows:
    the plan's edits (its lock version), the patient's record and charted sessions (their
    chart version), the clinic's settings and staff (its epoch), the viewer (their rights
    and colleagues) and the day; all bumped by the database (scheduling 0005-0006)."""
    user, patient = request.user, plan.patient
    organization = user.organization
    key = ":".join(
        str(part)
        for part in (
            "editor",
            organization.pk,
            plan.pk,
            plan.lock_version,
            patient.chart_version,
            organization.chart_epoch,
            user.pk,
            fragments.rights_code(role(request)),
            timezone.localdate().isoformat(),
        )
    )
    return fragments.cached(key, lambda: (_editor_parts(request, plan), None))


def _render_editor(
    request: AuthedRequest,
    plan: Plan,
    status: int = 200,
    parts: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    parts = parts or _editor_parts(request, plan, **extra)
    editor = fragments.fill(parts["editor"], request)
    if request.htmx:
        return HttpResponse(editor, status=status)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "alerts": mark_safe(parts["alerts"]),  # noqa: S308 - our own render
        "editor": editor,
    }
    return render(request, "plans/editor.html", context, status=status)


def _editable_plan(public_id: uuid.UUID) -> Plan:
    """The plan, if ours (else 404) and still editable (else 403)."""
    plan = get_plan(public_id)
    editing.check_editable(plan)
    return plan


def _item_index(plan: Plan, index: int) -> int:
    try:
        return editing.item_index(plan, index)
    except editing.NoSuchItem:
        raise Http404 from None


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_new(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = services.create_plan(request.user, get_patient(public_id))
    return redirect("plan_editor", public_id=plan.public_id)


@require_GET
@require(roles.VIEW_CLINICAL)
def plan_editor(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    record(request.user, Action.VIEW, plan, detail="editor")
    return _render_editor(request, plan, parts=_cached_parts(request, plan))


def _edit(
    request: AuthedRequest, plan: Plan, change: Callable[..., Plan], *args: Any, **kwargs: Any
) -> HttpResponse:
    """Run one editing use case and re-render the editor: 409 if someone saved meanwhile,
    400 with the refusal next to its field."""
    try:
        change(request.user, plan, *args, **kwargs)
    except services.StaleEdit:
        plan.refresh_from_db()
        return _render_editor(request, plan, status=409, conflict=True)
    except editing.NoSuchItem:
        raise Http404 from None
    except editing.EditRefused as refusal:
        return _render_editor(
            request, plan, status=400, error=refusal.message, error_field=refusal.field
        )
    return _render_editor(request, plan)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_add_area(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = _editable_plan(public_id)
    form = forms.AddAreaForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    data = form.cleaned_data
    return _edit(
        request,
        plan,
        editing.add_area,
        data["lock_version"],
        concern=data["concern"],
        area=data["area"],
        side=data["side"],
    )


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_update_item(request: AuthedRequest, public_id: uuid.UUID, index: int) -> HttpResponse:
    plan = _editable_plan(public_id)
    index = _item_index(plan, index)
    area = plan.inputs["items"][index]["area"]
    form = forms.ItemForm(request.POST, area=area, prefix=f"item{index}")
    lock_version = _lock_version(request)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    fields = sorted(form.changed_data) or ["items"]
    return _edit(request, plan, editing.update_item, index, form.cleaned_data, lock_version, fields)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_remove_item(request: AuthedRequest, public_id: uuid.UUID, index: int) -> HttpResponse:
    plan = _editable_plan(public_id)
    index = _item_index(plan, index)
    return _edit(request, plan, editing.remove_item, index, _lock_version(request))


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_point(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Tap a planned point to remove it, or tap inside an area to add one."""
    plan = _editable_plan(public_id)
    form = forms.PointForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    data = form.cleaned_data
    index = _item_index(plan, data["item"])
    at = None if data.get("remove") is not None else (data["x"], data["y"])
    return _edit(
        request,
        plan,
        editing.edit_point,
        index,
        data["lock_version"],
        side=data["side"] or "",
        remove=data.get("remove"),
        at=at,
    )


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_start(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = _editable_plan(public_id)
    form = forms.StartForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    data = form.cleaned_data
    return _edit(request, plan, editing.set_start, data["start"], data["lock_version"])


@require_POST
@require(roles.OVERRIDE_SAFETY)
def plan_override(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = _editable_plan(public_id)
    form = forms.OverrideForm(request.POST)
    if not form.is_valid():
        return _render_editor(
            request, plan, status=400, error=_first_error(form), error_field="override"
        )
    data = form.cleaned_data
    return _edit(
        request,
        plan,
        editing.add_override,
        data["lock_version"],
        code=data["code"],
        reason=data["reason"],
        area=data["area"],
        confirmed_by=data["confirmed_by"],
        patient_acknowledged=data["patient_acknowledged"],
    )


@require_POST
@require(roles.SIGN_CLINICAL)
def plan_approve(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    try:
        version = services.approve(request.user, plan, plan.patient, _lock_version(request))
    except services.StaleEdit:
        plan.refresh_from_db()
        return _render_editor(request, plan, status=409, conflict=True)
    except (services.ApprovalRefused, TransitionRefused) as refusal:
        return _render_editor(request, plan, status=400, error=str(refusal))
    messages.success(request, f"Plan approved as version {version.number}.")
    response = redirect("plan_editor", public_id=plan.public_id)
    if request.htmx:
        response.status_code = 204
        response["HX-Redirect"] = response["Location"]
    return response


def _status_change(
    request: AuthedRequest,
    plan: Plan,
    change: Callable[..., None],
    *args: Any,
    done: tuple[int, str] | None = None,
) -> HttpResponse:
    """A status use case; a refusal is shown at the top of the editor, where the user acted."""
    try:
        change(request.user, plan, *args)
    except (TransitionRefused, services.CancelRefused) as refusal:
        messages.error(request, str(refusal))
    else:
        if done:
            messages.add_message(request, *done)
    return redirect("plan_editor", public_id=plan.public_id)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_reopen(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _status_change(
        request,
        get_plan(public_id),
        services.reopen,
        done=(messages.INFO, "The plan is a draft again; it needs approval and a new consent."),
    )


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_propose(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Draft -> proposed: the plan has been presented to the patient, still editable."""
    return _status_change(request, get_plan(public_id), services.propose)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_cancel(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return _status_change(
        request,
        get_plan(public_id),
        services.cancel,
        request.POST.get("reason", ""),
        done=(messages.SUCCESS, "Plan cancelled; it stays in the record."),
    )


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def plan_quote(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    version = services.latest_version(plan)
    result = (
        version.result
        if version
        else services.evaluate(plan.patient, plan.inputs, plan=plan).result
    )
    record(request.user, Action.VIEW, plan, detail="quote")
    quote = itemized_quote(result, request.user.organization) if result else None
    return render(
        request,
        "plans/quote.html",
        {"plan": plan, "patient": plan.patient, "quote": quote, "version": version},
    )


def _lock_version(request: AuthedRequest) -> int:
    try:
        return int(request.POST.get("lock_version", ""))
    except ValueError:
        raise BadRequest("lock_version missing") from None


def _first_error(form: django_forms.Form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return (
            f"{label or field.replace('_', ' ').capitalize()}: {errors[0]}"
            if field != "__all__"
            else str(errors[0])  # a message: ErrorList's items are strings
        )
    return "Invalid input."
