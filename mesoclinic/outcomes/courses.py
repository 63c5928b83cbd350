"""A patient's courses as outcomes see them, what each has recorded, and what is due.

A course is one protocol of an approved plan (its latest version). Each protocol names
its outcomes and when they are taken (rules `instruments.toml`): a baseline before the
first session is signed, the end of the course, and follow-ups at 3 and 6 months after
the last session. A due assessment is shown on the chart, the outcomes page and the
clinician's day on the home page (`courses_for_many`: several patients in the same
queries), with the follow-up visit booked for it, if any (`follow_ups.py` proposes them).
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery, TextField
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast
from django.utils import timezone

from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.rules import RulesInputError, load_reference, outcomes
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment, FollowUp
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

MEASURED = (PlanStatus.APPROVED, PlanStatus.CONSENTED, PlanStatus.ACTIVE, PlanStatus.COMPLETED)
FOLLOW_UPS: dict[str, int] = {Timepoint.MONTHS_3: 90, Timepoint.MONTHS_6: 180}
# The diary's name for the visit that takes each follow-up (the diary cannot import ours).
VISIT_FOR: dict[str, FollowUp] = {
    Timepoint.MONTHS_3: FollowUp.MONTHS_3,
    Timepoint.MONTHS_6: FollowUp.MONTHS_6,
}
# A follow-up shows as due this many days before its date.
FOLLOW_UP_NOTICE_DAYS = 14
# Pattern hair loss is graded on the scale of its pattern: Norwood for male, Ludwig for
# female (section 5); a patient of another or unrecorded sex is offered both.
NOT_FOR_SEX = {"F": {"norwood"}, "M": {"ludwig"}}


class Recorded(NamedTuple):
    """A recorded score as far as what is due goes: which scale, at which timepoint."""

    instrument: str
    timepoint: str


@dataclass
class Course:
    plan: Plan
    protocol: str
    name: str
    planned_sessions: int
    areas: list[str] = field(default_factory=list)
    sex: str = ""
    signed_sessions: int = 0
    first_signed_at: dt.datetime | None = None
    last_signed_at: dt.datetime | None = None
    measures: outcomes.ProtocolOutcomes | None = None
    # The course's scores: Assessment rows, or only what `has` reads (`Recorded`) for a
    # page that shows what is due and not the scores (`courses_for_many(scores_in_full=False)`).
    recorded: list[Any] = field(default_factory=list)
    # The plan's follow-up visits that hold a slot, by timepoint: one visit takes the
    # scores of every protocol of the plan.
    visits: dict[str, Appointment] = field(default_factory=dict)
    # Who approved the plan's latest version: the practitioner whose follow-ups these are.
    approved_by_id: int | None = None

    @property
    def ended(self) -> bool:
        return self.plan.status == PlanStatus.COMPLETED or (
            self.planned_sessions > 0 and self.signed_sessions >= self.planned_sessions
        )

    @property
    def instruments(self) -> list[str]:
        """The protocol's scales this patient is scored on (hair: the pattern's scale)."""
        if self.measures is None:
            return []
        skip = NOT_FOR_SEX.get(self.sex, set())
        return [slug for slug in self.measures.instruments if slug not in skip]

    def has(self, instrument: str, timepoint: str) -> bool:
        return any(a.instrument == instrument and a.timepoint == timepoint for a in self.recorded)

    def follow_up_on(self, timepoint: str) -> dt.date | None:
        """The day a 3- or 6-month follow-up falls on, once the last session is signed."""
        if timepoint not in FOLLOW_UPS or self.last_signed_at is None:
            return None
        last = timezone.localtime(self.last_signed_at).date()
        return last + dt.timedelta(days=FOLLOW_UPS[timepoint])


@dataclass(frozen=True)
class Due:
    course: Course
    instrument: outcomes.Instrument
    timepoint: str
    label: str
    due_on: dt.date | None = None
    late: bool = False
    appointment: Appointment | None = None

    @property
    def appointment_at(self) -> dt.datetime | None:
        """When the follow-up visit is, in its site's time."""
        return self.appointment.local_start() if self.appointment else None


