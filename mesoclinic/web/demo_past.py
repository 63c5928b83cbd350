"""A year of the Demo Clinic's past, so a prospect's first look shows a working clinic.

About 300 patients, two thirds of them treated: each course is a plan the rules engine
evaluated (a patient with a hard stop is not treated), one approved version holding that
result, signed sessions on the engine's schedule charting its volumes from the clinic's
lots, outcome scores at the protocol's timepoints, and adverse events at realistic rates.

Written in bulk (no history rows: seeded data) and deterministic for one seed. Outcomes
differ by protocol as the literature leads one to expect: deoxycholic acid improves
about two thirds by a CR-SMFRS grade (REFINE-1: 70%), cellulite enzymes a little in about
half, cellulite cocktails less, HA boosters are mostly rated "improved", hair counts
move little. About one course in seven is lost to follow-up (no end-of-course score).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.outcomes.models import Assessment, Rater, Timepoint
from mesoclinic.patients import models as pm
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Consent, Plan, PlanStatus, PlanVersion
from mesoclinic.rules import outcomes
from mesoclinic.treatments import vocab
from mesoclinic.treatments.models import (
    AdverseEvent,
    FollowUpTask,
    Lot,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)

TOTAL_PATIENTS = 300
SEED = 2026
HISTORY_DAYS = 365
TREATED_SHARE = 0.72  # of the patients added here; the first forty are treated as they fit
LOST_SHARE = 0.15
CANCELLED_SHARE = 0.04
# Lots: a first delivery of each product lasts until this many days ago, then a second.
SECOND_DELIVERY_DAYS = 180


@dataclass(frozen=True)
class Kind:
    """A course the clinic gives: the protocol, for which concern and on which areas."""

    protocol: str
    concern: str
    areas: tuple[str, ...]
    share: int


KINDS = [
    Kind("submental-deoxycholic", "localized-fat", ("submental",), 6),
    Kind("cellulite-mesotherapy", "cellulite", ("thighs-outer", "buttocks"), 3),
    Kind("cellulite-enzymes", "cellulite", ("thighs-outer", "buttocks"), 3),
    Kind("hair-minoxidil", "hair-loss", ("scalp",), 3),
    Kind("hair-prp", "hair-loss", ("scalp",), 2),
    Kind("skin-booster-ha", "skin-rejuvenation", ("cheeks",), 5),
    Kind("pain-point-by-point", "pain", ("back",), 1),
    Kind("pain-point-by-point", "pain", ("knees",), 1),
]
GOALS = {
    "localized-fat": "Reduce the double chin",
    "cellulite": "Smoother thighs and buttocks",
    "hair-loss": "Slow the thinning",
    "skin-rejuvenation": "Fresher, more hydrated skin",
    "pain": "Less pain day to day",
}
LOT_CODES = {
    "deoxycholic-10mg-2ml": "DCA",
    "cellulite-cocktail-10ml": "CEL",
    "enzyme-cocktail-5ml": "ENZ",
    "minoxidil-05pct-5ml": "MNX",
    "prp-kit": "PRP",
    "ha-noncrosslinked-2ml": "HAB",
    "lidocaine-1pct-5ml": "LID",
}
CANCEL_REASONS = [
    "The patient moved away and continues treatment elsewhere.",
    "The patient chose to stop after the first sessions.",
    "The patient is expecting a baby: treatment stopped.",
]
SIGNATURE = "M10 40 L30 12 L52 38 L70 10 L95 35"
PRECHECK: dict[str, Any] = {
    "pregnancy": "no",
    "infected_areas": [],
    "numbing_product": "",
    "numbing": None,
    "numbing_applied_at": "",
    "injector_device": "",
    "photos_taken": True,
    "warnings": [],
}
# Adverse events after a session, per protocol: (probability, event type, grades).
MINOR_EVENTS: dict[str, list[tuple[float, str, tuple[int, int]]]] = {
    "submental-deoxycholic": [
        (0.18, "swelling", (1, 2)),
        (0.12, "bruising", (1, 1)),
        (0.05, "pain", (1, 2)),
        (0.01, "nodules", (1, 1)),
    ],
    "cellulite-mesotherapy": [
        (0.09, "bruising", (1, 1)),
        (0.03, "swelling", (1, 1)),
        (0.01, "nodules", (1, 2)),
    ],  # fmt: skip
    "cellulite-enzymes": [
        (0.10, "bruising", (1, 1)),
        (0.05, "swelling", (1, 2)),
        (0.01, "nodules", (1, 2)),
    ],  # fmt: skip
    "hair-minoxidil": [
        (0.04, "pain", (1, 1)),
        (0.03, "itching", (1, 1)),
        (0.02, "redness", (1, 1)),
    ],
    "hair-prp": [(0.06, "pain", (1, 1)), (0.05, "swelling", (1, 1))],
    "skin-booster-ha": [
        (0.10, "bruising", (1, 1)),
        (0.07, "swelling", (1, 1)),
        (0.03, "redness", (1, 1)),
        (0.01, "nodules", (1, 1)),
    ],  # fmt: skip
    "pain-point-by-point": [(0.06, "bruising", (1, 1)), (0.02, "pain", (1, 1))],
}
DESCRIPTIONS = {
    "swelling": ("Swelling of the treated area", "Cold compresses advised", 2, 7),
    "bruising": ("Bruising at injection points", "Arnica and reassurance", 3, 12),
    "pain": ("Tenderness of the treated area", "Paracetamol as needed", 1, 5),
    "redness": ("Redness at the injection points", "Reassurance", 1, 3),
    "itching": ("Itching of the treated skin", "Soothing cream", 1, 5),
    "nodules": (
        "Small firm nodules under the skin",
        "Massage; reviewed at the next visit",
        14,
        45,
    ),  # fmt: skip
}


@dataclass
class _Course:
    patient: pm.Patient
    kind: Kind
    plan: Plan
    result: dict[str, Any]
    days: list[dt.date]  # the sessions given
    planned: int
    lost: bool
    caps: list[dict[str, object]]
    sessions: list[TreatmentSession] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)  # the first lot charted, per session

    @property
    def done(self) -> bool:
        return len(self.days) >= self.planned


@contextmanager
def _stamps_as_given(*fields: models.DateTimeField) -> Iterator[None]:
    """Bulk-create with the dates set on the rows: a past row was not created today."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in saved:
            f.auto_now, f.auto_now_add = now, add


