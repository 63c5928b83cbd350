"""Photo consent: given per purpose, revocable, and read by every path that uses photos.

A patient consents separately to photos in the clinical record, for teaching and for
marketing. No photo is taken without a live clinical-record consent (`services.add_photo`
asks `has_live`), and an export for teaching or marketing takes only the photos of the
patients whose consent of that scope is live when the export is made: revoking one
takes the patient's photos out of the next export at once.
"""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission, violates
from mesoclinic.patients.models import Patient
from mesoclinic.photos.models import (
    ONE_LIVE_PHOTO_CONSENT,
    ConsentHow,
    ConsentScope,
    PhotoConsent,
)
from mesoclinic.records import void_once

CLINICAL_ONLY = "Only clinical staff record or revoke photo consent."
LIVE_ONCE = "photos_photoconsent.patient_id, photos_photoconsent.scope"
NO_CLINICAL_CONSENT = "Record the patient's consent to clinical photos first."


class ConsentRefused(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def live(patient: Patient) -> dict[str, PhotoConsent]:
    """The patient's live consents by scope (one query)."""
    found = PhotoConsent.objects.filter(patient=patient, voided_at__isnull=True)
    return {consent.scope: consent for consent in found.select_related("recorded_by")}


def history(patient: Patient) -> list[PhotoConsent]:
    """Every consent the patient gave, newest first, revoked ones included."""
    return list(
        PhotoConsent.objects.filter(patient=patient)
        .select_related("recorded_by", "voided_by")
        .order_by("-given_at", "-id")
    )


def has_live(patient: Patient, scope: str) -> bool:
    return PhotoConsent.objects.filter(
        patient=patient, scope=scope, voided_at__isnull=True
    ).exists()


def consented_patient_ids(scope: str) -> set[int]:
    """The patients (ids) of the current organization whose consent of `scope` is live."""
    return set(
        PhotoConsent.objects.filter(scope=scope, voided_at__isnull=True).values_list(
            "patient_id", flat=True
        )
    )


def give(
    user: User,
    patient: Patient,
    scope: str,
    *,
    how: str,
    note: str = "",
    submission_key: uuid.UUID,
    given_at: dt.datetime | None = None,
) -> PhotoConsent:
    """Record a consent the patient gave (now, unless told: a paper form signed earlier;
    never in the future). A form sent twice records one consent; a scope already live is
    refused, so the record says plainly when each consent began."""
    roles.check(user, roles.EDIT_CLINICAL, CLINICAL_ONLY)
    if (existing := PhotoConsent.objects.filter(submission_key=submission_key).first()) is not None:
        return existing
    if scope not in ConsentScope.values:
        raise ConsentRefused("Choose what the patient consents to.", field="scope")
    if how not in ConsentHow.values:
        raise ConsentRefused("Say how the patient gave consent.", field="how")
    now = timezone.now()
    if given_at is not None and given_at > now:
        raise ConsentRefused("Consent cannot be given in the future.", field="given_at")
    try:
        with transaction.atomic():
            consent = PhotoConsent.objects.create(
                patient=patient,
                scope=scope,
                how=how,
                note=" ".join(note.split())[:300],
                given_at=given_at or now,
                recorded_by=user,
                submission_key=submission_key,
                changed_by=user,
            )
            record(user, Action.CREATE, consent, fields=["scope", "how"], detail=scope)
    except IntegrityError as error:
        if second_submission(error, "photos_photoconsent"):
            return PhotoConsent.objects.get(submission_key=submission_key)
        if violates(error, ONE_LIVE_PHOTO_CONSENT, LIVE_ONCE):
            raise ConsentRefused(
                "This consent is already recorded; revoke it first to record it again.",
                field="scope",
            ) from None
        raise
    return consent


@transaction.atomic
def revoke(user: User, consent: PhotoConsent, reason: str) -> bool:
    """The patient withdraws this consent: from now on no photo is taken (clinical) or
    exported (teaching, marketing) under it. Photos already in the record stay there.
    Revoking twice changes nothing (False)."""
    roles.check(user, roles.EDIT_CLINICAL, CLINICAL_ONLY)
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise ConsentRefused("Give the reason, as the patient told it.", field="reason")
    if not void_once(consent, user, reason[:500]):
        return False
    record(user, Action.VOID, consent, fields=["voided_at", "void_reason"], detail=reason)
    return True
