"""What the outcomes app shows on pages that compose several apps (the chart, the day)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.outcomes import courses
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import PlanStatus, PlanVersion
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

# The day lists this many of the practitioner's other patients with a score due, then a
# count: a follow-up names up to six scales, and twenty such patients made the home page
# five screens long before its cards.
LATER_SHOWN = 10
# ...and only the scores that fell due in this many days: older ones stay on each chart.
# A list of what is still worth chasing, read from the practitioner's recent courses
# rather than every course they ever approved (the demo practitioner approved them all).
LATER_DAYS = 90


@dataclass(frozen=True)
class DueGroup:
    """The scores due at one timepoint of one course: one heading, a link per scale."""

    course: courses.Course
    label: str
    due_on: dt.date | None
    due: list[courses.Due]


@dataclass(frozen=True)
class PatientDue:
    patient: Patient
    due: list[courses.Due]

    @property
    def since(self) -> dt.date:
        """When the newest of its scores fell due: what the list is ordered by."""
        return max(_fell_due(d) for d in self.due)

    @property
    def groups(self) -> list[DueGroup]:
        return grouped(self.due)


def grouped(due: list[courses.Due]) -> list[DueGroup]:
    """Scores due together, in the order `due_for` gives them (a follow-up names six scales
    of a skin course: one heading and six links read better than six long buttons)."""
    groups: dict[tuple[int, str, str, dt.date | None], list[courses.Due]] = {}
    for d in due:
        groups.setdefault((d.course.plan.pk, d.course.protocol, d.label, d.due_on), []).append(d)
    return [
        DueGroup(items[0].course, items[0].label, items[0].due_on, items)
        for items in groups.values()
    ]


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:
    """The outcome scores due for the patient's courses, and whether any is recorded
    (the chart then loads their plots): clinical roles only."""
    if not clinical:
        return {"outcomes_due": [], "outcomes_scored": False}
    found = courses.courses_for(patient)
    return {
        "outcomes_due": courses.due_for(found),
        "outcomes_scored": any(c.recorded for c in found),
    }


def day_section(practitioner: User, booked: Sequence[Patient]) -> dict[str, Any]:
    """The scores due for the patients `booked` today, grouped, by patient id, and the
    practitioner's other patients whose ended course, under a plan the practitioner
    approved, waits for an end-of-course or follow-up score that fell due in the last
    `LATER_DAYS` (newest first, the first `LATER_SHOWN`, and how many more): six queries
    whatever the count of patients."""
    booked_ids = {p.pk for p in booked}
    since = timezone.now() - dt.timedelta(days=LATER_DAYS)
    # A busy practitioner has a thousand such patients: read only what the list shows.
    others = list(
        Patient.objects.filter(pk__in=_recent(practitioner, since).values("plan__patient_id"))
        .exclude(pk__in=booked_ids)
        .only("id", "organization_id", "public_id", "first_name", "last_name", "sex")
    )
    found = courses.courses_for_many([*booked, *others], scores_in_full=False)
    today = timezone.localdate()
    due_today = {pk: grouped(courses.due_for(found.get(pk, []), today)) for pk in booked_ids}
    later = []
    for patient in others:
        due = [
            d
            for d in courses.due_for(found.get(patient.pk, []), today)
            # Only an ended course has these: a baseline is due before the first session.
            if d.course.ended
            and d.course.approved_by_id == practitioner.pk
            and _fell_due(d) >= timezone.localtime(since).date()
        ]
        if due:
            later.append(PatientDue(patient, due))
    later.sort(key=lambda p: (p.since, p.patient.pk), reverse=True)
    return {
        "due_by_patient": due_today,
        "later_due": later[:LATER_SHOWN],
        "later_more": max(0, len(later) - LATER_SHOWN),
    }


def _recent(practitioner: User, since: dt.datetime) -> QuerySet[PlanVersion]:
    """Versions the practitioner approved of plans that may have a score falling due
    since `since`: a session signed within the longest follow-up before it, or a plan
    marked completed since. A superset: `day_section` keeps exactly those due."""
    signed = TreatmentSession.objects.filter(
        plan_id=OuterRef("plan_id"),
        status=SessionStatus.SIGNED,
        signed_at__gte=since - dt.timedelta(days=max(courses.FOLLOW_UPS.values())),
    )
    return PlanVersion.objects.filter(
        Exists(signed) | Q(plan__status=PlanStatus.COMPLETED, plan__changed_at__gte=since),
        approved_by=practitioner,
        plan__status__in=courses.MEASURED,
    )


def _fell_due(due: courses.Due) -> dt.date:
    """A follow-up falls due on its date; an end-of-course score when the last session
    was signed, or for a plan marked completed with none, when it was last changed."""
    if due.due_on is not None:
        return due.due_on
    when = due.course.last_signed_at or due.course.plan.changed_at
    return timezone.localtime(when).date() if when else dt.date.min
