"""A patient's photos: taking one, the grid by view, a photo's page, and its images.

Image bytes leave the server only through `photo_image`: clinical roles only, the
photo's organization only (else 404), never a voided photo's, never cached, one audit
event per image served.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.photos import forms, landmarks, page, services, serving
from mesoclinic.photos.access import get_photo
from mesoclinic.photos.landmark_views import symmetry_context
from mesoclinic.photos.models import LANDMARK_VIEWS, Photo


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def patient_photos(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    record(request.user, Action.VIEW, patient, detail="photos")
    form = forms.PhotoForm(patient=patient, initial=forms.prefill(request.GET))
    return render(request, "photos/patient.html", page.context(patient, form))


@require_POST
@require(roles.EDIT_CLINICAL)
@never_cache
def photo_add(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    form = forms.PhotoForm(request.POST, request.FILES, patient=patient)
    if form.is_valid():
        data = form.cleaned_data
        try:
            photo = services.add_photo(
                request.user,
                patient,
                data["photo"],
                view=data["view"],
                area=data["area"],
                side=data["side"],
                device=data["device"],
                session=data["session"],
                submission_key=data["submission_key"],
            )
        except services.PhotoRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, f"Photo kept: {photo.view_label}.")
            return redirect("patient_photos", patient_id=patient.public_id)
    # The page shown again lists the patient's photos: a read like any other.
    record(request.user, Action.VIEW, patient, detail="photos")
    return render(request, "photos/patient.html", page.context(patient, form), status=400)


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def photo_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    photo = get_photo(public_id)
    record(request.user, Action.VIEW, photo)
    return render(request, "photos/detail.html", _detail_context(photo, forms.VoidPhotoForm()))


def _detail_context(photo: Photo, void_form: forms.VoidPhotoForm) -> dict[str, Any]:
    placed = landmarks.current([photo]).get(photo.pk)
    shown = symmetry_context(photo, placed) if placed and not photo.is_voided else {}
    return shown | {
        "photo": photo,
        "patient": photo.patient,
        "void_form": void_form,
        "landmarks_offered": photo.view in LANDMARK_VIEWS,
        "has_landmarks": placed is not None,
    }


@require_POST
@require(roles.EDIT_CLINICAL)
@never_cache
def photo_void(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    photo = get_photo(public_id)
    form = forms.VoidPhotoForm(request.POST)
    if form.is_valid():
        try:
            if services.void_photo(request.user, photo, form.cleaned_data["reason"]):
                messages.success(request, "Photo voided; it stays in the record.")
            return redirect("photo_detail", public_id=photo.public_id)
        except services.PhotoRefused as refusal:
            form.add_error("reason", refusal.message)
    record(request.user, Action.VIEW, photo)
    return render(request, "photos/detail.html", _detail_context(photo, form), status=400)


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def photo_image(request: AuthedRequest, public_id: uuid.UUID, kind: str) -> HttpResponse:
    return serving.image_response(request.user, public_id, kind)
