"""Photos for the comparison benchmark: two patients with a frontal series of 2 and of
20 drawn faces (photos/synthetic.py, never a person), the pupils placed on each.

The comparison page reads the views' counts and the chosen view's photos: a patient
with ten times the photos should cost the same to compare. Submission keys are derived
from the patient and the photo's rank, so a second `bench-prepare` on the same database
adds nothing (the services return what the first one made).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.patients.models import Patient
from mesoclinic.photos import consent, landmarks, services, synthetic
from mesoclinic.photos.models import ConsentHow, ConsentScope

SERIES = (2, 20)
VIEW = "face-front"
_KEYS = uuid.UUID("5f1b7a62-3c1e-4a53-9a8e-0c6d2f6b1e01")


def _face(rank: int) -> synthetic.Face:
    """A smaller photo than a camera's (drawing is the slow part); each a little moved,
    as a series taken over months is."""
    return synthetic.Face(
        size=(720, 960),
        centre=(360.0 + 4 * (rank % 5), 420.0 + 3 * (rank % 3)),
        px_per_mm=3.0 + 0.05 * (rank % 4),
        roll=(rank % 3) - 1.0,
    )


def _series(user: User, patient: Patient, count: int) -> list[str]:
    """The patient's series (made once), and the page and two screen images to open."""
    photos = []
    consent.give(  # made once too: the same key a second time returns the first
        user,
        patient,
        ConsentScope.CLINICAL,
        how=ConsentHow.PAPER,
        submission_key=uuid.uuid5(_KEYS, f"{patient.public_id}/consent"),
    )
    for rank in range(count):
        key = uuid.uuid5(_KEYS, f"{patient.public_id}/{rank}")
        photo = services.submitted(key)
        if photo is None:
            image, at = synthetic.draw(_face(rank))
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=85)
            photo = services.add_photo(
                user,
                patient,
                io.BytesIO(buffer.getvalue()),
                view=VIEW,
                area="",
                side="",
                device="Benchmark camera",
                submission_key=key,
                taken_at=timezone.now() - dt.timedelta(days=30 * (count - rank)),
            )
            points = {n: (at[n][0] / photo.width, at[n][1] / photo.height) for n in at}
            landmarks.place(user, photo, points, submission_key=uuid.uuid5(key, "landmarks"))
        photos.append(photo)
    page = reverse("photo_compare", args=[patient.public_id]) + f"?view={VIEW}"
    images = [reverse("photo_image", args=[p.public_id, "screen"]) for p in photos[:: count - 1]]
    return [page, *images]


def comparison_paths(user: User) -> dict[str, list[str]]:
    """By series length: the compare page and its two screen images, for the two newest
    patients of the chain (no other job opens them)."""
    patients = list(Patient.objects.order_by("-id")[: len(SERIES)])
    return {
        str(count): _series(user, patient, count)
        for count, patient in zip(SERIES, patients, strict=False)
    }
