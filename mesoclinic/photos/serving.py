"""The one way a photo's image bytes leave the server: the photo page's image view and
FHIR's Binary read both answer with `image_response`, so both check and audit alike."""

import uuid

from django.http import Http404, HttpResponse
from django.utils.cache import add_never_cache_headers

from mesoclinic.accounts.models import User
from mesoclinic.photos import services
from mesoclinic.photos.access import get_shown_photo
from mesoclinic.photos.models import Kind


def image_response(user: User, public_id: uuid.UUID, kind: str) -> HttpResponse:
    """The decrypted image for clinical staff of the photo's organization (else 404, or
    PermissionDenied for another role), never a voided photo's, never cached, audited."""
    if kind not in Kind.values:
        raise Http404
    photo = get_shown_photo(public_id)
    try:
        data = services.read_image(user, photo, kind)
    except services.PhotoRefused:
        raise Http404 from None
    response = HttpResponse(data, content_type=photo.mime_of(kind))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Disposition"] = "inline"
    add_never_cache_headers(response)
    return response
