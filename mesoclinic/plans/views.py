"""The plan editor: every change is re-checked by the engine and the editor re-rendered (HTMX)."""

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.services import chart_for
from mesoclinic.plans import diagram, editing, forms, services
from mesoclinic.plans.access import get_plan
from mesoclinic.plans.models import Plan
from mesoclinic.plans.quote import itemized_quote
from mesoclinic.transitions import TransitionRefused


def _editor_context(request, plan, error=None, error_field=None, conflict=False):
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


def _render_editor(request, plan, status=200, **extra):
    template = "plans/_editor.html" if request.htmx else "plans/editor.html"
    return render(request, template, _editor_context(request, plan, **extra), status=status)


def _editable_plan(public_id) -> Plan:
    """The plan, if ours (else 404) and still editable (else 403)."""
    plan = get_plan(public_id)
    editing.check_editable(plan)
    return plan


def _item_index(plan, index) -> int:
    try:
        return editing.item_index(plan, index)
    except editing.NoSuchItem:
        raise Http404 from None


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_new(request, public_id):
    plan = services.create_plan(request.user, get_patient(public_id))
    return redirect("plan_editor", public_id=plan.public_id)


@require_GET
@require(roles.VIEW_CLINICAL)
def plan_editor(request, public_id):
    plan = get_plan(public_id)
    record(request.user, Action.VIEW, plan, detail="editor")
    return _render_editor(request, plan)


def _edit(request, plan, change, *args, **kwargs):
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
def plan_add_area(request, public_id):
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
def plan_update_item(request, public_id, index):
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
def plan_remove_item(request, public_id, index):
    plan = _editable_plan(public_id)
    index = _item_index(plan, index)
    return _edit(request, plan, editing.remove_item, index, _lock_version(request))


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_point(request, public_id):
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
def plan_start(request, public_id):
    plan = _editable_plan(public_id)
    form = forms.StartForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    data = form.cleaned_data
    return _edit(request, plan, editing.set_start, data["start"], data["lock_version"])


@require_POST
@require(roles.OVERRIDE_SAFETY)
def plan_override(request, public_id):
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
def plan_approve(request, public_id):
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


def _status_change(request, plan, change, *args, done: tuple[int, str] | None = None):
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
def plan_reopen(request, public_id):
    return _status_change(
        request,
        get_plan(public_id),
        services.reopen,
        done=(messages.INFO, "The plan is a draft again; it needs approval and a new consent."),
    )


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_propose(request, public_id):
    """Draft -> proposed: the plan has been presented to the patient, still editable."""
    return _status_change(request, get_plan(public_id), services.propose)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_cancel(request, public_id):
    return _status_change(
        request,
        get_plan(public_id),
        services.cancel,
        request.POST.get("reason", ""),
        done=(messages.SUCCESS, "Plan cancelled; it stays in the record."),
    )


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def plan_quote(request, public_id):
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


def _lock_version(request) -> int:
    try:
        return int(request.POST.get("lock_version", ""))
    except ValueError:
        raise BadRequest("lock_version missing") from None


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return (
            f"{label or field.replace('_', ' ').capitalize()}: {errors[0]}"
            if field != "__all__"
            else errors[0]
        )
    return "Invalid input."
