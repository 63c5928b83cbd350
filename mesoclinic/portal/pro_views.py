"""The patient's own ratings of their treatment (portal/pros.py), one screen per scale."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes import forms as outcome_forms
from mesoclinic.outcomes import services
from mesoclinic.portal import pros
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import PortalAccount


@require_GET
@patient_view
def scores(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    record(request.user, Action.VIEW, account.patient, detail="portal ratings due")
    context = {"patient": account.patient, "due": pros.due(account)}
    return render(request, "portal/scores.html", context)


@require_http_methods(["GET", "POST"])
@patient_view
def rate(request: AuthedRequest, account: PortalAccount, instrument: str) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    task = pros.find(account, instrument, source.get("when", ""), source.get("plan", ""))
    if task is None:
        raise Http404("Nothing to rate here.")
    form = outcome_forms.AssessmentForm(
        request.POST or None, instrument=task.instrument, initial={"timepoint": task.timepoint}
    )
    for name in ("timepoint", "late_reason", "side"):
        form.fields.pop(name, None)  # fixed by the task; a patient never enters late
    if request.method == "POST" and form.is_valid():
        try:
            pros.send(
                request.user, account, task, form.answers(), form.cleaned_data["submission_key"]
            )
        except services.AssessmentRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, "Thank you: your rating is with the clinic.")
            return redirect("portal_scores")
    if request.method == "GET":
        record(request.user, Action.VIEW, account.patient, detail=f"portal rating {instrument}")
    context = {"patient": account.patient, "task": task, "form": form}
    return render(request, "portal/rate.html", context, status=400 if form.errors else 200)
