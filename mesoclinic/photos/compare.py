"""Two photos of one view side by side: which two, and how to line them up (issue 15).

A comparison only means something between photos of the same view of the same patient,
neither voided; anything else is refused with a message, never half-shown. Face photos
whose pupils are placed are lined up by them: the similarity that puts the after photo's
pupils on the before photo's, in the screen images' pixels, is what the page applies, so
that a difference seen is the patient's and not the camera's distance or tilt.

The page reads a bounded number of rows whatever the patient's photo count: the views'
counts, the chosen view's photos (one list for the picker and the pair), the landmarks
of the pair.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Count

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.photos import catalogue, landmarks
from mesoclinic.photos.models import LANDMARK_VIEWS, Photo
from mesoclinic.photos.services import CLINICAL_ONLY
from mesoclinic.rules import symmetry
from mesoclinic.rules.errors import RulesInputError

Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class Alignment:
    """How the after photo is laid on the before one. ``matrix`` (CSS order a, b, c, d,
    e, f) maps after-screen pixels onto before-screen pixels; None: shown as taken."""

    matrix: Matrix | None
    message: str
    scale: float = 1.0
    angle_deg: float = 0.0
    # Photos whose pupils are still to be placed (to link to their landmark page).
    missing: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Comparison:
    patient: Patient
    views: list[tuple[catalogue.View, int]]  # views with at least two photos, and how many
    view: catalogue.View | None
    photos: list[Photo]  # the chosen view's photos, oldest first
    before: Photo | None = None
    after: Photo | None = None
    alignment: Alignment | None = None
    refusal: str = ""


def compare(
    user: User,
    patient: Patient,
    *,
    view: str = "",
    before: str = "",
    after: str = "",
) -> Comparison:
    """The comparison a clinician asked for (`view` slug, photo public ids as typed in
    the address), or why it cannot be made. Writes one audit event: the patient's
    photos were looked at."""
    roles.check(user, roles.VIEW_CLINICAL, CLINICAL_ONLY)
    record(user, Action.VIEW, patient, detail="photo comparison")
    views = _comparable_views(patient)
    if view and view not in catalogue.BY_SLUG:
        return Comparison(patient, views, None, [], refusal="Choose a view from the list.")
    try:
        ids = [uuid.UUID(v) if v else None for v in (before, after)]
    except ValueError:
        return Comparison(patient, views, None, [], refusal="That photo could not be found.")
    chosen = _chosen(patient, ids)
    if isinstance(chosen, str):
        return Comparison(patient, views, None, [], refusal=chosen)
    slug = view or next((p.view for p in chosen if p), "") or (views[0][0].slug if views else "")
    if not slug:
        return Comparison(patient, views, None, [])
    photos = list(
        Photo.objects.filter(patient=patient, view=slug, voided_at__isnull=True).order_by(
            "taken_at", "id"
        )
    )
    return _pair(patient, views, catalogue.BY_SLUG[slug], photos, chosen)


def _comparable_views(patient: Patient) -> list[tuple[catalogue.View, int]]:
    counts = dict(
        Photo.objects.filter(patient=patient, voided_at__isnull=True)
        .values_list("view")
        .annotate(n=Count("id"))
        .values_list("view", "n")
    )
    return [(v, counts[v.slug]) for v in catalogue.VIEWS if counts.get(v.slug, 0) >= 2]


def _chosen(patient: Patient, ids: list[uuid.UUID | None]) -> list[Photo | None] | str:
    """The photos named in the address, or why one of them cannot be compared. Another
    organization's photo is not found at all (the manager is the organization's)."""
    wanted = [i for i in ids if i is not None]
    found = {p.public_id: p for p in Photo.objects.filter(public_id__in=wanted)} if wanted else {}
    chosen = [found.get(i) if i else None for i in ids]
    for public_id, photo in zip(ids, chosen, strict=True):
        if public_id is None:
            continue
        if photo is None or photo.patient_id != patient.pk:
            return "That photo is not one of this patient's."
        if photo.is_voided:
            return "A voided photo is not compared: choose another one."
    return chosen


def _pair(
    patient: Patient,
    views: list[tuple[catalogue.View, int]],
    view: catalogue.View,
    photos: list[Photo],
    chosen: list[Photo | None],
) -> Comparison:
    for photo in chosen:
        if photo is not None and photo.view != view.slug:
            others = sorted({catalogue.label(p.view) for p in chosen if p} | {view.label})
            return Comparison(
                patient,
                views,
                view,
                photos,
                refusal=f"These photos show different views ({' and '.join(others)}): "
                "compare two photos of the same view.",
            )
    before = chosen[0] or next((p for p in photos if p != chosen[1]), None)
    after = chosen[1] or next((p for p in reversed(photos) if p != before), None)
    if before is None or after is None:
        return Comparison(patient, views, view, photos)
    if before == after:
        return Comparison(
            patient, views, view, photos, refusal="Choose two different photos to compare."
        )
    return Comparison(patient, views, view, photos, before, after, align(before, after))


def align(before: Photo, after: Photo) -> Alignment:
    """How the after photo lies on the before one, in their screen images' pixels."""
    if before.view not in LANDMARK_VIEWS:
        return Alignment(
            None, "Not lined up: photos are lined up by the pupils on face views only."
        )
    placed = landmarks.current([before, after])
    found = [
        (p, landmarks.pupils(placed.get(p.pk), p.screen_width, p.screen_height))
        for p in (before, after)
    ]
    missing = tuple(p for p, pupils in found if pupils is None)
    if missing:
        return Alignment(None, "Place the pupils on both photos to line them up.", missing=missing)
    (_, fixed), (_, moving) = found
    assert fixed is not None and moving is not None  # none is missing
    try:
        similarity = symmetry.align(moving, fixed)
    except RulesInputError:
        return Alignment(None, "Not lined up: the pupils placed on a photo are too close.")
    return Alignment(
        css_matrix(similarity),
        "Aligned by the pupils.",
        scale=similarity.scale,
        angle_deg=similarity.angle_deg,
    )


def css_matrix(similarity: symmetry.Similarity) -> Matrix:
    """The similarity as CSS `matrix(a, b, c, d, e, f)`: x' = a x + c y + e, y' = b x +
    d y + f, with the shift in the pixels of the photo it maps onto."""
    a, b = similarity.apply((1.0, 0.0))
    e, f = similarity.shift
    a, b = a - e, b - f
    return (a, b, -b, a, e, f)
