"""The landmark placement page of a face photo, and the symmetry measured from it.

The page is a form: one hidden input per placed point (fractions of the upright
image), so a refused form comes back with every point where the practitioner put it.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes import courses
from mesoclinic.photos import landmarks, overlay
from mesoclinic.photos.access import get_photo
from mesoclinic.photos.models import LANDMARK_VIEWS, Landmarks, Photo
from mesoclinic.photos.services import PhotoRefused
from mesoclinic.rules import symmetry
from mesoclinic.rules.errors import RulesInputError

_SIDE = {"right": "Right", "left": "Left"}
_SINGULAR = {
    "pupil": "pupil",
    "eye-inner": "inner eye corner",
    "eye-outer": "outer eye corner",
    "brow-peak": "brow peak",
    "alar-base": "alar base",
    "mouth-corner": "mouth corner",
    "cheek": "cheek prominence",
    "jaw-angle": "jaw angle",
}


def ordered_names() -> list[tuple[str, str]]:
    """Every landmark with its human name, in the order they are placed: pupils, the
    other pairs, the midline, then the ruler's ends (optional)."""
    order = [
        (f"{k}-{s}", f"{_SIDE[s]} {_SINGULAR.get(k, k)}")
        for k, _ in symmetry.PAIRS
        for s in symmetry.SIDES
    ]
    order += list(symmetry.MIDLINE)
    order += [("ruler-a", "Ruler, first end"), ("ruler-b", "Ruler, second end")]
    return order


def _posted_points(data: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    points = {}
    for name, _ in ordered_names():
        x, y = data.get(f"{name}-x", "").strip(), data.get(f"{name}-y", "").strip()
        if x or y:
            points[name] = (x, y)
    return points


@require_http_methods(["GET", "POST"])
@require(roles.VIEW_CLINICAL)
@never_cache
def photo_landmarks(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    photo = get_photo(public_id)
    if photo.is_voided or photo.view not in LANDMARK_VIEWS:
        raise Http404
    placed = landmarks.current([photo]).get(photo.pk)
    if request.method == "GET":
        record(request.user, Action.VIEW, photo, detail="landmarks")
        points = {n: (str(v[0]), str(v[1])) for n, v in (placed.points if placed else {}).items()}
        return render(request, "photos/landmarks.html", _context(photo, placed, points, {}))
    points = _posted_points(request.POST)
    errors: dict[str, str] = {}
    try:
        ruler_text = request.POST.get("ruler_mm", "").strip()
        ruler = float(ruler_text) if ruler_text else None
        key = uuid.UUID(request.POST.get("submission_key", ""))
    except ValueError:
        errors["ruler_mm"] = "Give the ruler's length as a number of mm."
    else:
        try:
            landmarks.place(
                request.user,
                photo,
                points,
                submission_key=key,
                ruler_mm=ruler,
                reason=request.POST.get("reason", ""),
            )
        except PhotoRefused as refusal:
            errors[refusal.field or "points"] = refusal.message
        else:
            messages.success(request, "Landmarks kept.")
            return redirect("photo_landmarks", public_id=photo.public_id)
    record(request.user, Action.VIEW, photo, detail="landmarks")
    context = _context(photo, placed, points, errors)
    context["ruler_mm"] = request.POST.get("ruler_mm", "")
    context["reason"] = request.POST.get("reason", "")
    return render(request, "photos/landmarks.html", context, status=400)


def _context(
    photo: Photo,
    placed: Any,
    points: Mapping[str, tuple[str, str]],
    errors: Mapping[str, str],
) -> dict[str, Any]:
    return symmetry_context(photo, placed) | {
        "photo": photo,
        "patient": photo.patient,
        "placed": placed,
        "names": ordered_names(),
        "points": points,
        "errors": errors,
        "submission_key": uuid.uuid4(),
        "ruler_mm": placed.ruler_mm if placed and placed.ruler_mm else "",
        "reason": "",
    }


def symmetry_context(photo: Photo, placed: Landmarks | None) -> dict[str, Any]:
    """The symmetry measured on a frontal photo, its overlay picture, and the scores it
    may be recorded as (`photos/_symmetry.html`); nothing when it cannot be measured."""
    result = None
    if placed is not None and landmarks.measurable(photo):
        try:
            result = landmarks.measure(placed, photo)
        except RulesInputError:
            result = None
    return {
        "result": result,
        "overlay": overlay.draw(placed, photo, result) if placed and result else None,
        "symmetry_due": _symmetry_due(photo) if result and not result.unsuitable else [],
        "roll_tolerance": symmetry.ROLL_TOLERANCE_DEG,
        "yaw_tolerance": symmetry.YAW_TOLERANCE_DEG,
    }


SYMMETRY_INDEX = "symmetry-index"


def _symmetry_due(photo: Photo) -> list[courses.Due]:
    """The patient's symmetry-index scores now due (courses whose protocol measures facial
    symmetry): the index of this photo may be recorded as one of them."""
    found = courses.courses_for(photo.patient)
    return [d for d in courses.due_for(found) if d.instrument.slug == SYMMETRY_INDEX]
