"""Recording and revoking a patient's photo consent, from the panel on the photos page.

The panel (`photos/_consent.html`) is the HTMX target: a refused form comes back into it
with the message next to the field and what was typed; a consent recorded or revoked
reloads the page (where it was), since the clinical-record consent decides whether a photo may be
taken there at all.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.photos import consent, forms, page
from mesoclinic.photos.access import get_photo_consent
from mesoclinic.photos.models import ConsentScope, PhotoConsent


def _done(request: AuthedRequest, patient: Patient, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:  # the same address: a redirect to it would only move to the anchor
        return HttpResponseClientRefresh()
    return redirect(reverse("patient_photos", args=[patient.public_id]) + "#photo-consent")


def _refused(request: AuthedRequest, patient: Patient, **forms_: Any) -> HttpResponse:
    # The panel shown again lists the patient's consents: a read like any other.
    record(request.user, Action.VIEW, patient, detail="photo consent")
    if request.htmx:
        context = page.consent_context(patient, **forms_)
        return render(request, "photos/_consent.html", context, status=400)
    context = page.context(patient, forms.PhotoForm(patient=patient), **forms_)
    return render(request, "photos/patient.html", context, status=400)


@require_POST
@require(roles.EDIT_CLINICAL)
@never_cache
def consent_give(request: AuthedRequest, patient_id: uuid.UUID, scope: str) -> HttpResponse:
    if scope not in ConsentScope.values:
        raise Http404
    patient = get_patient(patient_id)
    form = forms.GiveConsentForm(request.POST, prefix=scope)
    if form.is_valid():
        data = form.cleaned_data
        try:
            given = consent.give(
                request.user,
                patient,
                scope,
                how=data["how"],
                note=data["note"],
                submission_key=data["submission_key"],
            )
        except consent.ConsentRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            return _done(request, patient, f"Consent recorded: {given.get_scope_display()}.")
    return _refused(request, patient, give_forms={scope: form})


@require_POST
@require(roles.EDIT_CLINICAL)
@never_cache
def consent_revoke(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    given: PhotoConsent = get_photo_consent(public_id)
    patient = given.patient
    form = forms.RevokeConsentForm(request.POST, prefix=given.scope)
    if form.is_valid():
        try:
            consent.revoke(request.user, given, form.cleaned_data["reason"])
        except consent.ConsentRefused as refusal:
            form.add_error("reason", refusal.message)
        else:
            return _done(request, patient, f"Consent revoked: {given.get_scope_display()}.")
    return _refused(request, patient, revoke_forms={given.scope: form})
