"""What works and what harms, per protocol, from the clinic's own records.

The unit is a course: one protocol of one plan, on one side where the scale is sided.
A course has started when one of its plan's sessions is signed. Its baseline is the
baseline score, its final value the end-of-course score; a course that started but has
no end score is lost to follow-up, and is counted and shown, never dropped.

Counting is done by the database (grouped aggregates, whatever the number of patients);
the intervals come from `rules.statistics` (statsmodels and scipy). Cells of fewer than
five patients show no figure (privacy), and a comparison of two protocols is labelled
observational: nothing here was randomised.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from mesoclinic.outcomes import timecourse
from mesoclinic.outcomes.courses import NOT_FOR_SEX
from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.plans.models import Plan, PlanProtocol, PlanStatus
from mesoclinic.rules import load_reference, outcomes
from mesoclinic.treatments import vocab
from mesoclinic.treatments.models import AdverseEvent, SessionStatus, TreatmentSession

# A course is over when its plan is: completed, or stopped (cancelled) before the end.
ENDED = (PlanStatus.COMPLETED, PlanStatus.CANCELLED)


@dataclass(frozen=True)
class Filters:
    """Which courses count: by when and where their sessions were signed, and by whom."""

    since: dt.date | None = None
    until: dt.date | None = None
    site_id: int | None = None
    practitioner_id: int | None = None
    protocol: str = ""
    concern: str = ""
    area: str = ""

    def where(self, prefix: str = "") -> Q:
        """The course's protocol rows this filter keeps (an area: the courses on it)."""
        return Q(**{f"{prefix}area": self.area}) if self.area else Q()

    def sessions(self) -> QuerySet[TreatmentSession]:
        found = TreatmentSession.objects.filter(status=SessionStatus.SIGNED, plan__isnull=False)
        if self.since:
            found = found.filter(signed_at__date__gte=self.since)
        if self.until:
            found = found.filter(signed_at__date__lte=self.until)
        if self.site_id:
            found = found.filter(site_id=self.site_id)
        if self.practitioner_id:
            found = found.filter(performed_by_id=self.practitioner_id)
        return found


@dataclass
class OutcomeFigures:
    instrument: outcomes.Instrument
    primary: bool
    n_started: int = 0
    n_ended: int = 0
    n_baseline: int = 0
    n_final: int = 0
    n_final_ended: int = 0
    n_pairs: int = 0
    patients: int = 0
    responders: Any = None  # statistics.Proportion at 1 grade (or 1 point)
    responders_2: Any = None  # at 2 grades, where the scale has grades
    mean_change: Any = None  # statistics.MeanChange, positive = better
    note: str = ""
    plot: dict[str, str] | None = None

    @property
    def n_lost(self) -> int:
        """Courses over with no end score: lost to follow-up."""
        return max(0, self.n_ended - self.n_final_ended)

    @property
    def n_ongoing(self) -> int:
        return max(0, self.n_started - self.n_ended)

    @property
    def suppressed(self) -> bool:
        from mesoclinic.rules import statistics

        return statistics.suppressed(self.patients)


@dataclass
class ProtocolFigures:
    slug: str
    name: str
    courses: int = 0
    patients: int = 0
    ended: int = 0
    sessions: int = 0
    outcomes: list[OutcomeFigures] = field(default_factory=list)
    events: Any = None  # statistics.Rate per 100 sessions
    events_per_patient: Any = None  # statistics.Rate per patient
    by_type: list[dict[str, Any]] = field(default_factory=list)

    @property
    def suppressed(self) -> bool:
        from mesoclinic.rules import statistics

        return statistics.suppressed(self.patients)


RECOUNT_SECONDS = 600


