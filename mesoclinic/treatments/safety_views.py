"""Adverse events, the clinic-wide safety list and follow-up tasks."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from mesoclinic import query_ids
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.transitions import TransitionRefused
from mesoclinic.treatments import safety
from mesoclinic.treatments import safety_forms as forms
from mesoclinic.treatments.access import get_adverse_event, get_follow_up
from mesoclinic.treatments.models import AdverseEvent, FollowUpTask

PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def adverse_event_new(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    initial: dict[str, Any] = {"onset_on": timezone.localdate()}
    if session := query_ids.object_from_query(request, "session", safety.sessions_of(patient)):
        initial["session"] = session
    form = forms.AdverseEventForm(request.POST or None, patient=patient, initial=initial)
    if request.method == "POST":
        event = _already_submitted(request, patient) or _record_valid(request, patient, form)
        if event is not None:
            url = reverse("adverse_event_detail", args=[event.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.method == "GET":
        record(request.user, Action.VIEW, patient, detail="adverse event form")
    context = {"form": form, "patient": patient}
    template = (
        "treatments/safety/_event_form.html" if request.htmx else "treatments/safety/event_new.html"
    )
    return render(request, template, context, status=400 if form.errors else 200)


def _already_submitted(request: AuthedRequest, patient: Patient) -> AdverseEvent | None:
    """The event this very form made before (its hidden key), when it is submitted again."""
    try:
        key = uuid.UUID(request.POST.get("submission_key", ""))
    except ValueError:
        return None
    event = safety.submitted_event(patient, key)
    if event is not None:
        messages.info(request, "This adverse event was already recorded: here it is.")
    return event


def _record_valid(
    request: AuthedRequest, patient: Patient, form: forms.AdverseEventForm
) -> AdverseEvent | None:
    if not form.is_valid():
        return None
    event = safety.record_event(
        request.user,
        patient,
        form.event_data(),
        form.all_lots(),
        submission_key=form.cleaned_data["submission_key"],
    )
    note = " A follow-up task is due tomorrow." if event.serious else ""
    messages.success(request, f"Adverse event recorded.{note}")
    return event


@require_GET
@require(roles.VIEW_CLINICAL)
def adverse_event_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    event = get_adverse_event(public_id)
    record(request.user, Action.VIEW, event)
    return render(request, "treatments/safety/event_detail.html", _event_context(event))


def _event_context(
    event: AdverseEvent, void_form: forms.VoidEventForm | None = None
) -> dict[str, Any]:
    event = safety.label([event])[0]
    tasks = FollowUpTask.objects.filter(adverse_event=event).select_related(
        "assigned_to", "done_by"
    )
    return {
        "event": event,
        "patient": event.patient,
        "tasks": tasks.order_by("due_on"),
        "void_form": void_form or forms.VoidEventForm(),
    }


@require_POST
@require(roles.SIGN_CLINICAL)
def adverse_event_void(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    event = get_adverse_event(public_id)
    form = forms.VoidEventForm(request.POST)
    if not form.is_valid():
        context = _event_context(event, form)
        return render(request, "treatments/safety/event_detail.html", context, status=400)
    if safety.void_event(request.user, event, form.cleaned_data["reason"]):
        messages.success(request, "Adverse event voided; it stays in the record.")
    return redirect("adverse_event_detail", public_id=event.public_id)


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def adverse_event_update(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    event = get_adverse_event(public_id)
    try:
        safety.check_updatable(event)
    except TransitionRefused as refusal:
        raise PermissionDenied(str(refusal)) from None
    form = forms.AdverseEventUpdateForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        changed = safety.update_event(request.user, event, form.event_data())
        messages.success(request, "Changes saved." if changed else "Nothing changed.")
        return redirect("adverse_event_detail", public_id=event.public_id)
    if request.method == "GET":
        record(request.user, Action.VIEW, event, detail="update form")
    context = {"form": form, "event": event, "patient": event.patient}
    return render(
        request,
        "treatments/safety/event_update.html",
        context,
        status=400 if form.errors else 200,
    )


@require_GET
@require(roles.SIGN_CLINICAL)
def safety_list(request: AuthedRequest) -> HttpResponse:
    form = forms.SafetyFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(safety.safety_events(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = safety.label(page.object_list)
    shown = "serious" if filters["serious_only"] else "all"
    detail = f"{shown} {filters['status'] or 'any status'} {filters['event_type'] or 'any type'}"
    record(
        request.user,
        Action.SEARCH,
        object_type="adverseevent",
        detail=f"{detail}, page {page.number}",
    )
    context = {"form": form, "page": page}
    template = (
        "treatments/safety/_safety_rows.html" if request.htmx else "treatments/safety/list.html"
    )
    return render(request, template, context)


@require_GET
@require(roles.VIEW_CLINICAL)
def followup_list(request: AuthedRequest) -> HttpResponse:
    may_see_all = roles.can(request.user, roles.SIGN_CLINICAL)
    everyone = may_see_all and request.GET.get("scope") == "all"
    tasks = safety.due_tasks(request.user, everyone=everyone)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    record(
        request.user,
        Action.SEARCH,
        object_type="followuptask",
        detail=f"{'all' if everyone else 'mine'}, page {page.number}",
    )
    context = {
        "page": page,
        "everyone": everyone,
        "may_see_all": may_see_all,
        "today": timezone.localdate(),
        "done_form": forms.FollowUpDoneForm(),
    }
    return render(request, "treatments/safety/followups.html", context)


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def followup_done(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    task = get_follow_up(request.user, public_id)
    form = forms.FollowUpDoneForm(request.POST or None)
    if task.done_at is not None:
        messages.info(request, f"Already marked done by {task.done_by} on {task.done_at:%d %b %Y}.")
        return redirect("followup_list")
    if request.method == "POST" and form.is_valid():
        if not safety.mark_done(request.user, task, form.cleaned_data["notes"]):
            messages.info(
                request, f"Already marked done by {task.done_by} on {task.done_at:%d %b %Y}."
            )
            return redirect("followup_list")
        messages.success(request, f"Follow-up for {task.patient.full_name} marked done.")
        url = reverse("followup_list")
        return redirect(f"{url}?scope=all" if request.POST.get("scope") == "all" else url)
    if request.method == "GET":
        record(request.user, Action.VIEW, task, detail="done form")
    context = {"task": task, "form": form, "today": timezone.localdate()}
    return render(
        request,
        "treatments/safety/followup_done.html",
        context,
        status=400 if form.errors else 200,
    )
