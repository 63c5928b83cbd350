"""The plan editor: every change is re-checked by the engine and the editor re-rendered (HTMX)."""

import copy

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.models import User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.services import chart_for
from mesoclinic.patients.views import get_patient
from mesoclinic.plans import diagram, forms, services
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.plans.quote import itemized_quote


def get_plan(request, public_id) -> Plan:
    """The plan if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Plan.objects.select_related("patient__organization", "created_by"), public_id=public_id
    )


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
        "second_practitioners": _other_practitioners(request),
        "needs_confirmation": sorted(rules.findings.SECOND_CONFIRMATION),
        "version": services.latest_version(plan),
    }


def _render_editor(request, plan, status=200, **extra):
    template = "plans/_editor.html" if request.htmx else "plans/editor.html"
    return render(request, template, _editor_context(request, plan, **extra), status=status)


def _editable(plan):
    if not plan.is_editable:
        raise PermissionDenied


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_new(request, public_id):
    patient = get_patient(request, public_id)
    items = []
    for concern in chart_for(patient).concerns:
        for area in concern.areas:
            items.append({"concern": concern.concern, "area": area})
    plan = Plan.objects.create(
        patient=patient,
        created_by=request.user,
        inputs={"items": items, "overrides": [], "start": timezone.localdate().isoformat()},
    )
    record(request, Action.CREATE, plan, fields=["items"])
    return redirect("plan_editor", public_id=plan.public_id)


@require_GET
@require(roles.VIEW_CLINICAL)
def plan_editor(request, public_id):
    plan = get_plan(request, public_id)
    record(request, Action.VIEW, plan, detail="editor")
    return _render_editor(request, plan)


def _save(request, plan, inputs, lock_version, fields):
    try:
        services.save_inputs(request, plan, inputs, lock_version, fields)
    except services.StaleEdit:
        plan.refresh_from_db()
        return _render_editor(request, plan, status=409, conflict=True)
    return _render_editor(request, plan)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_add_area(request, public_id):
    plan = get_plan(request, public_id)
    _editable(plan)
    form = forms.AddAreaForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    inputs = copy.deepcopy(plan.inputs)
    item = {"concern": form.cleaned_data["concern"], "area": form.cleaned_data["area"]}
    if form.cleaned_data["side"]:
        item["side"] = form.cleaned_data["side"]
    inputs.setdefault("items", []).append(item)
    return _save(request, plan, inputs, form.cleaned_data["lock_version"], ["items"])


def _item_index(plan, index) -> int:
    items = plan.inputs.get("items", [])
    if not 0 <= index < len(items):
        raise Http404
    return index


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_update_item(request, public_id, index):
    plan = get_plan(request, public_id)
    _editable(plan)
    index = _item_index(plan, index)
    item = plan.inputs["items"][index]
    form = forms.ItemForm(request.POST, area=item["area"], prefix=f"item{index}")
    lock_version = _lock_version(request)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    inputs = copy.deepcopy(plan.inputs)
    new_item = {
        "area": item["area"],
        **{k: v for k, v in form.cleaned_data.items() if v not in (None, "", [])},
    }
    layout_changed = any(
        new_item.get(k) != item.get(k) for k in ("technique", "spacing_mm", "side", "protocol")
    )
    if item.get("points") and not layout_changed:
        new_item["points"] = item["points"]  # keep hand-edited points unless the grid changes
    inputs["items"][index] = new_item
    return _save(request, plan, inputs, lock_version, sorted(form.changed_data) or ["items"])


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_remove_item(request, public_id, index):
    plan = get_plan(request, public_id)
    _editable(plan)
    index = _item_index(plan, index)
    inputs = copy.deepcopy(plan.inputs)
    del inputs["items"][index]
    return _save(request, plan, inputs, _lock_version(request), ["items"])


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_point(request, public_id):
    """Tap a planned point to remove it, or tap inside an area to add one."""
    plan = get_plan(request, public_id)
    _editable(plan)
    form = forms.PointForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    data = form.cleaned_data
    index = _item_index(plan, data["item"])
    evaluation = services.evaluate(plan.patient, plan.inputs, plan=plan)
    if evaluation.result is None:
        return _render_editor(request, plan, status=400)
    current = [
        tuple(p) for a in evaluation.result["areas"] if a.get("item") == index for p in a["points"]
    ]
    side_points = [
        tuple(p)
        for a in evaluation.result["areas"]
        if a.get("item") == index and (a.get("side") or "") == (data["side"] or "")
        for p in a["points"]
    ]
    if data.get("remove") is not None:
        if data["remove"] >= len(side_points):
            raise Http404
        target = side_points[data["remove"]]
        points = [p for p in current if p != target]
    else:
        points = [*current, (round(data["x"], 1), round(data["y"], 1))]
    inputs = copy.deepcopy(plan.inputs)
    inputs["items"][index]["points"] = [list(p) for p in points]
    return _save(request, plan, inputs, data["lock_version"], ["points"])


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_start(request, public_id):
    plan = get_plan(request, public_id)
    _editable(plan)
    form = forms.StartForm(request.POST)
    if not form.is_valid():
        return _render_editor(request, plan, status=400, error=_first_error(form))
    inputs = copy.deepcopy(plan.inputs)
    inputs["start"] = form.cleaned_data["start"].isoformat()
    return _save(request, plan, inputs, form.cleaned_data["lock_version"], ["start"])


@require_POST
@require(roles.OVERRIDE_SAFETY)
def plan_override(request, public_id):
    plan = get_plan(request, public_id)
    _editable(plan)
    form = forms.OverrideForm(request.POST)
    if not form.is_valid():
        return _render_editor(
            request, plan, status=400, error=_first_error(form), error_field="override"
        )
    data = form.cleaned_data
    evaluation = services.evaluate(plan.patient, plan.inputs, plan=plan)
    findings = (evaluation.result or {}).get("hard_stops", []) + (evaluation.result or {}).get(
        "warnings", []
    )
    match = next((f for f in findings if f["code"] == data["code"]), None)
    if match is None or not match.get("overridable"):
        return _render_editor(
            request,
            plan,
            status=400,
            error=f"{data['code']} cannot be overridden: "
            "grade-A limits and unknown codes are final.",
            error_field="override",
        )
    entry = {
        "code": data["code"],
        "area": data["area"] or None,
        "reason": data["reason"],
        "by": request.user.full_name,
        "by_id": str(request.user.public_id),
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    if data["code"] in rules.findings.SECOND_CONFIRMATION:
        try:
            entry.update(_second_confirmation(request, data))
        except ValueError as refusal:
            return _render_editor(
                request, plan, status=400, error=str(refusal), error_field="override"
            )
    inputs = copy.deepcopy(plan.inputs)
    inputs.setdefault("overrides", []).append(entry)
    return _save(request, plan, inputs, data["lock_version"], ["overrides"])


def _second_confirmation(request, data) -> dict:
    """A pregnancy or breastfeeding override: another practitioner of the clinic confirms,
    or, where the clinic has only one, the patient has signed an acknowledgement."""
    others = _other_practitioners(request)
    if data["confirmed_by"]:
        confirming = next((u for u in others if u.public_id == data["confirmed_by"]), None)
        if confirming is None:
            raise ValueError("Choose another practitioner of this clinic to confirm.")
        return {"confirmed_by": confirming.full_name, "confirmed_by_id": str(confirming.public_id)}
    if not others and data["patient_acknowledged"]:
        return {"patient_acknowledged": True}
    if others:
        raise ValueError(
            "Overriding a pregnancy or breastfeeding stop needs a second practitioner's "
            "confirmation: choose who confirmed it."
        )
    raise ValueError(
        "You are the clinic's only practitioner: the patient must sign an acknowledgement "
        "of this risk; tick the box once they have."
    )


def _other_practitioners(request):
    return list(
        User.in_org.filter(role=Role.PRACTITIONER, is_active=True).exclude(pk=request.user.pk)
    )


@require_POST
@require(roles.SIGN_CLINICAL)
def plan_approve(request, public_id):
    plan = get_plan(request, public_id)
    try:
        version = services.approve(request, plan, plan.patient, _lock_version(request))
    except services.StaleEdit:
        plan.refresh_from_db()
        return _render_editor(request, plan, status=409, conflict=True)
    except services.ApprovalRefused as refusal:
        return _render_editor(request, plan, status=400, error=str(refusal))
    messages.success(request, f"Plan approved as version {version.number}.")
    response = redirect("plan_editor", public_id=plan.public_id)
    if request.htmx:
        response.status_code = 204
        response["HX-Redirect"] = response["Location"]
    return response


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_reopen(request, public_id):
    plan = get_plan(request, public_id)
    if plan.status not in (PlanStatus.APPROVED, PlanStatus.CONSENTED):
        raise PermissionDenied
    services.reopen(request, plan)
    messages.info(request, "The plan is a draft again; it needs approval and a new consent.")
    return redirect("plan_editor", public_id=plan.public_id)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_propose(request, public_id):
    """Draft -> proposed: the plan has been presented to the patient, still editable."""
    plan = get_plan(request, public_id)
    if plan.status != PlanStatus.DRAFT:
        raise PermissionDenied
    services.set_status(request, plan, PlanStatus.PROPOSED)
    return redirect("plan_editor", public_id=plan.public_id)


@require_POST
@require(roles.EDIT_CLINICAL)
def plan_cancel(request, public_id):
    plan = get_plan(request, public_id)
    reason = request.POST.get("reason", "").strip()
    if plan.status in (PlanStatus.COMPLETED, PlanStatus.CANCELLED):
        raise PermissionDenied
    if len(reason) < 3:
        messages.error(request, "Cancelling a plan needs a reason.")
        return redirect("plan_editor", public_id=plan.public_id)
    services.set_status(request, plan, PlanStatus.CANCELLED, reason[:500])
    messages.success(request, "Plan cancelled; it stays in the record.")
    return redirect("plan_editor", public_id=plan.public_id)


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def plan_quote(request, public_id):
    plan = get_plan(request, public_id)
    version = services.latest_version(plan)
    result = (
        version.result
        if version
        else services.evaluate(plan.patient, plan.inputs, plan=plan).result
    )
    record(request, Action.VIEW, plan, detail="quote")
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
