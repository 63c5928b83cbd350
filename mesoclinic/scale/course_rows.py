"""A treated patient's rows: plan, version and consent, past sessions with their charted
areas and adverse events, and the running course's visits booked in the diary."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from mesoclinic.accounts.models import Site
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.scale.ids import dashed
from mesoclinic.scale.organization import Org
from mesoclinic.scale.outcome_rows import CourseOutcomes
from mesoclinic.scale.tables import Rows
from mesoclinic.scale.templates import Template
from mesoclinic.scale.writer import Writer
from mesoclinic.treatments import vocab as treatment_vocab
from mesoclinic.treatments.models import AdverseEvent, TreatmentSession

BOOKING_HORIZON_DAYS = 56
# A session's status while its charted areas load, before it is signed or voided: as
# "in_progress", a patient's sessions would break the one-open-session constraint.
LOADING = "voided"
# Adverse events per signed session (clinical-reference §6 lists them; minor ones are common).
AE_RATES = [
    (0.030, ["bruising", "swelling", "redness", "pain", "itching"], (1, 1)),
    (0.003, ["nodules", "hyperpigmentation", "panniculitis"], (1, 2)),
    (0.0003, ["infection"], (2, 3)),
    (0.0001, ["allergic-reaction"], (3, 3)),
]
# The benchmark's plan editor opens draft plans with these three areas.
THREE_AREAS = [
    {"concern": "localized-fat", "area": "submental"},
    {"concern": "skin-rejuvenation", "area": "cheeks", "protocol": "skin-booster-ha"},
    {"concern": "hair-loss", "area": "scalp", "protocol": "hair-minoxidil"},
]
PRECHECK = json.dumps(
    {
        "pregnancy": "no",
        "infected_areas": [],
        "numbing_product": "",
        "numbing_applied_at": "",
        "photos_taken": True,
        "warnings": [],
    }
)
SIGNATURE = "M10 40 L30 12 L52 38 L70 10 L95 35"


@dataclass
class _Course:
    """What every session of one patient's course shares."""

    pid: int
    site: Site
    site_index: int
    practitioner: int
    practitioners: list[int]
    estheticians: list[int]
    template_index: int
    template: Template
    weight: int
    creator: int
    plan_id: int = 0
    version_id: int = 0
    consent_id: int = 0
    completed: bool = False  # every session given: the plan is completed


