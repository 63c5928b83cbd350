"""Taking a photo, voiding one, and recording or revoking a patient's photo consent:
the photos page's acts through its forms and `photos.services` / `photos.consent` (the
clinical consent required before a photo, one live consent per purpose, location and
camera details removed on upload, one audit event each). Clinical role and scope; for
writes the write scope too."""

import uuid
from typing import Any
from uuid import UUID

from ninja import Header, Router, Status

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.photos import consent_out, photo_out
from mesoclinic.api.photos import router as photos_router
from mesoclinic.api.refusals import (
    NO_KEY,
    as_form_data,
    body_doc,
    form_refused,
    read_body,
    refused,
    submission_key,
)
from mesoclinic.patients.access import get_patient
from mesoclinic.photos import consent, forms, services
from mesoclinic.photos.access import get_photo, get_photo_consent
from mesoclinic.photos.models import PhotoConsent

# Revoking names the consent, not the patient: its own path.
consents_router = Router(tags=["photos"])

WRITE = {400: d.FieldErrors, 403: s.Error, 404: s.Error}
UPLOAD = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["patient", "view", "photo"],
                    "properties": {
                        "patient": {"type": "string", "format": "uuid"},
                        "photo": {
                            "type": "string",
                            "format": "binary",
                            "description": "JPEG, PNG or HEIC, up to the clinic's limit.",
                        },
                        "view": {"type": "string", "description": "A standard view's key."},
                        "area": {"type": "string", "description": "An area's code, or empty."},
                        "side": {"type": "string", "enum": ["", "left", "right"]},
                        "device": {"type": "string", "maxLength": 100},
                        "session": {
                            "type": "string",
                            "format": "uuid",
                            "description": "One of the patient's sessions.",
                        },
                    },
                }
            }
        },
    }
}


def _writer(request: AuthedRequest) -> None:
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)


@photos_router.post(
    "",
    response={200: d.PhotoOut, 201: d.PhotoOut, **WRITE},
    summary="Take a photo",
    openapi_extra=UPLOAD,
)
def add_photo(
    request: AuthedRequest,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Any:
    """Keep one photo of a patient who gave clinical photo consent, sent as
    multipart/form-data, once per Idempotency-Key: the same key again answers 200 with
    the photo first kept (201) and keeps nothing more."""
    _writer(request)
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    try:
        patient_id = uuid.UUID(request.POST.get("patient", ""))
    except ValueError:
        return refused("Send the patient's id.", "patient")
    patient = get_patient(patient_id)
    if (kept := services.submitted(key)) is not None:
        return Status(200, photo_out(get_photo(kept.public_id)))
    data = request.POST.copy()
    data["submission_key"] = str(key)
    data.pop("photo_file", None)
    upload = request.FILES.get("photo")
    form = forms.PhotoForm(data, {"photo": upload} if upload else {}, patient=patient)
    if not form.is_valid():
        return form_refused(form)
    cleaned = form.cleaned_data
    try:
        photo = services.add_photo(
            request.user,
            patient,
            cleaned["photo"],
            view=cleaned["view"],
            area=cleaned["area"],
            side=cleaned["side"],
            device=cleaned["device"],
            session=cleaned["session"],
            submission_key=key,
        )
    except services.PhotoRefused as refusal:
        return refused(refusal.message, refusal.field or None)
    return Status(201, photo_out(get_photo(photo.public_id)))


@photos_router.post(
    "/{uuid:photo_id}/void",
    response={200: d.PhotoOut, **WRITE},
    summary="Void a photo",
    openapi_extra=body_doc(d.ReasonIn),
)
def void_photo(request: AuthedRequest, photo_id: UUID) -> Any:
    """A photo taken in error (the wrong patient, say) is voided with a reason, as on its
    page: it stays in the record, its image is no longer served. Voiding it again
    changes nothing."""
    _writer(request)
    photo = get_photo(photo_id)
    body = read_body(request, d.ReasonIn)
    form = forms.VoidPhotoForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    try:
        services.void_photo(request.user, photo, form.cleaned_data["reason"])
    except services.PhotoRefused as refusal:
        return refused(refusal.message, "reason")
    return Status(200, photo_out(get_photo(photo_id)))


@photos_router.post(
    "/consents/{uuid:patient_id}",
    response={200: d.PhotoConsentOut, 201: d.PhotoConsentOut, **WRITE},
    summary="Record a photo consent",
    openapi_extra=body_doc(d.PhotoConsentIn),
)
def give_consent(
    request: AuthedRequest,
    patient_id: UUID,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Any:
    """The patient's consent to one purpose (clinical record, teaching, marketing), each
    given and revoked on its own, once per Idempotency-Key. A purpose already consented
    is refused: revoke it first, so the record says when each consent began."""
    _writer(request)
    patient = get_patient(patient_id)
    body = read_body(request, d.PhotoConsentIn)
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    if (done := PhotoConsent.objects.filter(submission_key=key).first()) is not None:
        return Status(200, consent_out(get_photo_consent(done.public_id)))
    form = forms.GiveConsentForm(
        as_form_data({**body.dict(exclude={"scope"}), "submission_key": key})
    )
    if not form.is_valid():
        return form_refused(form)
    try:
        given = consent.give(
            request.user,
            patient,
            body.scope,
            how=form.cleaned_data["how"],
            note=form.cleaned_data["note"],
            submission_key=key,
        )
    except consent.ConsentRefused as refusal:
        return refused(refusal.message, refusal.field or None)
    return Status(201, consent_out(get_photo_consent(given.public_id)))


@consents_router.post(
    "/{uuid:consent_id}/revoke",
    response={200: d.PhotoConsentOut, **WRITE},
    summary="Revoke a photo consent",
    openapi_extra=body_doc(d.ReasonIn),
)
def revoke_consent(request: AuthedRequest, consent_id: UUID) -> Any:
    """The patient withdraws this consent, with their reason: no photo is taken (clinical)
    or exported (teaching, marketing) under it from now on; photos already kept stay.
    Revoking it again changes nothing."""
    _writer(request)
    given = get_photo_consent(consent_id)
    body = read_body(request, d.ReasonIn)
    form = forms.RevokeConsentForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    try:
        consent.revoke(request.user, given, form.cleaned_data["reason"])
    except consent.ConsentRefused as refusal:
        return refused(refusal.message, "reason")
    return Status(200, consent_out(get_photo_consent(consent_id)))
