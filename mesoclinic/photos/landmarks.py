"""Placing landmarks on a photo, and reading a photo's current ones.

The practitioner places the points (rules.symmetry names them); this module keeps them
as a signed placement and answers the two questions other pages ask: where a photo's
pupils are (to line two photos up) and how symmetric a frontal face is.
"""

import math
import uuid
from collections.abc import Iterable, Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission, violates
from mesoclinic.photos.models import LANDMARK_VIEWS, MEASURED_VIEW, Landmarks, Photo
from mesoclinic.photos.services import CLINICAL_ONLY, PhotoRefused
from mesoclinic.rules import symmetry

RULER = ("ruler-a", "ruler-b")
NAMES = frozenset(symmetry.LANDMARKS) | frozenset(RULER)
Point = tuple[float, float]


def current(photos: Iterable[Photo]) -> dict[int, Landmarks]:
    """Each photo's current placement (newest, not voided, not replaced), by photo id:
    one query whatever the count."""
    ids = [p.pk for p in photos]
    rows = Landmarks.objects.filter(
        photo_id__in=ids, voided_at__isnull=True, replaced_by__isnull=True
    ).order_by("photo_id", "-placed_at")
    found: dict[int, Landmarks] = {}
    for row in rows:
        found.setdefault(row.photo_id, row)
    return found


def pupils(placed: Landmarks | None, width: float, height: float) -> tuple[Point, Point] | None:
    """The patient's right and left pupils in pixels of an image this size, if placed."""
    if placed is None:
        return None
    right = placed.point("pupil-right", width, height)
    left = placed.point("pupil-left", width, height)
    return (right, left) if right and left else None


def measure(placed: Landmarks, photo: Photo) -> symmetry.Symmetry:
    """The symmetry of a frontal face from its placement, in pixels of the original
    (millimetres too when a ruler was placed)."""
    points = {
        name: p
        for name in symmetry.LANDMARKS
        if (p := placed.point(name, photo.width, photo.height)) is not None
    }
    return symmetry.measure(points, mm_per_px=_mm_per_px(placed, photo))


def _mm_per_px(placed: Landmarks, photo: Photo) -> float | None:
    ends = [placed.point(n, photo.width, photo.height) for n in RULER]
    if placed.ruler_mm is None or None in ends:
        return None
    (ax, ay), (bx, by) = ends  # type: ignore[misc]
    length = math.hypot(bx - ax, by - ay)
    return placed.ruler_mm / length if length > 0 else None


def _clean(points: Mapping[str, object]) -> dict[str, list[float]]:
    cleaned: dict[str, list[float]] = {}
    for name, value in points.items():
        if name not in NAMES:
            raise PhotoRefused(f"Unknown landmark {name!r}.", field="points")
        try:
            x, y = (float(v) for v in value)  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            raise PhotoRefused(
                "Each landmark needs a position on the photo.", field="points"
            ) from None
        if not (0 <= x <= 1 and 0 <= y <= 1) or math.isnan(x) or math.isnan(y):
            raise PhotoRefused("A landmark lies outside the photo.", field="points")
        cleaned[name] = [round(x, 5), round(y, 5)]
    if "pupil-right" not in cleaned or "pupil-left" not in cleaned:
        raise PhotoRefused("Place both pupils first.", field="points")
    return cleaned


def _reason(text: str) -> str:
    if "\x00" in text:  # as a form's text field says; PostgreSQL cannot store it
        raise PhotoRefused("Null characters are not allowed.", field="reason")
    return " ".join(text.split())[:500]


def place(
    user: User,
    photo: Photo,
    points: Mapping[str, object],
    *,
    submission_key: uuid.UUID,
    ruler_mm: float | None = None,
    reason: str = "",
) -> Landmarks:
    """Keep a placement of `points` ({name: (x, y)} as fractions of the image's width and
    height) on `photo`. A photo with landmarks already gets a new placement that replaces
    them, which needs a reason. A form submitted twice carries one key: one placement."""
    roles.check(user, roles.EDIT_CLINICAL, CLINICAL_ONLY)
    if (existing := Landmarks.objects.filter(submission_key=submission_key).first()) is not None:
        return existing
    if photo.is_voided:
        raise PhotoRefused("This photo was voided: landmarks cannot be placed on it.")
    if photo.view not in LANDMARK_VIEWS:
        raise PhotoRefused("Landmarks are placed on a face photo that shows both eyes.")
    cleaned = _clean(points)
    if ruler_mm is not None and not (0 < ruler_mm <= 500):
        raise PhotoRefused("Give the ruler's length in mm, up to 500.", field="ruler_mm")
    if ruler_mm is not None and not all(n in cleaned for n in RULER):
        raise PhotoRefused("Mark both ends of the ruler, or leave its length empty.", "ruler_mm")
    reason = _reason(reason)
    try:
        with transaction.atomic():
            before = current([photo]).get(photo.pk)
            if before is not None and len(reason) < 3:
                raise PhotoRefused("Say why the landmarks are moved.", field="reason")
            placed = Landmarks.objects.create(
                photo=photo,
                points=cleaned,
                ruler_mm=ruler_mm,
                placed_at=timezone.now(),
                placed_by=user,
                replaces=before,
                reason=reason if before is not None else "",
                submission_key=submission_key,
                changed_by=user,
            )
            record(
                user,
                Action.CREATE if before is None else Action.CHANGE,
                placed,
                fields=["points", "ruler_mm"],
                detail=reason or f"{len(cleaned)} landmarks",
            )
    except IntegrityError as error:
        if second_submission(error, "photos_landmarks"):
            return Landmarks.objects.get(submission_key=submission_key)
        if violates(error, "photos_landmarks_replaces_id_key", "photos_landmarks.replaces_id"):
            raise PhotoRefused(
                "Someone placed these landmarks again meanwhile: reload the photo."
            ) from None
        raise
    return placed


def measurable(photo: Photo) -> bool:
    return photo.view == MEASURED_VIEW
