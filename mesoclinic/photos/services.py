"""Taking, showing and voiding clinical photos: the rules every caller meets.

Photos are health data that reception never sees: each function checks the role itself,
whoever calls it (a page, the API, a command), and writes the audit event. The image is
checked and its derivatives made (`images.prepare`) before any transaction starts, so
decoding a large photo never holds the database's write lock; the row is written after
the encrypted files, and files whose row could not be written are removed again.
"""

import datetime as dt
import uuid
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission
from mesoclinic.outcomes.models import Assessment, Side
from mesoclinic.patients.models import Patient
from mesoclinic.photos import catalogue, consent, images
from mesoclinic.photos.models import ConsentScope, Kind, Photo
from mesoclinic.photos.storage import photo_storage
from mesoclinic.records import void_once
from mesoclinic.treatments.models import TreatmentSession

CLINICAL_ONLY = "Only clinical staff take or see photos."


class PhotoRefused(Exception):
    """A photo that cannot be kept as given; ``field`` names the input to fix."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def submitted(submission_key: uuid.UUID) -> Photo | None:
    return Photo.objects.filter(submission_key=submission_key).first()


def _check_details(
    patient: Patient,
    *,
    view: str,
    area: str,
    side: str,
    session: TreatmentSession | None,
    assessment: Assessment | None,
) -> None:
    if view not in catalogue.BY_SLUG:
        raise PhotoRefused("Choose the view this photo shows.", field="view")
    if area and area not in rules.areas():
        raise PhotoRefused("Choose an area from the list, or none.", field="area")
    if side not in Side.values:
        raise PhotoRefused("Choose left, right or not sided.", field="side")
    if session is not None and (session.patient_id != patient.pk or session.is_voided):
        raise PhotoRefused("That session is not one of this patient's.", field="session")
    if assessment is not None and (assessment.patient_id != patient.pk or assessment.is_voided):
        raise PhotoRefused("That assessment is not one of this patient's.", field="assessment")


def _read_upload(upload: IO[bytes], max_bytes: int) -> bytes:
    """At most one byte more than allowed: enough to refuse a larger file unread."""
    upload.seek(0)
    return upload.read(max_bytes + 1)


def add_photo(
    user: User,
    patient: Patient,
    upload: IO[bytes],
    *,
    view: str,
    area: str,
    side: str,
    device: str,
    session: TreatmentSession | None = None,
    assessment: Assessment | None = None,
    submission_key: uuid.UUID,
    taken_at: dt.datetime | None = None,
) -> Photo:
    """Check and keep one photo. A form submitted twice carries one key: the second
    submission gets the photo the first one made, and nothing is written. `taken_at`
    (now unless told) is for photos imported from a clinic camera or the demo's past;
    never in the future."""
    roles.check(user, roles.EDIT_CLINICAL, CLINICAL_ONLY)
    if (existing := submitted(submission_key)) is not None:
        return existing
    _check_details(patient, view=view, area=area, side=side, session=session, assessment=assessment)
    if not consent.has_live(patient, ConsentScope.CLINICAL):
        raise PhotoRefused(consent.NO_CLINICAL_CONSENT, field="photo")
    now = timezone.now()
    if taken_at is not None and taken_at > now:
        raise PhotoRefused("A photo cannot be taken in the future.", field="taken_at")
    max_bytes = settings.PHOTO_MAX_BYTES
    try:
        prepared = images.prepare(_read_upload(upload, max_bytes), max_bytes=max_bytes)
    except images.ImageRefused as refusal:
        raise PhotoRefused(refusal.message, field="photo") from None
    public_id = uuid.uuid4()
    names = _store(f"{patient.organization_id}/{public_id}", prepared)
    try:
        with transaction.atomic():
            photo = Photo.objects.create(
                public_id=public_id,
                patient=patient,
                session=session,
                assessment=assessment,
                area=area,
                view=view,
                side=side,
                taken_at=taken_at or now,
                taken_by=user,
                device=" ".join(device.split())[:100],
                original_name=names[Kind.ORIGINAL],
                screen_name=names[Kind.SCREEN],
                thumb_name=names[Kind.THUMB],
                mime=prepared.original.mime,
                width=prepared.original.width,
                height=prepared.original.height,
                screen_width=prepared.screen.width,
                screen_height=prepared.screen.height,
                thumb_width=prepared.thumb.width,
                thumb_height=prepared.thumb.height,
                sha256=prepared.sha256,
                submission_key=submission_key,
                changed_by=user,
            )
            record(user, Action.CREATE, photo, fields=["view", "images"], detail=view)
    except IntegrityError as error:
        _remove(names)
        if not second_submission(error, "photos_photo"):
            raise
        return Photo.objects.get(submission_key=submission_key)
    except BaseException:
        _remove(names)
        raise
    return photo


def _store(base: str, prepared: images.Prepared) -> dict[str, str]:
    storage = photo_storage()
    names: dict[str, str] = {}
    try:
        for kind, image in (
            (Kind.ORIGINAL, prepared.original),
            (Kind.SCREEN, prepared.screen),
            (Kind.THUMB, prepared.thumb),
        ):
            names[kind] = storage.save(f"{base}/{kind}", ContentFile(image.data))
    except BaseException:
        _remove(names)
        raise
    return names


def _remove(names: dict[str, str]) -> None:
    """Files no row names (a photo that was not recorded): nothing of the record is lost."""
    storage = photo_storage()
    for name in names.values():
        storage.delete(name)


def read_image(user: User, photo: Photo, kind: str) -> bytes:
    """The decrypted image of `kind` (original, screen or thumb), audited, for clinical
    staff only; a voided photo's images are not shown."""
    roles.check(user, roles.VIEW_CLINICAL, CLINICAL_ONLY)
    if photo.is_voided:
        raise PhotoRefused("This photo was voided: its images are no longer shown.")
    data = photo_storage().read(photo.stored_name(kind))
    record(user, Action.VIEW, photo, detail=f"image {kind}")
    return data


@transaction.atomic
def void_photo(user: User, photo: Photo, reason: str) -> bool:
    """Void a photo taken in error (wrong patient, wrong view): it leaves the patient's
    photos and its images are served no more; the record stays with who, when and why.
    Voiding twice changes nothing (False)."""
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff void photos.")
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise PhotoRefused("Give the reason for voiding this photo.", field="reason")
    if not void_once(photo, user, reason[:500]):
        return False
    record(user, Action.VOID, photo, fields=["voided_at", "void_reason"], detail=reason)
    return True