def courses_for(patient: Patient) -> list[Course]:
    """The patient's measured courses, newest plan first: five queries whatever the count."""
    return courses_for_many([patient]).get(patient.pk, [])


def courses_for_many(
    patients: Iterable[Patient], *, scores_in_full: bool = True
) -> dict[int, list[Course]]:
    """`courses_for` of several patients at once, by patient id: the same five queries
    whatever the count of patients (a patient with no measured course has no entry).

    `scores_in_full=False` is for a page that shows what is due and not the scores: each
    recorded score holds only what `Course.has` reads (a fifth of the time for the demo
    practitioner's 1,400 scores); any other field of it would be read one query apiece.
    """
    by_id = {p.pk: p for p in patients}
    if not by_id:
        return {}
    plans = {
        p.pk: p
        # A plan's inputs (the editor's JSON) are not read here: not decoded either.
        for p in Plan.objects.filter(patient_id__in=list(by_id), status__in=MEASURED)
        .defer("inputs")
        .order_by("-created_at")
    }
    if not plans:
        return {}
    found = _courses_of(plans, {pk: p.sex or "" for pk, p in by_id.items()})
    _add_sessions(found)
    _add_assessments(list(by_id), found, in_full=scores_in_full)
    _add_visits(found)
    newest = {plan_id: n for n, plan_id in enumerate(plans)}
    by_patient: dict[int, list[Course]] = defaultdict(list)
    for course in sorted(found.values(), key=lambda c: (newest[c.plan.pk], c.name)):
        by_patient[course.plan.patient_id].append(course)
    return dict(by_patient)


# A version's areas as courses read them, by the version's content hash (of its inputs
# and result): (protocol, sessions, area, side) per area with a protocol. A hash names
# one content for ever, so an entry is never stale; the dict is emptied past the cap.
_SKELETONS: dict[str, tuple[tuple[str, int, str, str], ...]] = {}
_SKELETONS_CAP = 50_000


def _skeleton(content_hash: str, areas_json: str | None) -> tuple[tuple[str, int, str, str], ...]:
    found = _SKELETONS.get(content_hash) if content_hash else None
    if found is None:
        areas = json.loads(areas_json) if areas_json else []
        found = tuple(
            (a["protocol"], int(a.get("sessions") or 0), a.get("area", ""), a.get("side") or "")
            for a in areas
            if a.get("protocol")
        )
        if len(_SKELETONS) >= _SKELETONS_CAP:
            _SKELETONS.clear()
        if content_hash:
            _SKELETONS[content_hash] = found
    return found


def _courses_of(plans: dict[int, Plan], sex: dict[int, str]) -> dict[tuple[int, str], Course]:
    """One course per protocol of each plan's latest version.

    A version's result is about 12 kB of JSON: only the latest version's areas are read,
    as text, and decoded once per process (`_skeleton`). Decoding every version of a
    practitioner's courses was most of Today's time at 10,000 patients.
    """
    newest = PlanVersion.objects.filter(plan_id=OuterRef("plan_id")).order_by("-number")
    latest = (
        PlanVersion.objects.filter(
            plan_id__in=list(plans), number=Subquery(newest.values("number")[:1])
        )
        .annotate(areas_json=Cast(KeyTransform("areas", "result"), TextField()))
        .values_list("plan_id", "content_hash", "areas_json", "approved_by_id")
    )
    ref = load_reference()
    found: dict[tuple[int, str], Course] = {}
    for plan_id, digest, areas_json, approved_by_id in latest:
        plan = plans[plan_id]
        for slug, sessions, area, side in _skeleton(digest, areas_json):
            if slug not in ref.protocols:
                continue
            course = found.get((plan_id, slug))
            if course is None:
                course = found[(plan_id, slug)] = Course(
                    plan,
                    slug,
                    ref.protocols[slug].name,
                    sessions,
                    sex=sex[plan.patient_id],
                    approved_by_id=approved_by_id,
                )
                try:
                    course.measures = outcomes.protocol_outcomes(slug)
                except RulesInputError:
                    course.measures = None
            name = ref.areas[area].name if area in ref.areas else ""
            label = f"{name} ({side})" if side else name
            if name and label not in course.areas:
                course.areas.append(label)
    return found


