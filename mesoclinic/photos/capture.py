"""Which standard views a session is photographed in, which of them are taken, and the
baseline photos a course's first session waits for (issue 15, "Capture").

A session's areas are what it charts and what its plan version schedules for this
session number; their views are reference data (`rules.photography`). A course whose
protocol needs a baseline (`photography.baseline_required`) has its first session signed
only once each of those views has a photo that is not voided: taken at that session, or
taken of the patient at no session before sign-off. Treatments cannot import photos, so
`apps.PhotosConfig.ready` registers `baseline_problems` with `treatments.sign_checks`.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.photos import catalogue
from mesoclinic.photos.models import Photo
from mesoclinic.plans.models import PlanVersion
from mesoclinic.rules import photography
from mesoclinic.treatments import session_diagram
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession

CLINICAL_ONLY = "Only clinical staff take or see photos."


@dataclass(frozen=True)
class ViewShot:
    """One standard view of the session: its newest photo, or None while missing."""

    view: catalogue.View
    area: str  # the first of the session's areas taken in this view, to prefill the form
    photo: Photo | None


def session_number(session: TreatmentSession) -> int:
    """Which session of its course this is: the ones of the plan started before it, plus one."""
    assert session.plan_id is not None
    earlier = TreatmentSession.objects.filter(
        plan_id=session.plan_id, started_at__lt=session.started_at
    ).exclude(status=SessionStatus.VOIDED)
    return earlier.count() + 1


def planned_areas(session: TreatmentSession) -> list[str]:
    """The plan version's areas scheduled for this session number (all of them when the
    schedule does not say), or the ad hoc check's."""
    areas = [a["area"] for a in session_diagram.session_areas(session)]
    if session.plan_version is None:
        return list(dict.fromkeys(areas))
    number = session_number(session)
    for entry in session.plan_version.result.get("schedule", []):
        if entry["session"] == number:
            scheduled = [a for a in areas if a in entry["areas"]]
            return list(dict.fromkeys(scheduled or areas))
    return list(dict.fromkeys(areas))


def session_areas(session: TreatmentSession) -> list[str]:
    """What the session charts, then what it plans and has not charted yet."""
    charted = SessionArea.objects.filter(session=session).order_by("id")
    areas = [*charted.values_list("area", flat=True), *planned_areas(session)]
    known = rules.areas()
    return [a for a in dict.fromkeys(areas) if a in known]


def _view_shots(areas: list[str], photos: list[Photo]) -> list[ViewShot]:
    newest: dict[str, Photo] = {}
    for photo in photos:  # newest first
        newest.setdefault(photo.view, photo)
    by_area = photography.load_photography().by_area
    return [
        ViewShot(view, next(a for a in areas if view.slug in by_area[a]), newest.get(view.slug))
        for view in catalogue.for_areas(areas)
    ]


def session_views(user: User, session: TreatmentSession) -> list[ViewShot]:
    """The session's standard views, each with its newest photo of this session that is
    not voided; clinical staff only, one audit event."""
    roles.check(user, roles.VIEW_CLINICAL, CLINICAL_ONLY)
    photos = list(
        Photo.objects.filter(session=session, voided_at__isnull=True).order_by("-taken_at", "-id")
    )
    shots = _view_shots(session_areas(session), photos)
    record(user, Action.VIEW, session, detail="photo views")
    return shots


def _is_first_of_course(session: TreatmentSession) -> bool:
    assert session.plan_id is not None
    others = TreatmentSession.objects.filter(plan_id=session.plan_id, status=SessionStatus.SIGNED)
    return not others.exclude(pk=session.pk).exists()


def _baseline_areas(session: TreatmentSession) -> dict[str, list[str]]:
    """The areas of the course's first session whose protocol needs a baseline, by protocol.

    A first session is session 1 of its plan (an earlier one not voided would be signed,
    or open, and a patient has one open session at a time), so the schedule's first entry
    says which areas it treats; read from the version already loaded, with no query."""
    assert session.plan_version is not None
    return baseline_areas(session.plan_version)


def baseline_areas(version: PlanVersion) -> dict[str, list[str]]:
    """The areas of the version's first session whose protocol needs a baseline, by
    protocol: no query."""
    result = version.result
    first = next((s["areas"] for s in result.get("schedule", []) if s["session"] == 1), None)
    found: dict[str, list[str]] = {}
    for planned in result["areas"]:
        protocol, area = planned.get("protocol", ""), planned["area"]
        if first is not None and area not in first:
            continue
        if photography.baseline_required(protocol) and area not in found.get(protocol, []):
            found.setdefault(protocol, []).append(area)
    return found


def baseline_problems(session: TreatmentSession) -> list[str]:
    """Why this session cannot be signed yet for want of baseline photos (a sign check).

    Photos are read first: once they are all taken, nothing else is (sign-off's reads)."""
    if session.plan_id is None or session.plan_version is None:
        return []  # an ad hoc session starts no course
    needing = _baseline_areas(session)
    if not needing:
        return []
    areas = list(dict.fromkeys(a for found in needing.values() for a in found))
    before_sign_off = Q(session__isnull=True, taken_at__lte=timezone.now())
    taken = set(
        Photo.objects.filter(patient_id=session.patient_id, voided_at__isnull=True)
        .filter(Q(session=session) | before_sign_off)
        .values_list("view", flat=True)
    )
    missing = photography.missing(areas, taken)
    if not missing or not _is_first_of_course(session):
        return []
    wanted = photography.views_for(areas)
    return [
        "This protocol needs its baseline photos before its first session is signed: "
        f"{len(wanted) - len(missing)} of {len(wanted)} taken — missing: "
        f"{'; '.join(catalogue.label(v.slug) for v in missing)}."
    ]
