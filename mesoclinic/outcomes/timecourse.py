"""Where a score falls in its course, and a protocol's scores at each point of it.

A score's place is its point of the course: the baseline, a score between sessions
placed by the number of the course's sessions signed before it was taken ("after 2
sessions"), the end of the course, and the 3- and 6-month follow-ups. Places are the
x axis of every plot of scores over a course, the patient's and the protocol's alike.
"""

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber

from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

TYPICAL_SECONDS = 3600
# The newest scores at each point of the course that a band is drawn from.
TYPICAL_SAMPLE = 2000
_AFTER = {
    Timepoint.BASELINE: (0, "Baseline"),
    Timepoint.END: (1000, "End"),
    Timepoint.MONTHS_3: (1001, "3 months"),
    Timepoint.MONTHS_6: (1002, "6 months"),
}


@dataclass(frozen=True, order=True)
class Place:
    """A point of the course: `order` sorts the axis, `label` names it."""

    order: int
    label: str

    @property
    def described(self) -> str:
        return self.label if self.order >= 1000 or self.order == 0 else f"after {self.label}"


def place(timepoint: str, given: int) -> Place:
    """Where a score taken at `timepoint`, after `given` signed sessions, falls."""
    if timepoint in _AFTER:
        order, label = _AFTER[Timepoint(timepoint)]
        return Place(order, label)
    return Place(given, f"{given} session{'s' if given != 1 else ''}")


@dataclass(frozen=True)
class Band:
    """The protocol's scores at one point of the course: median and quartiles."""

    place: Place
    n: int
    median: float
    q1: float
    q3: float


def sessions_given() -> Coalesce:
    """An annotation of assessments: their plan's sessions signed before the score."""
    signed = (
        TreatmentSession.objects.filter(
            plan_id=OuterRef("plan_id"),
            status=SessionStatus.SIGNED,
            signed_at__lt=OuterRef("taken_at"),
        )
        .order_by()
        .values("plan_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(signed, output_field=IntegerField()), Value(0))


def places_of(patient_id: int, rows: Iterable[Assessment]) -> dict[int, Place]:
    """Each of a patient's scores by id, placed on its course (one query)."""
    signed: dict[int, list[dt.datetime]] = defaultdict(list)
    found = (
        TreatmentSession.objects.filter(patient_id=patient_id, status=SessionStatus.SIGNED)
        .order_by("signed_at")
        .values_list("plan_id", "signed_at")
    )
    for plan_id, signed_at in found:
        if plan_id is not None and signed_at is not None:
            signed[plan_id].append(signed_at)
    return {
        row.pk: place(row.timepoint, bisect.bisect_left(signed[row.plan_id], row.taken_at))
        if row.plan_id is not None
        else place(row.timepoint, 0)
        for row in rows
    }


def bands(protocol: str, instrument: str, courses: Q | None = None) -> list[Band]:
    """Median and interquartile range of the newest scores (up to 2,000 at each point
    of the course) of this protocol on this scale; `courses` narrows which count. A
    point with fewer than five scores is left out (privacy)."""
    from mesoclinic.rules import statistics

    newest = Window(RowNumber(), partition_by=F("timepoint"), order_by=F("taken_at").desc())
    rows = (
        Assessment.objects.filter(protocol=protocol, instrument=instrument, voided_at__isnull=True)
        .filter(courses or Q())
        .annotate(newest=newest)
        .filter(newest__lte=TYPICAL_SAMPLE)
        .annotate(given=sessions_given())
        .values_list("timepoint", "given", "total")
    )
    values: dict[Place, list[float]] = defaultdict(list)
    for timepoint, given, total in rows.iterator():
        values[place(timepoint, given)].append(float(total))
    found = []
    for at in sorted(values):
        if len(values[at]) >= statistics.MINIMUM_CELL:
            q = statistics.quartiles(values[at])
            assert q.median is not None and q.q1 is not None and q.q3 is not None
            found.append(Band(at, q.n, q.median, q.q1, q.q3))
    return found


def typical(protocol: str, instrument: str) -> list[Band]:
    """The clinic's typical course on this protocol and scale (kept an hour: it moves
    slowly), drawn behind a patient's own scores."""
    from mesoclinic.tenancy import current_org_id

    key = f"typical:{current_org_id()}:{protocol}:{instrument}"
    found = cache.get(key)
    if found is None:
        found = bands(protocol, instrument)
        cache.set(key, found, TYPICAL_SECONDS)
    return list(found)