def _field(model: type[models.Model], name: str) -> models.DateTimeField:
    found = model._meta.get_field(name)
    assert isinstance(found, models.DateTimeField)
    return found


def create_past(
    org: Organization, total_patients: int = TOTAL_PATIENTS, seed: int = SEED
) -> dict[str, Any]:
    """Load the year (call inside `acting_for(org)`, once); returns what was created."""
    past = _Past(org, random.Random(seed))
    past.add_patients(total_patients)
    past.plan_courses()
    past.write()
    return past.counts()


class _Past:
    def __init__(self, org: Organization, rng: random.Random) -> None:
        self.org, self.rng = org, rng
        self.today = timezone.localdate()
        self.doctor = User.objects.get(organization=org, role=Role.PRACTITIONER)
        self.sites = list(Site.all_orgs.filter(organization=org).order_by("pk"))
        self.ref = rules.load_reference()
        self.courses: list[_Course] = []
        self.new_patients: list[pm.Patient] = []
        self.kinds: dict[int, Kind | None] = {}  # the new patients' courses, by patient id
        self.lots: dict[tuple[int, str, int], Lot] = {}
        # Vials opened and days used per lot, by id(lot): a lot is unsaved until written.
        self.lot_by_id: dict[int, Lot] = {}
        self.vials: Counter[int] = Counter()
        self.lot_days: dict[int, list[dt.date]] = {}
        self.slots: dict[dt.date, set[int]] = {}
        self.assessments: list[Assessment] = []
        self.events: list[tuple[AdverseEvent, Lot]] = []

    # -- patients --------------------------------------------------------------------
    def add_patients(self, total: int) -> None:
        # The command module imports this one: its helpers are read once both are loaded.
        from mesoclinic.web.management.commands.demo import demo_patient

        start = pm.Patient.objects.count()
        for i in range(start, total):
            female = self.rng.random() < 0.8
            patient = demo_patient(self.rng, i, female, self.sites, self.doctor, self.today)
            self.new_patients.append(patient)
        self._histories()

    def _histories(self) -> None:
        """A short history each: allergies asked, pregnancy, and why they came."""
        rows: dict[type[models.Model], list[models.Model]] = {
            pm.NoKnownAllergies: [],
            pm.PregnancyStatus: [],
            pm.Concern: [],
        }
        for patient in self.new_patients:
            asked = self.today - dt.timedelta(days=HISTORY_DAYS + self.rng.randint(10, 60))
            entry = self._entry(patient, asked)
            rows[pm.NoKnownAllergies].append(pm.NoKnownAllergies(**entry))
            if patient.sex == pm.Sex.FEMALE:
                rows[pm.PregnancyStatus].append(
                    pm.PregnancyStatus(
                        status=pm.PregnancyState.NOT_PREGNANT, confirmed_on=asked, **entry
                    )
                )
            kind = self.kinds[patient.pk] = self._kind_for_new()
            concern, areas = (kind.concern, list(kind.areas)) if kind else ("texture", ["cheeks"])
            rows[pm.Concern].append(
                pm.Concern(concern=concern, areas=areas, goals=GOALS.get(concern, ""), **entry)
            )
        for model, objs in rows.items():
            model._default_manager.bulk_create(objs)

    def _entry(self, patient: pm.Patient, on: dt.date) -> dict[str, Any]:
        at = timezone.make_aware(dt.datetime.combine(on, dt.time(9)))
        return {
            "organization": self.org,
            "patient": patient,
            "created_by": self.doctor,
            "recorded_on": on,
            "created_at": at,
            "changed_at": at,
        }

    def _kind_for_new(self) -> Kind | None:
        if self.rng.random() >= TREATED_SHARE:
            return None
        return self.rng.choices(KINDS, weights=[k.share for k in KINDS])[0]

    def _kind_for_existing(self, patient: pm.Patient) -> Kind | None:
        concern = pm.Concern.objects.filter(patient=patient).first()
        if concern is None:
            return None
        fits = [k for k in KINDS if k.concern == concern.concern and k.areas[0] in concern.areas]
        return self.rng.choice(fits) if fits else None

    # -- courses ---------------------------------------------------------------------
    def plan_courses(self) -> None:
        for patient in pm.Patient.objects.order_by("pk"):
            if patient.pk in self.kinds:
                kind = self.kinds[patient.pk]
            else:
                kind = self._kind_for_existing(patient)
            if kind is not None:
                self._course(patient, kind)

    def _course(self, patient: pm.Patient, kind: Kind) -> None:
        start = self._weekday(self.today - dt.timedelta(days=self.rng.randint(21, HISTORY_DAYS)))
        items = [
            {"concern": kind.concern, "area": a, "protocol": kind.protocol} for a in kind.areas
        ]
        inputs = {"items": items, "overrides": [], "start": start.isoformat()}
        chart = plans.chart_for(patient)
        result = plans.evaluate(patient, inputs, chart=chart).result
        if result is None or result["hard_stops"]:
            return
        days = self._session_days(result)
        given = [d for d in days if d < self.today]
        lost = self.rng.random() < LOST_SHARE
        cancelled = not lost and self.rng.random() < CANCELLED_SHARE and len(given) > 1
        if lost and len(given) > 1 and self.rng.random() < 0.5:
            given = given[: self.rng.randint(1, len(given) - 1)]  # stopped coming
        if cancelled:
            given = given[: self.rng.randint(1, len(given) - 1)]
        status = PlanStatus.COMPLETED if len(given) >= len(days) else PlanStatus.ACTIVE
        planned_at = self._at(start - dt.timedelta(days=self.rng.randint(7, 21)), 11)
        plan = Plan(
            organization=self.org,
            patient=patient,
            status=PlanStatus.CANCELLED if cancelled else status,
            inputs=inputs,
            lock_version=3,
            created_by=self.doctor,
            created_at=planned_at,
            changed_at=self._at(given[-1], 18),
            cancelled_reason=self.rng.choice(CANCEL_REASONS) if cancelled else "",
        )
        profile = plans.profile_for(patient, chart)
        caps = rules.grade_a_caps(profile, today=start)
        self.courses.append(_Course(patient, kind, plan, result, given, len(days), lost, caps))

    def _session_days(self, result: dict[str, Any]) -> list[dt.date]:
        """The engine's schedule, a little later at times (never sooner: intervals hold)."""
        days, delay = [], dt.timedelta(0)
        for visit in result["schedule"]:
            planned = dt.date.fromisoformat(visit["date"]) + delay
            day = self._weekday(planned + dt.timedelta(days=self.rng.choice([0, 0, 0, 1, 2, 7])))
            delay += day - planned
            days.append(day)
        return days

    @staticmethod
    def _weekday(day: dt.date) -> dt.date:
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    def _at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))

    def _slot(self, day: dt.date) -> dt.datetime:
        """A free half-hour of the practitioner's day, 08:30-19:00 (a full day doubles up)."""
        taken = self.slots.setdefault(day, set())
        free = [n for n in range(22) if n not in taken] or list(range(22))
        n = self.rng.choice(free)
        taken.add(n)
        minutes = 8 * 60 + 30 + 30 * n
        return self._at(day, minutes // 60, minutes % 60)

    # -- writing ---------------------------------------------------------------------
    def write(self) -> None:
        with _stamps_as_given(_field(Plan, "created_at"), _field(Plan, "changed_at")):
            Plan.objects.bulk_create([c.plan for c in self.courses])
        versions = [self._version(c) for c in self.courses]
        with _stamps_as_given(_field(PlanVersion, "approved_at")):
            PlanVersion.objects.bulk_create(versions)
        signed = self._consents(versions)
        for course, version, consent in zip(self.courses, versions, signed, strict=True):
            for day in course.days:
                course.sessions.append(self._session(course, version, consent, day))
        sessions = [s for c in self.courses for s in c.sessions]
        with _stamps_as_given(_field(TreatmentSession, "created_at")):
            TreatmentSession.objects.bulk_create(sessions)
        areas = [a for c in self.courses for a in self._areas(c)]
        self._write_lots()
        SessionArea.objects.bulk_create(areas, batch_size=500)
        # Signed once charted: a signed session takes no new areas (migration 0003).
        TreatmentSession.objects.filter(pk__in=[s.pk for s in sessions]).update(
            status=SessionStatus.SIGNED, signed_at=F("ended_at")
        )
        for course in self.courses:
            self._scores(course)
        Assessment.objects.bulk_create(self.assessments, batch_size=500)
        self._adverse_events()

    def _version(self, c: _Course) -> PlanVersion:
        inputs = c.plan.inputs
        return PlanVersion(
            organization=self.org,
            plan=c.plan,
            number=1,
            inputs=inputs,
            result=c.result,
            reference_versions=c.result.get("reference_versions", {}),
            approved_by=self.doctor,
            approved_at=c.plan.created_at,
            content_hash=plans.content_hash(inputs, c.result),
            created_at=c.plan.created_at,
            changed_at=c.plan.created_at,
        )

    def _consents(self, versions: list[PlanVersion]) -> list[Consent]:
        """Each version signed by the patient and countersigned, a few days before starting."""
        template = consents.template_for()
        rows = []
        for course, version in zip(self.courses, versions, strict=True):
            text = consents.document_text(version, course.patient, template, self.org)
            at = version.approved_at + dt.timedelta(days=self.rng.randint(1, 5))
            rows.append(
                Consent(
                    organization=self.org,
                    plan=course.plan,
                    plan_version=version,
                    patient=course.patient,
                    template=template,
                    text=text,
                    text_hash=Consent.hash_text(text),
                    patient_typed_name=course.patient.full_name,
                    patient_signature=SIGNATURE,
                    patient_signed_at=at,
                    countersigned_by=self.doctor,
                    countersigned_at=at + dt.timedelta(minutes=5),
                    created_by=self.doctor,
                    created_at=at,
                    changed_at=at + dt.timedelta(minutes=5),
                )
            )
        return Consent.objects.bulk_create(rows)

    def _session(
        self, c: _Course, version: PlanVersion, consent: Consent, day: dt.date
    ) -> TreatmentSession:
        started = self._slot(day)
        ended = started + dt.timedelta(minutes=self.rng.choice([20, 25, 30]))
        return TreatmentSession(
            organization=self.org,
            patient=c.patient,
            plan=c.plan,
            plan_version=version,
            consent=consent,
            site=c.patient.home_site or self.sites[0],
            # Loaded unsigned (voided is not "open"), then signed in one statement.
            status=SessionStatus.VOIDED,
            precheck={**PRECHECK, "pregnancy": vocab.nothing_new(c.patient.sex)},
            weight_kg=c.patient.weight_kg,
            started_at=started,
            ended_at=ended,
            performed_by=self.doctor,
            signed_by=self.doctor,
            lock_version=2,
            aftercare=c.result["aftercare"],
            dose_caps=c.caps,
            created_at=started,
            changed_at=ended,
            created_by=self.doctor,
        )

    def _areas(self, c: _Course) -> Iterator[SessionArea]:
        for session in c.sessions:
            day = timezone.localtime(session.started_at).date()
            volume_by_lot: dict[int, float] = {}
            first: Lot | None = None
            for area in c.result["areas"]:
                lot = self._lot(session.site, area["products"][0], day)
                first = first or lot
                row = self._area_row(session, area, lot)
                volume_by_lot[id(lot)] = volume_by_lot.get(id(lot), 0.0) + float(row.volume_ml)
                yield row
            for key, ml in volume_by_lot.items():
                lot = self.lot_by_id[key]
                self.vials[key] += math.ceil(ml / self.ref.products[lot.product].vial_ml - 1e-9)
                self.lot_days.setdefault(key, []).append(day)
            assert first is not None
            c.lots.append(first)

    def _area_row(self, session: TreatmentSession, area: dict[str, Any], lot: Lot) -> SessionArea:
        """The planned points, nearly all of them given: never more than the plan's volume."""
        planned = area["points"]
        keep = max(1, round(len(planned) * self.rng.uniform(0.85, 1.0)))
        points = planned[:keep]
        per_point = Decimal(str(area["volume_per_point_ml"]))
        needle = area.get("needle") or {}
        depth = area.get("depth_mm")
        return SessionArea(
            organization=self.org,
            session=session,
            area=area["area"],
            side=area.get("side") or "",
            technique=area["technique"],
            lot=lot,
            volume_ml=max(Decimal("0.05"), (per_point * len(points)).quantize(Decimal("0.01"))),
            depth_mm=Decimal(str(depth)) if depth and 1 <= depth <= 10 else None,
            needle_length_mm=needle.get("length_mm"),
            needle_angle_deg=90 if area["technique"] == "hypodermic" else 45,
            injections=len(points),
            points=points,
            created_at=session.started_at,
            changed_at=session.started_at,
            created_by=self.doctor,
        )

    def _lot(self, site: Site, product: str, day: dt.date) -> Lot:
        delivery = 0 if day < self.today - dt.timedelta(days=SECOND_DELIVERY_DAYS) else 1
        key = (site.pk, product, delivery)
        if key not in self.lots:
            received = self.today - dt.timedelta(
                days=HISTORY_DAYS + 10 if delivery == 0 else SECOND_DELIVERY_DAYS + 5
            )
            number = f"{LOT_CODES[product]}{received:%y}-{self.rng.randint(1000, 9999)}"
            self.lots[key] = Lot(
                organization=self.org,
                site=site,
                product=product,
                lot_number=number,
                expires_on=received + dt.timedelta(days=540),
                supplier="Demo Pharma Supplies",
                received_on=received,
                vials_received=1,
                received_by=self.doctor,
                created_by=self.doctor,
                created_at=self._at(received, 10),
                changed_at=self._at(received, 10),
            )
            self.lot_by_id[id(self.lots[key])] = self.lots[key]
        return self.lots[key]

    def _write_lots(self) -> None:
        for lot in self.lots.values():
            used = self.vials[id(lot)]
            lot.vials_used = used
            # The first delivery is nearly used up; the second still has stock.
            spare = self.rng.randint(0, 4) if lot.received_on < self._second() else 20
            lot.vials_received = used + spare
        Lot.objects.bulk_create(list(self.lots.values()))

    def _second(self) -> dt.date:
        return self.today - dt.timedelta(days=SECOND_DELIVERY_DAYS + 5)

    # -- outcomes --------------------------------------------------------------------
    def _scores(self, c: _Course) -> None:
        scorer = SCORERS[c.kind.protocol.split("-")[0]]
        scorer(self, c)

    def add(
        self,
        c: _Course,
        instrument: str,
        timepoint: str,
        answers: dict[str, Any],
        at: dt.datetime,
        session: TreatmentSession | None = None,
    ) -> None:
        scale = outcomes.instrument(instrument)
        scored = outcomes.score(scale, answers)
        self.assessments.append(
            Assessment(
                organization=self.org,
                patient=c.patient,
                plan=c.plan,
                session=session,
                protocol=c.kind.protocol,
                area=c.kind.areas[0],
                instrument=scale.slug,
                instrument_version=scale.version,
                timepoint=timepoint,
                rater=Rater(scale.rater),
                answers=dict(scored.answers),
                total=Decimal(str(scored.total)),
                code=scored.code or "",
                band=scored.band or "",
                display=scored.display,
                taken_at=at,
                submission_key=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                created_by=self.doctor,
                created_at=at,
                changed_at=at,
            )
        )

    def times(self, c: _Course) -> dict[str, dt.datetime]:
        """When each timepoint was taken; a timepoint not (yet) reached is absent."""
        first = c.sessions[0].started_at
        found = {Timepoint.BASELINE.value: first - dt.timedelta(minutes=20)}
        if not c.done or c.lost or c.plan.status == PlanStatus.CANCELLED:
            return found
        last = c.sessions[-1]
        assert last.ended_at is not None
        review = timezone.localtime(last.ended_at).date() + dt.timedelta(
            days=self.rng.randint(14, 28)
        )
        end = self._at(review, 10) if review < self.today else last.ended_at
        found[Timepoint.END.value] = end + dt.timedelta(minutes=5)
        last_day = timezone.localtime(last.ended_at).date()
        for timepoint, days in ((Timepoint.MONTHS_3, 90), (Timepoint.MONTHS_6, 180)):
            on = self._weekday(last_day + dt.timedelta(days=days + self.rng.randint(-5, 10)))
            if on < self.today and self.rng.random() < 0.8:
                found[timepoint.value] = self._at(on, 11)
        return found

    def _adverse_events(self) -> None:
        rows: list[AdverseEvent] = []
        links: list[Lot] = []
        for c in self.courses:
            for session, lot in zip(c.sessions, c.lots, strict=True):
                event = self._minor_event(c, session)
                if event is not None:
                    rows.append(event)
                    links.append(lot)
        for event, lot in self._serious_events():
            rows.append(event)
            links.append(lot)
        with _stamps_as_given(_field(AdverseEvent, "created_at")):
            AdverseEvent.objects.bulk_create(rows)
        through = AdverseEvent.lots.through
        through.objects.bulk_create(
            [
                through(adverseevent_id=e.pk, lot_id=lot.pk)
                for e, lot in zip(rows, links, strict=True)
            ]
        )
        self.event_count = len(rows)
        self._follow_ups([e for e in rows if e.serious])

    def _minor_event(self, c: _Course, session: TreatmentSession) -> AdverseEvent | None:
        draw = self.rng.random()
        for rate, kind, (low, high) in MINOR_EVENTS[c.kind.protocol]:
            if draw >= rate:
                draw -= rate
                continue
            text, action, lo, hi = DESCRIPTIONS[kind]
            day = timezone.localtime(session.started_at).date()
            onset = day + dt.timedelta(days=self.rng.choice([0, 0, 1]))
            return self._event(session, kind, self.rng.randint(low, high), onset,
                               onset + dt.timedelta(days=self.rng.randint(lo, hi)),
                               text, action)  # fmt: skip
        return None

    def _event(
        self,
        session: TreatmentSession,
        kind: str,
        grade: int,
        onset: dt.date,
        resolved: dt.date | None,
        text: str,
        action: str,
        **criteria: bool,
    ) -> AdverseEvent:
        if resolved is not None and resolved >= self.today:
            resolved = None
        event = AdverseEvent(
            organization=self.org,
            patient=session.patient,
            session=session,
            event_type=kind,
            area=_first_area(session),
            onset_on=onset,
            grade=grade,
            description=text,
            action_taken=action,
            outcome="Resolved" if resolved else "Resolving",
            resolved_on=resolved,
            reported_by=self.doctor,
            created_by=self.doctor,
            created_at=self._at(onset, 16),
            changed_at=self._at(onset, 16),
            **criteria,
        )
        event.serious = vocab.is_serious(kind, grade, event.criteria)
        return event

    def _serious_events(self) -> Iterator[tuple[AdverseEvent, Lot]]:
        """One atypical mycobacterial infection traced to a lot, which was then recalled,
        and one marginal mandibular nerve injury after deoxycholic acid."""
        yield from self._infection()
        yield from self._nerve_injury()

    def _infection(self) -> Iterator[tuple[AdverseEvent, Lot]]:
        given = [
            (s, lot)
            for c in self.courses
            if c.kind.protocol.startswith("cellulite")
            for s, lot in zip(c.sessions, c.lots, strict=True)
            if lot.received_on < self._second()
        ]
        if not given:
            return
        session, lot = given[len(given) // 2]
        day = timezone.localtime(session.started_at).date()
        onset = day + dt.timedelta(days=self.rng.randint(21, 40))
        if onset >= self.today:
            return
        text = (
            "Tender red nodules with discharge at injection points, weeks after the "
            "session; culture grew Mycobacterium abscessus"
        )
        yield (
            self._event(session, "infection", 3, onset, onset + dt.timedelta(days=75), text,
                        "Drained; clarithromycin for 3 months; lot quarantined and reported",
                        medically_important=True),
            lot,
        )  # fmt: skip
        last_use = max(self.lot_days[id(lot)])
        recalled = max(onset, last_use) + dt.timedelta(days=3)
        if recalled < self.today:
            Lot.objects.filter(pk=lot.pk).update(
                recalled_at=self._at(recalled, 12),
                recalled_by=self.doctor,
                recall_reason="Supplier recall after an atypical mycobacterial infection",
            )

    def _nerve_injury(self) -> Iterator[tuple[AdverseEvent, Lot]]:
        given = [
            (s, lot)
            for c in self.courses
            if c.kind.protocol == "submental-deoxycholic"
            for s, lot in zip(c.sessions, c.lots, strict=True)
        ]
        if not given:
            return
        session, lot = given[len(given) // 3]
        onset = timezone.localtime(session.started_at).date() + dt.timedelta(days=1)
        yield (
            self._event(session, "nerve-injury", 2, onset, onset + dt.timedelta(days=42),
                        "Asymmetric smile: marginal mandibular nerve paresis",
                        "Reassurance; reviewed weekly until recovered"),
            lot,
        )  # fmt: skip

    def _follow_ups(self, events: list[AdverseEvent]) -> None:
        tasks = []
        for event in events:
            due = event.onset_on + dt.timedelta(days=1)
            tasks.append(
                FollowUpTask(
                    organization=self.org,
                    patient=event.patient,
                    session=event.session,
                    adverse_event=event,
                    assigned_to=self.doctor,
                    due_on=due,
                    reason="Serious adverse event: review",
                    done_at=self._at(due, 15),
                    done_by=self.doctor,
                    created_by=self.doctor,
                    created_at=self._at(event.onset_on, 16),
                    changed_at=self._at(due, 15),
                )
            )
        FollowUpTask.objects.bulk_create(tasks)

    def counts(self) -> dict[str, Any]:
        return {
            "patients": pm.Patient.objects.count(),
            "plans": dict(Counter(c.kind.protocol for c in self.courses)),
            "sessions": sum(len(c.sessions) for c in self.courses),
            "assessments": len(self.assessments),
            "adverse_events": self.event_count,
        }


def _first_area(session: TreatmentSession) -> str:
    assert session.plan_version is not None
    return str(session.plan_version.result["areas"][0]["area"])


# -- how each protocol's patients fare -------------------------------------------------
def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _grade(value: int) -> dict[str, Any]:
    return {outcomes.ANSWER: value}


def _submental(p: _Past, c: _Course) -> None:
    """REFINE-1: about 70% improve by one CR-SMFRS grade or more, 13% by two."""
    rng, when = p.rng, p.times(c)
    base = rng.choice([2, 2, 3, 3, 3])
    draw = rng.random()
    drop = 2 if draw < 0.14 else 1 if draw < 0.68 else 0
    patient_base = _clip(base + rng.choice([-1, 0, 0, 1]), 1, 4)
    patient_drop = drop if rng.random() < 0.85 else max(0, drop - 1)
    p.add(c, "cr-smfrs", "baseline", _grade(base), when["baseline"])
    p.add(c, "pr-smfrs", "baseline", _grade(patient_base), when["baseline"])
    for k, session in enumerate(c.sessions[1:], start=1):
        now = base - math.floor(drop * k / c.planned + rng.uniform(0, 0.4))
        at = session.started_at - dt.timedelta(minutes=10)
        p.add(c, "cr-smfrs", "each-session", _grade(_clip(now, 0, 4)), at, session)
    if "end" not in when:
        return
    end, patient_end = _clip(base - drop, 0, 4), _clip(patient_base - patient_drop, 0, 4)
    p.add(c, "cr-smfrs", "end", _grade(end), when["end"], c.sessions[-1])
    p.add(c, "pr-smfrs", "end", _grade(patient_end), when["end"], c.sessions[-1])
    p.add(c, "gais-patient", "end", _grade(_clip(4 - drop - rng.choice([0, 0, 1]), 1, 4)),
          when["end"])  # fmt: skip
    if "3-months" in when:
        later = _clip(end + (1 if rng.random() < 0.1 else 0), 0, base)
        p.add(c, "cr-smfrs", "3-months", _grade(later), when["3-months"])
        p.add(c, "pr-smfrs", "3-months", _grade(patient_end), when["3-months"])
        p.add(c, "gais-patient", "3-months", _grade(_clip(4 - drop, 1, 4)), when["3-months"])


HEXSEL_ITEMS = ["number", "depth", "morphology", "laxity", "nurnberger-muller"]


def _cellulite(p: _Past, c: _Course) -> None:
    """Enzymes: 1-3 Hexsel points better in about half; the cocktail: 1-2 in about a third."""
    rng, when = p.rng, p.times(c)
    items = {k: rng.choice([1, 2, 2, 3]) for k in HEXSEL_ITEMS}
    items["laxity"] = rng.choice([0, 1, 1, 2])
    enzymes = c.kind.protocol == "cellulite-enzymes"
    better = rng.random() < (0.5 if enzymes else 0.35)
    gain = rng.randint(1, 3 if enzymes else 2) if better else rng.choice([0, 0, 0, -1])
    p.add(c, "hexsel-css", "baseline", items, when["baseline"])
    p.add(c, "nurnberger-muller", "baseline", _grade(items["nurnberger-muller"]), when["baseline"])
    if "end" not in when:
        return
    end = _improve(rng, items, gain)
    p.add(c, "hexsel-css", "end", end, when["end"], c.sessions[-1])
    p.add(c, "nurnberger-muller", "end", _grade(end["nurnberger-muller"]), when["end"])
    p.add(c, "gais-patient", "end", _grade(3 if gain > 1 else rng.choice([3, 4, 4])), when["end"])
    if "3-months" in when:
        later = _improve(rng, end, rng.choice([0, 0, -1]))
        p.add(c, "hexsel-css", "3-months", later, when["3-months"])
        p.add(c, "nurnberger-muller", "3-months", _grade(later["nurnberger-muller"]),
              when["3-months"])  # fmt: skip
        p.add(c, "gais-patient", "3-months", _grade(rng.choice([3, 4, 4])), when["3-months"])


def _improve(rng: random.Random, items: dict[str, int], points: int) -> dict[str, int]:
    """The items with `points` taken off (added, if negative), each kept within 0-3."""
    out = dict(items)
    step = -1 if points > 0 else 1
    for _ in range(abs(points)):
        movable = [k for k, v in out.items() if 0 <= v + step <= 3]
        if movable:
            out[rng.choice(movable)] += step
    return out


def _hair(p: _Past, c: _Course) -> None:
    """Counts move little: a few hairs per cm² with minoxidil, a little more with PRP."""
    rng, when = p.rng, p.times(c)
    prp = c.kind.protocol == "hair-prp"
    base = rng.randint(90, 170)
    female = c.patient.sex == pm.Sex.FEMALE
    stage_scale, stage = ("ludwig", rng.randint(1, 2)) if female else ("norwood", rng.randint(2, 5))
    p.add(c, "hair-count", "baseline", {outcomes.ANSWER: base}, when["baseline"])
    p.add(c, stage_scale, "baseline", _grade(stage), when["baseline"])
    if "end" not in when:
        return
    mean, spread = (14, 12) if prp else (6, 10)
    gain = rng.gauss(mean, spread)
    end = _clip(base + gain, 0, 1000)
    p.add(c, "hair-count", "end", {outcomes.ANSWER: end}, when["end"], c.sessions[-1])
    p.add(c, stage_scale, "end", _grade(stage), when["end"])
    p.add(c, "gais-patient", "end", _grade(3 if gain > 12 else rng.choice([3, 4, 4])), when["end"])
    for timepoint in ("3-months", "6-months"):
        if timepoint in when:
            later = _clip(base + gain + rng.gauss(2, 8), 0, 1000)
            p.add(c, "hair-count", timepoint, {outcomes.ANSWER: later}, when[timepoint])
            p.add(c, stage_scale, timepoint, _grade(stage), when[timepoint])
            rated = 3 if later - base > 12 else rng.choice([3, 4, 4])
            p.add(c, "gais-patient", timepoint, _grade(rated), when[timepoint])


GAIS_WEIGHTS = [0.1, 0.32, 0.43, 0.13, 0.02]  # very much, much, improved, no change, worse


def _skin(p: _Past, c: _Course) -> None:
    """An HA booster is mostly rated "improved" or "much improved"; less so at 3 months.
    Hydration, elasticity and thickness rise a little (device readings)."""
    rng, when = p.rng, p.times(c)
    glogau = 3 if c.patient.age_on(p.today) > 45 else rng.choice([1, 2, 2, 3])
    devices = {
        "skin-hydration": (rng.gauss(42, 8), rng.gauss(7, 5), 1, 130),
        "skin-elasticity": (rng.uniform(0.55, 0.8), rng.gauss(0.03, 0.03), 2, 1),
        "skin-thickness": (rng.uniform(1.2, 2.0), rng.gauss(0.1, 0.08), 2, 10),
    }
    p.add(c, "glogau", "baseline", _grade(glogau), when["baseline"])
    for slug, (base, _, places, top) in devices.items():
        p.add(c, slug, "baseline", _reading(base, places, top), when["baseline"])
    if "end" not in when:
        return
    rated = rng.choices([1, 2, 3, 4, 5], weights=GAIS_WEIGHTS)[0]
    p.add(c, "gais-clinician", "end", _grade(rated), when["end"], c.sessions[-1])
    p.add(c, "gais-patient", "end", _grade(_clip(rated + rng.choice([-1, 0, 0, 1]), 1, 5)),
          when["end"])  # fmt: skip
    p.add(c, "glogau", "end", _grade(glogau), when["end"])
    for slug, (base, gain, places, top) in devices.items():
        p.add(c, slug, "end", _reading(base + gain, places, top), when["end"])
    if "3-months" in when:
        later = rated if rated == 5 else min(4, rated + (rng.random() < 0.35))
        p.add(c, "gais-clinician", "3-months", _grade(later), when["3-months"])
        p.add(c, "gais-patient", "3-months", _grade(later), when["3-months"])
        p.add(c, "glogau", "3-months", _grade(glogau), when["3-months"])
        for slug, (base, gain, places, top) in devices.items():
            p.add(c, slug, "3-months", _reading(base + gain / 2, places, top), when["3-months"])


def _reading(value: float, places: int, top: float) -> dict[str, Any]:
    return {outcomes.ANSWER: round(min(top, max(0.0, value)), places)}


def _pain(p: _Past, c: _Course) -> None:
    """Pain falls by two or three points on average, with wide spread."""
    rng, when = p.rng, p.times(c)
    base = rng.randint(5, 8)
    drop = _clip(rng.gauss(2.6, 1.8), -1, base)
    p.add(c, "pain-nrs", "baseline", {outcomes.ANSWER: base}, when["baseline"])
    for k, session in enumerate(c.sessions[1:], start=1):
        now = _clip(base - drop * k / c.planned + rng.uniform(-0.6, 0.6), 0, 10)
        p.add(c, "pain-nrs", "each-session", {outcomes.ANSWER: now},
              session.started_at - dt.timedelta(minutes=10), session)  # fmt: skip
    if "end" not in when:
        return
    p.add(c, "pain-nrs", "end", {outcomes.ANSWER: _clip(base - drop, 0, 10)}, when["end"])
    satisfied = 5 if drop >= 4 else 4 if drop >= 2 else rng.choice([2, 3])
    p.add(c, "satisfaction", "end", _grade(satisfied), when["end"])


SCORERS = {
    "submental": _submental,
    "cellulite": _cellulite,
    "hair": _hair,
    "skin": _skin,
    "pain": _pain,
}