def _add_sessions(found: dict[tuple[int, str], Course]) -> None:
    plan_ids = {plan_id for plan_id, _ in found}
    signed = (
        TreatmentSession.objects.filter(plan_id__in=plan_ids)
        .values("plan_id")
        .annotate(
            n=Count("id", filter=Q(status=SessionStatus.SIGNED)),
            first=Min("signed_at"),
            last=Max("signed_at"),
        )
    )
    by_plan = {row["plan_id"]: row for row in signed}
    for (plan_id, _), course in found.items():
        row = by_plan.get(plan_id)
        if row:
            course.signed_sessions = row["n"]
            course.first_signed_at, course.last_signed_at = row["first"], row["last"]


def _add_assessments(
    patient_ids: list[int], found: dict[tuple[int, str], Course], *, in_full: bool
) -> None:
    rows = Assessment.objects.filter(patient_id__in=patient_ids, voided_at__isnull=True).order_by(
        "taken_at", "id"
    )
    by_course: dict[tuple[int | None, str], list[Any]] = defaultdict(list)
    if in_full:
        for row in rows.select_related("created_by"):
            by_course[(row.plan_id, row.protocol)].append(row)
    else:
        fields = ("plan_id", "protocol", "instrument", "timepoint")
        for plan_id, protocol, instrument, timepoint in rows.values_list(*fields):
            by_course[(plan_id, protocol)].append(Recorded(instrument, timepoint))
    for key, course in found.items():
        course.recorded = by_course.get(key, [])


def _add_visits(found: dict[tuple[int, str], Course]) -> None:
    rows = (
        Appointment.objects.filter(
            plan_id__in={plan_id for plan_id, _ in found}, status__in=HOLDS_SLOT
        )
        .exclude(follow_up="")
        .select_related("site")
        .order_by("starts_at")
    )
    timepoint_of = {visit: timepoint for timepoint, visit in VISIT_FOR.items()}
    by_plan: dict[int | None, dict[str, Appointment]] = defaultdict(dict)
    for row in rows:
        by_plan[row.plan_id].setdefault(timepoint_of[FollowUp(row.follow_up)], row)
    for (plan_id, _), course in found.items():
        course.visits = by_plan.get(plan_id, {})


def due_for(courses: list[Course], today: dt.date | None = None) -> list[Due]:
    today = today or timezone.localdate()
    due: list[Due] = []
    for course in courses:
        if course.measures is None or course.plan.status == PlanStatus.CANCELLED:
            continue
        for slug in course.instruments:
            instrument = outcomes.instrument(slug)
            due += _due_of(course, instrument, course.measures.timepoints, today)
    return due


def _due_of(
    course: Course, instrument: outcomes.Instrument, timepoints: tuple[str, ...], today: dt.date
) -> list[Due]:
    found: list[Due] = []
    # A rating of change (GAIS) has no baseline: it compares with before treatment itself.
    if (
        Timepoint.BASELINE in timepoints
        and instrument.relative_to is None
        and not course.has(instrument.slug, Timepoint.BASELINE)
        and not course.ended
    ):
        late = course.signed_sessions > 0
        label = "Baseline (late: the first session is signed)" if late else "Baseline"
        found.append(Due(course, instrument, Timepoint.BASELINE, label, late=late))
    if not course.ended:
        return found
    if Timepoint.END in timepoints and not course.has(instrument.slug, Timepoint.END):
        found.append(Due(course, instrument, Timepoint.END, "End of course"))
    for timepoint in FOLLOW_UPS:
        on = course.follow_up_on(timepoint) if timepoint in timepoints else None
        if on is None:
            continue
        if today >= on - dt.timedelta(days=FOLLOW_UP_NOTICE_DAYS) and not course.has(
            instrument.slug, timepoint
        ):
            label = Timepoint(timepoint).label
            visit = course.visits.get(timepoint)
            found.append(Due(course, instrument, timepoint, label, due_on=on, appointment=visit))
    return found
