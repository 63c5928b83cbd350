"""The clinic's side of the portal: the patient chart's portal panel, and the invitation.

The panel loads into the chart (which cannot import the portal) as an HTMX partial:
whether the patient has an account, or an invitation pending, and the button to invite.
"""

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.portal import questionnaire, services


@require_http_methods(["GET", "POST"])
@require(roles.VIEW_DEMOGRAPHICS)
def invite(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    refusal = sent = ""
    if request.method == "POST":
        try:
            invitation = services.invite(
                request.user, patient, absolute_url=request.build_absolute_uri
            )
        except services.PortalRefused as refused:
            refusal = refused.message
        else:
            sent = f"Invitation emailed to {invitation.email}."
        if not request.htmx:  # the form without JavaScript: back to the chart, told how
            (messages.error if refusal else messages.success)(request, refusal or sent)
            return redirect("patient_detail", public_id=patient.public_id)
    return _panel(request, patient, refusal=refusal, sent=sent)


def _panel(request: AuthedRequest, patient: Patient, *, refusal: str, sent: str) -> HttpResponse:
    context = {
        "patient": patient,
        "account": services.account_for_patient(patient),
        "pending": services.pending_invitation(patient),
        "refusal": refusal,
        "sent": sent,
        "can_invite": roles.can(request.user, roles.EDIT_DEMOGRAPHICS),
        # Reception never sees clinical answers, nor how many there are.
        "answers_waiting": questionnaire.pending_count(patient)
        if roles.can(request.user, roles.VIEW_CLINICAL)
        else 0,
    }
    status = 400 if refusal else 200
    return render(request, "portal/_staff_panel.html", context, status=status)