class CourseRows:
    """The Seeder's rows for plans and sessions (it provides rng, ids, uid, when, slot)."""

    # What the Seeder sets up or defines, declared for the type checker.
    rng: random.Random
    ids: dict[type[models.Model], int]
    today: dt.date
    o: Org
    w: Writer
    uid: Callable[[], str]
    when: Callable[..., str]
    slot: Callable[[dt.date, list[int], int], tuple[int, dt.datetime] | tuple[None, None]]
    lot_id: Callable[[int, str, dt.date], int]
    points: Callable[[int, int, list[Any], int], str]
    outcomes: CourseOutcomes

    def _draft_plan(self, rows: Rows, pid: int, practitioner: int, created: dt.date) -> None:
        """A draft with three areas: what the plan editor proposes while a patient decides."""
        plan_id = self.ids[Plan]
        self.ids[Plan] += 1
        inputs = json.dumps({"items": THREE_AREAS, "overrides": [], "start": str(self.today)})
        ts = self.when(created, 12)
        rows["plan"].append(
            (plan_id, self.o.org.pk, self.uid(), pid, "draft", inputs, 0, practitioner,
             ts, ts, "")
        )  # fmt: skip

    def _treat(
        self, rows: Rows, pid: int, site: Site, site_index: int, practitioners: list[int],
        estheticians: list[int], template_index: int, template: Template, start: dt.date,
        interval: int, nsessions: int, weight: int, first: str, last: str,
        signed_ids: list[int], voided_ids: list[int], creator: int, female: bool,
    ) -> None:  # fmt: skip
        c = _Course(pid, site, site_index, self.rng.choice(practitioners), practitioners,
                    estheticians, template_index, template, weight, creator)  # fmt: skip
        self._plan_rows(rows, c, start, interval, nsessions, first, last)
        for number in range(nsessions):
            day = start + dt.timedelta(days=number * interval)
            if day >= self.today:
                self._book(rows, site, c.practitioner, estheticians, pid, c.plan_id,
                           c.version_id, number, template, day, creator)  # fmt: skip
                continue
            sid, voided = self._past_session(rows, c, number, day)
            (voided_ids if voided else signed_ids).append(sid)
        last_day = start + dt.timedelta(days=(nsessions - 1) * interval)
        self.outcomes.course(rows, pid, c.plan_id, c.practitioner, "F" if female else "M",
                             template.protocols, start, last_day, c.completed)  # fmt: skip

    def _plan_rows(
        self, rows: Rows, c: _Course, start: dt.date, interval: int, nsessions: int, first: str,
        last: str,
    ) -> None:  # fmt: skip
        """The approved plan, its version and the signed consent."""
        org_id, template, practitioner = self.o.org.pk, c.template, c.practitioner
        c.plan_id, c.version_id, c.consent_id = (
            self.ids[Plan], self.ids[PlanVersion], self.ids[Consent]
        )  # fmt: skip
        self.ids[Plan] += 1
        self.ids[PlanVersion] += 1
        self.ids[Consent] += 1
        inputs = json.dumps({"items": template.items, "overrides": [], "start": str(start)})
        planned_ts = self.when(start - dt.timedelta(days=7), 11)
        last_day = start + dt.timedelta(days=(nsessions - 1) * interval)
        c.completed = last_day < self.today and nsessions >= template.sessions
        status = "completed" if c.completed else "active"
        last_day = min(last_day, self.today - dt.timedelta(days=1))
        rows["plan"].append(
            (c.plan_id, org_id, self.uid(), c.pid, status, inputs, 3, practitioner, planned_ts,
             self.when(last_day, 18), "")
        )  # fmt: skip
        rows["version"].append(
            (c.version_id, org_id, self.uid(), c.plan_id, 1, inputs, template.result, "{}",
             practitioner, planned_ts, template.content_hash)
        )  # fmt: skip
        rows["consent"].append(
            (c.consent_id, org_id, self.uid(), c.plan_id, c.version_id, c.pid,
             self.o.consent_template_id, template.consent_text,
             hashlib.sha256(template.consent_text.encode()).hexdigest(), f"{first} {last}",
             SIGNATURE, planned_ts, practitioner, planned_ts, None, None, "")
        )  # fmt: skip

    def _past_session(self, rows: Rows, c: _Course, number: int, day: dt.date) -> tuple[int, bool]:
        """One session given on ``day``, with its diary entry: its id, and whether it was voided."""
        rng, org_id, template, practitioner = self.rng, self.o.org.pk, c.template, c.practitioner
        minutes = rng.choice([30, 45, 60])
        preferred = practitioner if rng.random() < 0.5 else rng.choice(c.estheticians)
        performer, started = self.slot(day, [preferred, *c.estheticians, *c.practitioners],
                                       minutes // 15)  # fmt: skip
        if performer is None:  # a full day: the session happens, not booked in the diary
            performer = preferred
            started = dt.datetime.combine(day, dt.time(19, 30))
        assert started is not None  # slot() gives a performer and a time, or neither
        ended = started + dt.timedelta(minutes=minutes)
        sid = self.ids[TreatmentSession]
        self.ids[TreatmentSession] += 1
        supervisor = practitioner if performer != practitioner else None
        area_names = json.dumps(sorted({a[0] for a in template.areas}))
        self._appointment(rows, c.site, performer, c.pid, c.plan_id, c.version_id, number + 1,
                          area_names, day, started, ended, "completed", c.creator)  # fmt: skip
        voided = rng.random() < 0.005
        started_ts, ended_ts = self.w.ts(started), self.w.ts(ended)
        session_public = self.uid()
        rows["session"].append(
            (sid, org_id, session_public, c.pid, c.plan_id, c.version_id, c.consent_id, "",
             c.site.pk, LOADING, PRECHECK, c.weight, started_ts, ended_ts, performer,
             supervisor, 2, None if voided else practitioner, None, template.aftercare,
             "[]", None, None, "", started_ts)
        )  # fmt: skip
        first_lot = self._charted_areas(rows, c, sid, day)
        rows["audit"].append(
            (org_id, performer, started_ts, "create", "treatmentsession",
             dashed(session_public), '["precheck", "weight_kg"]', "")
        )  # fmt: skip
        if not voided:
            rows["audit"].append(
                (org_id, practitioner, ended_ts, "change", "treatmentsession",
                 dashed(session_public), '["signed_at", "status"]', "signed")
            )  # fmt: skip
            self._adverse(rows, c.pid, sid, day, template.areas[0][0], first_lot, practitioner)
        return sid, voided

    def _charted_areas(self, rows: Rows, c: _Course, sid: int, day: dt.date) -> int | None:
        """The session's areas, its points shared between them; returns the first lot."""
        total_points = int(self.rng.triangular(20, 200, 60))
        areas = c.template.areas
        first_lot = None
        for area_index, spec in enumerate(areas):
            area, side, technique, product, depth, needle, per_point, planned = spec
            npoints = max(1, total_points // len(areas))
            lot = self.lot_id(c.site_index, product, day)
            first_lot = first_lot or lot
            volume = min(99.0, max(0.05, round(npoints * per_point, 2)))
            rows["area"].append(
                (self.o.org.pk, self.uid(), sid, area, side, technique, lot, volume, depth,
                 needle, 90 if technique == "hypodermic" else 45, npoints,
                 self.points(c.template_index, area_index, planned, npoints))
            )  # fmt: skip
        return first_lot

    def _book(self, rows: Rows, site: Site, practitioner: int, estheticians: list[int],
              pid: int, plan_id: int, version_id: int, number: int, template: Template,
              day: dt.date, creator: int) -> None:  # fmt: skip
        """A visit of a running course, booked in the diary (up to eight weeks ahead)."""
        if day > self.today + dt.timedelta(days=BOOKING_HORIZON_DAYS):
            return
        performer, started = self.slot(day, [practitioner, *estheticians], 3)
        if performer is None:
            return
        assert started is not None  # slot() gives a performer and a time, or neither
        status = "confirmed" if self.rng.random() < 0.4 else "booked"
        areas = json.dumps(sorted({a[0] for a in template.areas}))
        ends = started + dt.timedelta(minutes=45)
        self._appointment(rows, site, performer, pid, plan_id, version_id, number + 1, areas,
                          day, started, ends, status, creator)  # fmt: skip

    def _appointment(self, rows: Rows, site: Site, user: int, pid: int, plan_id: int,
                     version_id: int, number: int, areas: str, day: dt.date,
                     started: dt.datetime, ended: dt.datetime, status: str,
                     creator: int) -> None:  # fmt: skip
        made = self.w.ts(dt.datetime.combine(day - dt.timedelta(days=7), dt.time(9)))
        rows["appointment"].append(
            (self.o.org.pk, self.uid(), site.pk, None, user, pid, None, plan_id, version_id,
             number, areas, day, self.w.ts(started), self.w.ts(ended), status, "", None, None,
             "", None, 0, creator, made, made)
        )  # fmt: skip

    def _adverse(
        self, rows: Rows, pid: int, sid: int, day: dt.date, area: str, lot: int | None,
        practitioner: int,
    ) -> None:  # fmt: skip
        rng = self.rng
        draw = rng.random()
        for rate, kinds, (low, high) in AE_RATES:
            if draw >= rate:
                draw -= rate
                continue
            kind, grade = rng.choice(kinds), rng.randint(low, high)
            serious = treatment_vocab.is_serious(kind, grade)
            ae_id = self.ids[AdverseEvent]
            self.ids[AdverseEvent] += 1
            onset = day + dt.timedelta(days=rng.randint(0, 3))
            resolved_on = onset + dt.timedelta(days=rng.randint(2, 30))
            resolved = resolved_on if resolved_on < self.today else None
            org_id = self.o.org.pk
            rows["ae"].append(
                (ae_id, org_id, self.uid(), pid, sid, kind, area, onset, grade,
                 f"{kind.replace('-', ' ').capitalize()} after the session", "Observed", "",
                 resolved, serious, practitioner, self.when(onset, 12), None, "")
            )  # fmt: skip
            rows["ae_lot"].append((ae_id, lot))
            if serious:
                due = onset + dt.timedelta(days=1)
                done = self.when(due, 15) if due < self.today else None
                rows["followup"].append(
                    (org_id, self.uid(), pid, sid, ae_id, practitioner, due,
                     "Serious adverse event: review", done, practitioner if done else None, "")
                )  # fmt: skip
            return
