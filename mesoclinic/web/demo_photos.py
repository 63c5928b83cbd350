"""The demo clinic's photographs: synthetic faces (drawn by `photos.synthetic`, never of a
person) for its facial courses, at the first and the last signed session, with the
landmarks placed where the drawing put them, so that comparison and symmetry show real
content on the first start.

Each patient gets a face of their own (a slight asymmetry and a fuller right cheek, more
or less); the last session's photo shows a little less of both, as a course that helped.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from typing import Any

from mesoclinic.accounts.models import User
from mesoclinic.photos import consent, landmarks, services, synthetic
from mesoclinic.photos.models import ConsentHow, ConsentScope
from mesoclinic.rules import photography
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

COURSES = 24  # face courses photographed: enough to browse, quick to load
DEVICE = "Demo clinic camera"


def create_photos(seed: int = 2026) -> int:
    """Photos of the demo's facial courses (call inside `acting_for(org)`, once, after the
    past is loaded); returns how many were taken."""
    rng = random.Random(f"{seed}:photos")
    signed = (
        TreatmentSession.objects.filter(status=SessionStatus.SIGNED, plan__isnull=False)
        .select_related("patient", "plan", "performed_by")
        .order_by("plan_id", "started_at")
    )
    by_plan: dict[int, list[TreatmentSession]] = {}
    for session in signed:
        if session.plan is not None and _face_course(session.plan.inputs):
            by_plan.setdefault(session.plan.pk, []).append(session)
    taken = 0
    for index, sessions in enumerate(list(by_plan.values())[:COURSES]):
        _consent(sessions[0], teaching=index % 3 == 0, marketing=index % 8 == 0)
        face = _face(rng)
        ends = [sessions[0], sessions[-1]] if len(sessions) > 1 else sessions
        for n, session in enumerate(ends):
            _photograph(session, _improved(face) if n else face)
            taken += 1
    return taken


def _consent(first: TreatmentSession, *, teaching: bool, marketing: bool) -> None:
    """Every photographed patient consented to clinical photos, on paper, the day of the
    first session; some also to teaching, a few to marketing, so the export has both."""
    given_at = first.started_at - dt.timedelta(minutes=10)
    user: User = first.performed_by
    scopes = [ConsentScope.CLINICAL]
    scopes += [ConsentScope.TEACHING] if teaching else []
    scopes += [ConsentScope.MARKETING] if marketing else []
    for scope in scopes:
        if consent.has_live(first.patient, scope):  # a second facial course
            continue
        consent.give(
            user,
            first.patient,
            scope,
            how=ConsentHow.PAPER,
            submission_key=uuid.uuid4(),
            given_at=given_at,
        )


def _face_course(inputs: dict[str, Any]) -> bool:
    areas = [item["area"] for item in inputs.get("items", [])]
    return any(v.slug == "face-front" for v in photography.views_for(areas))


def _face(rng: random.Random) -> synthetic.Face:
    return synthetic.Face(
        moved={
            "mouth-corner-left": (rng.uniform(0.5, 3.5), rng.uniform(-1.5, 1.5)),
            "brow-peak-right": (rng.uniform(-2.0, 0.0), rng.uniform(-2.5, 0.5)),
            "jaw-angle-left": (rng.uniform(0.0, 4.0), 0.0),
        },
        cheek_fullness=rng.uniform(0.0, 4.0),
        roll=rng.uniform(-2.0, 2.0),
        centre=(480 + rng.uniform(-30, 30), 560 + rng.uniform(-30, 30)),
        px_per_mm=rng.uniform(3.7, 4.3),
    )


def _improved(face: synthetic.Face) -> synthetic.Face:
    moved = {k: (dx * 0.6, dy * 0.6) for k, (dx, dy) in face.moved.items()}
    return synthetic.Face(
        moved=moved,
        cheek_fullness=face.cheek_fullness * 0.5,
        roll=-face.roll / 2,
        centre=(face.centre[0] + 12, face.centre[1] - 8),
        px_per_mm=face.px_per_mm * 1.03,
    )


def _photograph(session: TreatmentSession, face: synthetic.Face) -> None:
    image, at = synthetic.draw(face)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    user: User = session.performed_by
    photo = services.add_photo(
        user,
        session.patient,
        buffer,
        view="face-front",
        area="",
        side="",
        device=DEVICE,
        session=session,
        submission_key=uuid.uuid4(),
        taken_at=session.started_at,
    )
    points = {name: (x / photo.width, y / photo.height) for name, (x, y) in at.items()}
    landmarks.place(user, photo, points, submission_key=uuid.uuid4())