def _fingerprint() -> str:
    """What moves when the figures can: a new score, a signed session, a plan's status,
    an adverse event (four index-backed maxima, not a count of the record)."""
    from django.db.models import Max

    parts = [
        Assessment.objects.aggregate(m=Max("id"))["m"],
        TreatmentSession.objects.aggregate(m=Max("signed_at"))["m"],
        Plan.objects.aggregate(m=Max("changed_at"))["m"],
        AdverseEvent.objects.aggregate(m=Max("changed_at"))["m"],
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def evidence_as_of(filters: Filters) -> tuple[list[ProtocolFigures], dt.datetime]:
    """The figures and when they were counted: counted again when the record moves, and
    at least every ten minutes (counting a chain's whole record takes seconds)."""
    from django.core.cache import cache
    from django.utils import timezone

    from mesoclinic.tenancy import current_org_id

    digest = hashlib.sha256(repr(sorted(filters.__dict__.items())).encode()).hexdigest()[:16]
    key = f"evidence:{current_org_id()}:{digest}:{_fingerprint()}"
    found = cache.get(key)
    if found is None:
        found = (evidence(filters), timezone.now())
        cache.set(key, found, RECOUNT_SECONDS)
    return found


def evidence(filters: Filters) -> list[ProtocolFigures]:
    """Every protocol with a started course, with its outcomes and adverse events."""
    ref = load_reference()
    by_sex = _started_by_sex(filters)
    started = {
        slug: tuple(sum(c[i] for c in sexes.values()) for i in range(3))
        for slug, sexes in by_sex.items()
    }
    figures: dict[str, ProtocolFigures] = {}
    for slug, (courses, patients, ended) in started.items():
        if slug not in ref.protocols or (filters.protocol and slug != filters.protocol):
            continue
        if filters.concern and filters.concern not in ref.protocols[slug].concerns:
            continue
        figures[slug] = ProtocolFigures(slug, ref.protocols[slug].name, courses, patients, ended)
    if not figures:
        return []
    _add_sessions_and_events(filters, figures)
    pairs = _pairs(filters)
    for slug, protocol in figures.items():
        try:
            measures = outcomes.protocol_outcomes(slug)
        except ValueError:
            continue
        for instrument_slug in measures.instruments:
            instrument = outcomes.instrument(instrument_slug)
            row = pairs.get((slug, instrument_slug), {})
            figures_of = _outcome(instrument, instrument_slug == measures.primary, protocol, row)
            _count_who_it_applies_to(figures_of, by_sex[slug])
            if figures_of.primary and not figures_of.suppressed:
                from mesoclinic.outcomes import plots

                bands = timecourse.bands(slug, instrument_slug, _counted(filters))
                figures_of.plot = plots.time_course(instrument, bands)
            protocol.outcomes.append(figures_of)
    return sorted(figures.values(), key=lambda p: (-p.courses, p.name))


def _count_who_it_applies_to(
    figures: "OutcomeFigures", by_sex: dict[str, tuple[int, int, int]]
) -> None:
    """A scale for one sex (hair loss: Norwood for men, Ludwig for women) counts the
    courses of the patients it applies to as started, over or lost."""
    skip = {sex for sex, scales in NOT_FOR_SEX.items() if figures.instrument.slug in scales}
    if not skip:
        return
    counted = [c for sex, c in by_sex.items() if sex not in skip]
    figures.n_started = sum(c[0] for c in counted)
    figures.n_ended = sum(c[2] for c in counted)


def _course_filter(filters: Filters) -> Exists:
    return Exists(filters.sessions().filter(plan_id=OuterRef("plan_id")))


def _started_by_sex(filters: Filters) -> dict[str, dict[str, tuple[int, int, int]]]:
    rows = (
        PlanProtocol.objects.filter(_course_filter(filters), filters.where())
        .values("protocol", "plan__patient__sex")
        .annotate(
            n=Count("plan", distinct=True),
            patients=Count("plan__patient", distinct=True),
            ended=Count("plan", distinct=True, filter=Q(plan__status__in=ENDED)),
        )
    )
    found: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for r in rows:
        found[r["protocol"]][r["plan__patient__sex"] or ""] = (r["n"], r["patients"], r["ended"])
    return found


def _add_sessions_and_events(filters: Filters, figures: dict[str, ProtocolFigures]) -> None:
    from mesoclinic.rules import statistics

    # Counted per plan first, then summed over each plan's protocols: a join of every
    # session with every protocol row of its plan costs seconds on a chain's record.
    courses = (
        PlanProtocol.objects.filter(filters.where(), protocol__in=list(figures))
        .values("plan_id", "protocol")
        .distinct()
        .order_by()
    )
    # Counted by the database per plan, then summed over each plan's protocols here: a
    # join of every session with its plan's protocol rows costs seconds on a chain.
    protocols_of = _protocols_of(courses)
    per_plan = filters.sessions().values_list("plan_id").annotate(n=Count("id")).order_by()
    for plan_id, n in per_plan:
        for slug in protocols_of.get(plan_id, ()):
            figures[slug].sessions += n
    events_per_plan = (
        AdverseEvent.objects.filter(voided_at__isnull=True, session__in=filters.sessions())
        .values_list("session__plan_id", "event_type", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    summed: dict[tuple[str, str, int], int] = defaultdict(int)
    for plan_id, kind, grade, n in events_per_plan:
        for slug in protocols_of.get(plan_id, ()):
            summed[(slug, kind, grade)] += n
    counted: dict[str, int] = defaultdict(int)
    labels = dict(vocab.AdverseEventType.choices)
    for (slug, kind, grade), n in sorted(summed.items()):
        counted[slug] += n
        protocol = figures[slug]
        protocol.by_type.append(
            {
                "type": labels.get(kind, kind),
                "grade": grade,
                "n": n,
                "rate": statistics.rate_per(n, protocol.sessions) if protocol.sessions else None,
            }
        )
    for slug, protocol in figures.items():
        protocol.events = statistics.rate_per(counted[slug], protocol.sessions)
        protocol.events_per_patient = statistics.rate_per(counted[slug], protocol.patients, per=1)


def _protocols_of(courses: Any) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for plan_id, protocol in courses.values_list("plan_id", "protocol"):
        found[plan_id].append(protocol)
    return found


def _on_area(filters: Filters) -> Q:
    if not filters.area:
        return Q()
    on_area = PlanProtocol.objects.filter(
        filters.where(), plan_id=OuterRef("plan_id"), protocol=OuterRef("protocol")
    )
    return Q(Exists(on_area))


def _counted(filters: Filters) -> Q:
    """The assessments of the courses these filters keep."""
    return Q(Exists(filters.sessions().filter(plan_id=OuterRef("plan_id")))) & _on_area(filters)


def units(filters: Filters) -> Any:
    """One row per course and side of each scale: its baseline and final value."""
    return (
        Assessment.objects.filter(voided_at__isnull=True, plan__isnull=False)
        .filter(_counted(filters))
        .filter(Q(protocol=filters.protocol) if filters.protocol else Q())
        .values("protocol", "instrument", "plan_id", "side", "patient_id", "plan__status")
        .annotate(
            b=Avg("total", filter=Q(timepoint=Timepoint.BASELINE)),
            f=Avg("total", filter=Q(timepoint=Timepoint.END)),
        )
        .order_by()
    )


# Over the per-course rows: counts, and sums for the mean change and its interval, in
# both directions (lower or higher better), and responders at 1 and 2 of each.
_PAIRS = """
SELECT protocol, instrument, COUNT(*), COUNT(b), COUNT(f),
  SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL THEN 1 ELSE 0 END),
  COUNT(DISTINCT patient_id),
  SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL THEN b - f END),
  SUM(CASE WHEN b IS NOT NULL AND f IS NOT NULL THEN (b - f) * (b - f) END),
  SUM(CASE WHEN b - f >= 1 THEN 1 ELSE 0 END), SUM(CASE WHEN b - f >= 2 THEN 1 ELSE 0 END),
  SUM(CASE WHEN f - b >= 1 THEN 1 ELSE 0 END), SUM(CASE WHEN f - b >= 2 THEN 1 ELSE 0 END),
  SUM(CASE WHEN f IS NOT NULL AND plan__status IN ({ended}) THEN 1 ELSE 0 END)
FROM ({units}) u GROUP BY protocol, instrument
"""
_FINALS = """
SELECT protocol, instrument, f, COUNT(*) FROM ({units}) u WHERE f IS NOT NULL
GROUP BY protocol, instrument, f
"""


def _pairs(filters: Filters) -> dict[tuple[str, str], dict[str, Any]]:
    sql, params = units(filters).query.sql_with_params()
    ended = ", ".join(f"'{status}'" for status in ENDED)  # constants, not input
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_PAIRS.format(units=sql, ended=ended), params)
        for row in cursor.fetchall():
            protocol, instrument, n, nb, nf, pairs, patients, total, squares, *resp, nfe = row
            found[(protocol, instrument)] = {
                "n": n,
                "baseline": nb,
                "final": nf,
                "final_ended": nfe,
                "pairs": pairs,
                "patients": patients,
                "total": total or 0,
                "squares": squares or 0,
                "lower": (resp[0], resp[1]),
                "higher": (resp[2], resp[3]),
                "finals": {},
            }
        cursor.execute(_FINALS.format(units=sql), params)
        for protocol, instrument, value, count in cursor.fetchall():
            if (protocol, instrument) in found:
                found[(protocol, instrument)]["finals"][float(value)] = count
    return found


def _outcome(
    instrument: outcomes.Instrument,
    primary: bool,
    protocol: ProtocolFigures,
    row: dict[str, Any],
) -> OutcomeFigures:
    from mesoclinic.rules import statistics

    figures = OutcomeFigures(
        instrument, primary, n_started=protocol.courses, n_ended=protocol.ended
    )
    if not row:
        return figures
    figures.n_baseline, figures.n_final = row["baseline"], row["final"]
    figures.n_final_ended = row["final_ended"]
    figures.n_pairs, figures.patients = row["pairs"], row["patients"]
    if instrument.relative_to is not None:
        # A rating of change (GAIS): its end value is the change; no baseline is taken.
        neutral = next(o.value for o in instrument.options if o.code == instrument.relative_to)
        step = -1 if instrument.lower_is_better else 1
        finals = row["finals"]
        if instrument.responder != "none":
            for grades, name in ((1, "responders"), (2, "responders_2")):
                k = sum(n for v, n in finals.items() if (v - neutral) * step >= grades)
                setattr(figures, name, statistics.wilson(k, figures.n_final))
        figures.note = "rated against before treatment: no baseline is taken"
        return figures
    sign = 1 if instrument.lower_is_better else -1
    total, squares = float(row["total"]) * sign, float(row["squares"])
    figures.mean_change = statistics.mean_change(figures.n_pairs, total, squares)
    if instrument.responder == "none":
        figures.note = "no sourced responder threshold: the change is shown"
        return figures
    one, two = row["lower"] if instrument.lower_is_better else row["higher"]
    figures.responders = statistics.wilson(one, figures.n_pairs)
    if outcomes.has_grades(instrument):
        figures.responders_2 = statistics.wilson(two, figures.n_pairs)
    return figures


def compare(filters: Filters, first: str, second: str, instrument: str) -> dict[str, Any] | None:
    """Responders on one scale under two protocols, as a difference of proportions with
    Newcombe's interval. Observational: the patients were not randomised."""
    from mesoclinic.rules import statistics

    found = {p.slug: p for p in evidence_as_of(Filters(**{**filters.__dict__, "protocol": ""}))[0]}
    arms = []
    for slug in (first, second):
        protocol = found.get(slug)
        outcome = next(
            (o for o in (protocol.outcomes if protocol else []) if o.instrument.slug == instrument),
            None,
        )
        if outcome is None or outcome.responders is None or outcome.suppressed:
            return None
        arms.append((protocol, outcome))
    (pa, a), (pb, b) = arms
    difference = statistics.difference(
        a.responders.k, a.responders.n, b.responders.k, b.responders.n
    )
    return {"first": pa, "second": pb, "a": a, "b": b, "difference": difference}
