"""The comparison sheet for a consultation: each view's photos over the course, with
their dates, which session of the course they were taken at, and the outcome scores
recorded at the same visit (issue 15, "Comparison").

A visit's scores are the patient's current (not voided) assessments taken at the same
session, or for the assessment the photo was taken for, or on the same day. A view with
many photos shows its first (the baseline) and its latest ones and says how many are
left out, so that the sheet stays one that can be read, and printed, whatever the
course's length. The page reads four lists whatever the number of photos: the photos,
the patient's sessions (to number them), the assessments, and nothing per photo.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.patients.models import Patient
from mesoclinic.photos import catalogue
from mesoclinic.photos.models import Photo
from mesoclinic.photos.services import CLINICAL_ONLY
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

# Per view: the baseline and the latest photos, at most this many in all.
PER_VIEW = 6


class SheetRefused(Exception):
    pass


@dataclass(frozen=True)
class Visit:
    photo: Photo
    when: str  # "Session 2 of the course", "Baseline assessment", "No session"
    scores: list[Assessment]


@dataclass(frozen=True)
class ViewRow:
    view: catalogue.View
    visits: list[Visit]
    left_out: int  # photos between the baseline and the latest ones, not shown


@dataclass(frozen=True)
class Sheet:
    patient: Patient
    rows: list[ViewRow]

    @property
    def photos(self) -> list[Photo]:
        return [visit.photo for row in self.rows for visit in row.visits]


def build(user: User, patient: Patient, view: str = "", *, export: bool = False) -> Sheet:
    """The sheet of the patient's photos (of one view when `view` names one). One audit
    event: the page was looked at, or (`export`) the PDF with these photos was made."""
    roles.check(user, roles.VIEW_CLINICAL, CLINICAL_ONLY)
    if view and view not in catalogue.BY_SLUG:
        raise SheetRefused("Choose a view from the list.")
    photos = Photo.objects.filter(patient=patient, voided_at__isnull=True)
    if view:
        photos = photos.filter(view=view)
    by_view: dict[str, list[Photo]] = defaultdict(list)
    for photo in photos.select_related("assessment").order_by("taken_at", "id"):
        by_view[photo.view].append(photo)
    numbers = _session_numbers(patient)
    scores = _scores(patient)
    rows = []
    for v in catalogue.VIEWS:
        found = by_view.get(v.slug, [])
        if not found:
            continue
        shown = found if len(found) <= PER_VIEW else [found[0], *found[-(PER_VIEW - 1) :]]
        visits = [Visit(p, _when(p, numbers), _same_visit(p, scores)) for p in shown]
        rows.append(ViewRow(v, visits, len(found) - len(shown)))
    sheet = Sheet(patient, rows)
    if export:
        record(
            user,
            Action.EXPORT,
            patient,
            fields=[str(p.public_id) for p in sheet.photos],
            detail="photo comparison sheet PDF",
        )
    else:
        record(user, Action.VIEW, patient, detail="photo comparison sheet")
    return sheet


def _session_numbers(patient: Patient) -> dict[int, int]:
    """Each of the patient's course sessions' number in its course (voided ones skipped)."""
    sessions = (
        TreatmentSession.objects.filter(patient=patient, plan__isnull=False)
        .exclude(status=SessionStatus.VOIDED)
        .order_by("started_at", "id")
        .values_list("pk", "plan_id")
    )
    numbers: dict[int, int] = {}
    counts: dict[int, int] = defaultdict(int)
    for pk, plan_id in sessions:
        counts[plan_id] += 1
        numbers[pk] = counts[plan_id]
    return numbers


def _scores(patient: Patient) -> list[Assessment]:
    return list(
        Assessment.objects.filter(patient=patient, voided_at__isnull=True).order_by(
            "taken_at", "id"
        )
    )


def _when(photo: Photo, numbers: dict[int, int]) -> str:
    if photo.session_id is not None:
        number = numbers.get(photo.session_id)
        return f"Session {number}" if number else "Session outside a course"
    if photo.assessment is not None:
        return f"{Timepoint(photo.assessment.timepoint).label.split(' (')[0]} assessment"
    return "Not at a session"


def _same_visit(photo: Photo, scores: list[Assessment]) -> list[Assessment]:
    day = timezone.localdate(photo.taken_at)
    return [
        a
        for a in scores
        if (photo.session_id is not None and a.session_id == photo.session_id)
        or a.pk == photo.assessment_id
        or timezone.localdate(a.taken_at) == day
    ]
