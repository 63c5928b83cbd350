"""One helper per object kind: the object if it belongs to the user's organization, else 404."""

import uuid

from django.shortcuts import get_object_or_404

from mesoclinic.photos.models import Photo, PhotoConsent


def get_photo(public_id: uuid.UUID) -> Photo:
    """The photo, voided or not, if it belongs to the user's organization, else 404."""
    return get_object_or_404(
        Photo.objects.select_related("patient", "taken_by", "voided_by", "session"),
        public_id=public_id,
    )


def get_shown_photo(public_id: uuid.UUID) -> Photo:
    """A photo whose images may be served: of the user's organization and not voided."""
    return get_object_or_404(Photo.objects, public_id=public_id, voided_at__isnull=True)


def get_photo_consent(public_id: uuid.UUID) -> PhotoConsent:
    """The photo consent if it belongs to the user's organization, else 404."""
    return get_object_or_404(PhotoConsent.objects.select_related("patient"), public_id=public_id)
