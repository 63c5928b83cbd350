"""The questionnaire: the patient answers at home (portal); a practitioner adds each
answer to the chart, as given or corrected, or records why not (the clinic's side)."""

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.portal import questionnaire
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import PortalAccount, Questionnaire, ReportedEntry
from mesoclinic.portal.questionnaire_forms import ROWS, QuestionnaireForm

KIND_TITLES = {
    "allergy": "Allergy",
    "no-known-allergies": "No known allergies",
    "medication": "Medication",
    "condition": "Condition",
    "pregnancy": "Pregnancy",
    "infection": "Skin problem",
    "lifestyle": "Lifestyle",
    "concern": "Concern and expectations",
}


@require_http_methods(["GET", "POST"])
@patient_view
def answer(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire.submit(
                request.user, account, form.proposals(), form.cleaned_data["submission_key"]
            )
        except questionnaire.AnswerRefused as refused:
            form.add_error(refused.field or None, refused.message)
        else:
            messages.success(
                request, "Thank you: the clinic has your answers and goes through them with you."
            )
            return redirect("portal_home")
    if request.method == "GET":
        record(request.user, Action.VIEW, account.patient, detail="portal questionnaire")
    sent = Questionnaire.objects.filter(patient=account.patient).order_by("-submitted_at").first()
    context = {"form": form, "rows": range(1, ROWS + 1), "sent": sent, "patient": account.patient}
    return render(request, "portal/questionnaire.html", context, status=400 if form.errors else 200)


def _answer(public_id: uuid.UUID) -> ReportedEntry:
    return get_object_or_404(ReportedEntry.objects, public_id=public_id)


def _review_context(patient: Patient, forms: dict[int, Any] | None = None) -> dict[str, Any]:
    forms = forms or {}
    rows = [
        {
            "answer": a,
            "title": KIND_TITLES.get(a.kind, "Answer"),
            "form": forms.get(a.pk)
            or questionnaire.staff_form(a.kind, patient, a.data, prefix=f"a{a.pk}"),
        }
        for a in questionnaire.pending(patient)
    ]
    return {"patient": patient, "rows": rows}


@require_GET
@require(roles.VIEW_CLINICAL)
def review(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    record(request.user, Action.VIEW, patient, detail="patient's questionnaire answers")
    return render(request, "portal/answers_review.html", _review_context(patient))


@require_POST
@require(roles.SIGN_CLINICAL)
def add(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _answer(public_id)
    patient = get_patient(found.patient.public_id)
    form_class = type(questionnaire.staff_form(found.kind, patient, None))
    form = form_class(request.POST, patient=patient, prefix=f"a{found.pk}")
    if not form.is_valid():
        context = _review_context(patient, {found.pk: form})
        return render(request, "portal/answers_review.html", context, status=400)
    if questionnaire.add_to_chart(request.user, found, form):
        messages.success(request, f"{KIND_TITLES.get(found.kind, 'Answer')} added to the chart.")
    else:
        messages.info(request, "Someone reviewed this answer already.")
    return redirect("portal_answers", patient_id=patient.public_id)


@require_POST
@require(roles.SIGN_CLINICAL)
def decline(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    found = _answer(public_id)
    patient = get_patient(found.patient.public_id)
    try:
        questionnaire.not_recorded(request.user, found, request.POST.get("reason", ""))
    except questionnaire.AnswerRefused as refused:
        context = _review_context(patient)
        context["refusal"] = {found.pk: refused.message}
        context["reasons"] = {found.pk: request.POST.get("reason", "")}
        return render(request, "portal/answers_review.html", context, status=400)
    messages.success(request, "Answer marked as not recorded.")
    return redirect("portal_answers", patient_id=patient.public_id)
