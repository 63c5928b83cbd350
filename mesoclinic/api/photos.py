"""Clinical photographs: a patient's photos (view, date, session, voided or not), their
photo consents, and the image bytes through the same check and audit as the page's image
view (`photos.services.read_image`: clinical roles only, never a voided photo's, one
audit event per image served, decrypted by the photo storage, never cached).

Photos are clinical records: a clinical role and, for a token, the clinical scope.
"""

from typing import Any, Literal
from uuid import UUID

from ninja import Query, Router, Schema
from pydantic import Field

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require_clinical
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.photos import consent, serving
from mesoclinic.photos.access import get_photo
from mesoclinic.photos.models import Photo, PhotoConsent

router = Router(tags=["photos"])

SORTS = {"newest": ("-taken_at", "-pk"), "oldest": ("taken_at", "pk")}

IMAGE_RESPONSE = {
    "responses": {
        "200": {
            "description": "The image, decrypted; never cached (Cache-Control: no-store).",
            "content": {
                mime: {"schema": {"type": "string", "format": "binary"}}
                for mime in ("image/jpeg", "image/png")
            },
        }
    }
}


class PhotoParams(cursor.PageParams):
    patient: UUID
    view: str | None = None
    voided: bool = False
    sort: Literal["newest", "oldest"] = "newest"


class ImageParams(Schema):
    size: Literal["screen", "thumb", "original"] = Field(
        "screen", description="original: the image as taken, JPEG or PNG."
    )


def photo_out(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.public_id,
        "patient": photo.patient.public_id,
        "view": photo.view,
        "view_label": photo.view_label,
        "area": photo.area,
        "side": photo.side,
        "taken_at": photo.taken_at,
        "taken_by": photo.taken_by.full_name,
        "device": photo.device,
        "session": photo.session.public_id if photo.session else None,
        "width": photo.width,
        "height": photo.height,
        "voided": photo.is_voided,
        "voided_at": photo.voided_at,
        "void_reason": photo.void_reason,
    }


@router.get("", response={200: d.PhotoPage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_photos(request: AuthedRequest, params: Query[PhotoParams]) -> dict[str, Any]:
    """A patient's photos (required: `patient`), voided ones only if `voided=true`."""
    require_clinical(request)
    patient = get_patient(params.patient)
    rows = Photo.objects.filter(patient=patient).select_related("patient", "taken_by", "session")
    if not params.voided:
        rows = rows.filter(voided_at__isnull=True)
    if params.view:
        rows = rows.filter(view=params.view)
    found, after = cursor.page(rows, SORTS[params.sort], params)
    record(request.user, Action.VIEW, patient, detail="api photos")
    return {"results": [photo_out(p) for p in found], "next": after}


@router.get(
    "/consents/{uuid:patient_id}",
    response={200: d.PhotoConsentList, 403: s.Error, 404: s.Error},
)
def photo_consents(request: AuthedRequest, patient_id: UUID) -> dict[str, Any]:
    """Every photo consent the patient gave, newest first, revoked ones included."""
    require_clinical(request)
    patient = get_patient(patient_id)
    record(request.user, Action.VIEW, patient, detail="api photo consents")
    return {"results": [consent_out(c) for c in consent.history(patient)]}


def consent_out(given: PhotoConsent) -> dict[str, Any]:
    return {
        "id": given.public_id,
        "scope": given.scope,
        "meaning": given.meaning,
        "how": given.how,
        "given_at": given.given_at,
        "recorded_by": given.recorded_by.full_name,
        "live": given.voided_at is None,
        "revoked_at": given.voided_at,
        "revoke_reason": given.void_reason,
    }


@router.get("/{uuid:photo_id}", response={200: d.PhotoOut, 403: s.Error, 404: s.Error})
def photo_detail(request: AuthedRequest, photo_id: UUID) -> dict[str, Any]:
    require_clinical(request)
    photo = get_photo(photo_id)
    record(request.user, Action.VIEW, photo, detail="api")
    return photo_out(photo)


@router.get(
    "/{uuid:photo_id}/image",
    response={403: s.Error, 404: s.Error},
    openapi_extra=IMAGE_RESPONSE,
    summary="A photo's image",
)
def photo_image(request: AuthedRequest, photo_id: UUID, params: Query[ImageParams]) -> Any:
    """The screen-sized or thumbnail JPEG, or the original as taken (JPEG or PNG; the
    location and camera details removed on upload); a voided photo's image is not found."""
    require_clinical(request)
    response = serving.image_response(request.user, photo_id, params.size)
    response["Cache-Control"] = "no-store"
    return response
