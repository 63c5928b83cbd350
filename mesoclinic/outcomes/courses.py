"""A patient's courses as outcomes see them, what each has recorded, and what is due.

A course is one protocol of an approved plan (its latest version). Each protocol names
its outcomes and when they are taken (rules `instruments.toml`): a baseline before the
first session is signed, the end of the course, and follow-ups at 3 and 6 months after
the last session. A due assessment is shown on the chart, the outcomes page and the
clinician's day on the home page (`courses_for_many`: several patients in the same
queries), with the follow-up visit booked for it, if any (`follow_ups.py` proposes them).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q
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
    recorded: list[Assessment] = field(default_factory=list)
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
        for p in Plan.objects.filter(patient_id__in=list(by_id), status__in=MEASURED).order_by(
            "-created_at"
        )
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


def _courses_of(plans: dict[int, Plan], sex: dict[int, str]) -> dict[tuple[int, str], Course]:
    """One course per protocol of each plan's latest version."""
    latest = (
        PlanVersion.objects.filter(plan_id__in=list(plans))
        .order_by("plan_id", "-number")
        .values_list("plan_id", "result", "approved_by_id")
    )
    ref = load_reference()
    found: dict[tuple[int, str], Course] = {}
    seen_plans: set[int] = set()
    for plan_id, result, approved_by_id in latest:
        if plan_id in seen_plans:
            continue
        seen_plans.add(plan_id)
        plan = plans[plan_id]
        for area in (result or {}).get("areas", []):
            slug = area.get("protocol", "")
            if slug not in ref.protocols:
                continue
            course = found.get((plan_id, slug))
            if course is None:
                course = found[(plan_id, slug)] = Course(
                    plan,
                    slug,
                    ref.protocols[slug].name,
                    int(area.get("sessions") or 0),
                    sex=sex[plan.patient_id],
                    approved_by_id=approved_by_id,
                )
                try:
                    course.measures = outcomes.protocol_outcomes(slug)
                except RulesInputError:
                    course.measures = None
            name = ref.areas[area["area"]].name if area.get("area") in ref.areas else ""
            side = f" ({area['side']})" if area.get("side") else ""
            if name and name + side not in course.areas:
                course.areas.append(name + side)
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
    if in_full:
        rows = rows.select_related("created_by")
    else:
        rows = rows.only("plan_id", "protocol", "instrument", "timepoint")
    by_course: dict[tuple[int | None, str], list[Assessment]] = defaultdict(list)
    for row in rows:
        by_course[(row.plan_id, row.protocol)].append(row)
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
        on = course.follow_up_on(timepoint)
        if timepoint not in timepoints or on is None:
            continue
        if today >= on - dt.timedelta(days=FOLLOW_UP_NOTICE_DAYS) and not course.has(
            instrument.slug, timepoint
        ):
            label = Timepoint(timepoint).label
            visit = course.visits.get(timepoint)
            found.append(Due(course, instrument, timepoint, label, due_on=on, appointment=visit))
    return found
