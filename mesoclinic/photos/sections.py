"""What the photos app shows on pages that compose several apps (the day)."""

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from mesoclinic.patients.models import Patient
from mesoclinic.photos import capture, catalogue
from mesoclinic.photos.models import Photo
from mesoclinic.plans.models import PlanVersion
from mesoclinic.rules import photography

FirstSession = tuple[Patient, PlanVersion, int | None]  # the patient, the version, the session


def baselines_due(first_sessions: Iterable[FirstSession]) -> dict[int, list[catalogue.View]]:
    """The baseline views still missing, by patient, for courses about to have their first
    session (the session, once started, or None): the views sign-off waits for
    (`capture.baseline_problems`), counted the same way, from photos not voided taken of
    the patient at no session, or at that session. One query whatever the count."""
    wanted: dict[int, tuple[list[str], int | None]] = {}
    for patient, version, session_id in first_sessions:
        areas = [a for found in capture.baseline_areas(version).values() for a in found]
        if areas:
            known = wanted.get(patient.pk, ([], None))[0]
            wanted[patient.pk] = (list(dict.fromkeys([*known, *areas])), session_id)
    if not wanted:
        return {}
    sessions = {s for _, s in wanted.values() if s is not None}
    rows = (
        Photo.objects.filter(patient_id__in=wanted, voided_at__isnull=True)
        .filter(Q(session__isnull=True, taken_at__lte=timezone.now()) | Q(session_id__in=sessions))
        .values_list("patient_id", "session_id", "view")
    )
    taken: dict[int, set[str]] = {}
    for patient_id, session_id, view in rows:
        if session_id is None or session_id == wanted[patient_id][1]:
            taken.setdefault(patient_id, set()).add(view)
    out = {}
    for patient_id, (areas, _) in wanted.items():
        missing = photography.missing(areas, taken.get(patient_id, set()))
        if missing:
            out[patient_id] = [catalogue.BY_SLUG[v.slug] for v in missing]
    return out
