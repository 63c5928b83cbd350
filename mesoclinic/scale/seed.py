"""A clinic chain at scale, for benchmarks: `mesoclinic seed-scale --patients N [--seed S]`.

One organization with a site per 5,000 patients (at least two), staff of every
role at each site, patients with structured histories, plans approved by the
rules engine with consents, about ten signed sessions per treated patient with
20-200 charted points each, product lots per site, adverse events at the rates
below, outcome scores of each course (outcome_rows.py), and the audit trail those
actions would have left.

Rows are generated from one `random.Random(seed)` (outcome scores from a second stream
seeded from the same seed): the same seed, size and `--today` give the same rows. They
are written in chunks of patients with bulk writers (see writer.py) and the database's
constraints and triggers stay on: sessions and their charted areas are inserted
unsigned and then signed with one UPDATE per chunk, the only order the append-only
triggers allow, exactly as the application does it. Outcome scores are inserted once,
as signed records are, and the plan-protocol trigger fires on each version inserted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction

from mesoclinic.patients import models as pm
from mesoclinic.patients import vocab as patient_vocab
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.scale import names, tables
from mesoclinic.scale.course_rows import LOADING, CourseRows
from mesoclinic.scale.ids import dashed, uid
from mesoclinic.scale.organization import create_organization
from mesoclinic.scale.outcome_rows import CourseOutcomes
from mesoclinic.scale.tables import Rows
from mesoclinic.scale.templates import PLAN_TEMPLATES, build_templates
from mesoclinic.scale.writer import Writer
from mesoclinic.treatments.models import AdverseEvent, Lot, TreatmentSession
from mesoclinic.web.management.commands.demo import (
    ALLERGIES,
    CONCERNS,
    CONDITIONS,
    LIFESTYLE,
    MEDICATIONS,
)

HISTORY_DAYS = 3 * 365
TREATED_SHARE = 0.9  # patients with an approved, consented plan and sessions
LOT_PERIOD_DAYS = 60  # each site receives a new lot of each product every two months
LOT_SHELF_DAYS = 540
DAY_QUARTERS = 48  # 08:00-20:00
CHART_PATIENTS = 20  # treated patients with exactly 30 sessions: the benchmark's charts
LOT_CODES = {
    "ha-noncrosslinked-2ml": "HAB",
    "meso-ha-vitamin-5ml": "MHV",
    "minoxidil-05pct-5ml": "MNX",
    "cellulite-cocktail-10ml": "CEL",
    "deoxycholic-10mg-2ml": "DCA",
    "pcdc-5ml": "PCDC",
    "lidocaine-1pct-5ml": "LID",
}


class Seeder(CourseRows):
    def __init__(
        self,
        patients: int,
        seed: int,
        today: dt.date,
        password: str,
        progress: Callable[[int, int], None] | None = None,
        name: str | None = None,
    ) -> None:
        self.name = name or f"Scale Clinic {patients} s{seed}"
        self.total = patients
        self.seed = seed
        self.today = today
        self.password = password
        self.progress = progress
        self.rng = random.Random(seed)
        # Public ids depend on the organization's name too: two chains of one seed can coexist.
        self.salt = int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:16], "big")
        self.w = Writer()
        self.counts: dict[str, int] = {}
        self.first_day = today - dt.timedelta(days=HISTORY_DAYS)
        self.med_classes = {
            name: json.dumps(sorted(patient_vocab.classify_medication(name)))
            for name, _ in MEDICATIONS
        }
        self.allergy_coding: dict[tuple[str, str], tuple[str, str, str]] = {}
        for substance, text, *_ in ALLERGIES:
            allergy = pm.Allergy(substance=substance, substance_text=text)
            allergy.resolve()
            self.allergy_coding[substance, text] = (json.dumps(allergy.coded), allergy.coding, "")
        self.point_cache: dict[tuple[int, int, int, int], str] = {}
        self.busy: dict[tuple[int, int], int] = {}  # (user, day) -> bitmask of quarter hours

    def slot(
        self, day: dt.date, candidates: list[int], quarters: int
    ) -> tuple[int, dt.datetime] | tuple[None, None]:
        """A free time (08:00-20:00, quarter hours) for the first candidate who has one.

        Appointments of one person never overlap: PostgreSQL refuses it."""
        need = (1 << quarters) - 1
        first = self.rng.randrange(0, DAY_QUARTERS - quarters + 1)
        for user in candidates:
            mask = self.busy.get((user, day.toordinal()), 0)
            for i in range(DAY_QUARTERS - quarters + 1):
                q = (first + i) % (DAY_QUARTERS - quarters + 1)
                if not mask & (need << q):
                    self.busy[(user, day.toordinal())] = mask | (need << q)
                    start = dt.datetime.combine(day, dt.time(8)) + dt.timedelta(minutes=15 * q)
                    return user, start
        return None, None

    # -- helpers -------------------------------------------------------------------------
    def uid(self) -> str:
        return uid(self.rng, self.salt)

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def when(self, day: dt.date, hour: int, minute: int = 0) -> str:
        return self.w.ts(dt.datetime.combine(day, dt.time(hour, minute)))

    def points(self, template_index: int, area_index: int, planned: list[Any], n: int) -> str:
        """n charted points around the planned grid (a few variants per count)."""
        variant = self.rng.randrange(4)
        key = (template_index, area_index, n, variant)
        cached = self.point_cache.get(key)
        if cached is None:
            local = random.Random(hash(key))
            base = planned or [[100.0, 100.0]]
            pts = [
                [
                    round(base[i % len(base)][0] + local.uniform(-3, 3), 2),
                    round(base[i % len(base)][1] + local.uniform(-3, 3), 2),
                ]
                for i in range(n)
            ]
            cached = self.point_cache[key] = json.dumps(pts, separators=(",", ":"))
        return cached

    # -- the organization and its lots --------------------------------------------------
    # -- the organization and its lots --------------------------------------------------
    def setup(self) -> None:
        self.w.prepare_load()
        with transaction.atomic():
            self.o = create_organization(self.rng, self.name, self.total, self.password)
            self.templates = build_templates(self.today)
            self.template_weights = [w for w, _ in PLAN_TEMPLATES]
            self.products = list(LOT_CODES)
            self.periods = HISTORY_DAYS // LOT_PERIOD_DAYS + 2
            self.lot_base = self.w.next_id(Lot)
            self._lots()
            self.outcomes = CourseOutcomes(self.seed, self.salt, self.w, self.o.org.pk, self.today)
        self.ids = {
            m: self.w.next_id(m)
            for m in (pm.Patient, Plan, PlanVersion, Consent, TreatmentSession, AdverseEvent)
        }

    def lot_id(self, site_index: int, product: str, day: dt.date) -> int:
        period = min(self.periods - 1, (day - self.first_day).days // LOT_PERIOD_DAYS + 1)
        nprod = len(self.products)
        return (
            self.lot_base
            + (period * len(self.o.sites) + site_index) * nprod
            + self.products.index(product)
        )

    def _lots(self) -> None:
        rows = []
        org_id = self.o.org.pk
        lot_id = self.lot_base
        for period in range(self.periods):
            received = self.first_day + dt.timedelta(days=(period - 1) * LOT_PERIOD_DAYS - 5)
            for site in self.o.sites:
                for product in self.products:
                    number = f"{LOT_CODES[product]}{received:%y}-{period + 1:03d}"
                    rows.append(
                        (
                            lot_id,
                            org_id,
                            self.uid(),
                            site.pk,
                            product,
                            number,
                            received + dt.timedelta(days=LOT_SHELF_DAYS),
                            "Scale Pharma Supplies",
                            received,
                            20000,
                            0,
                            self.o.owner.pk,
                            None,
                            None,
                            "",
                            "",  # invoice number
                            None,  # cost per vial
                        )
                    )
                    lot_id += 1
        fields = [
            "id", "organization", "public_id", "site", "product", "lot_number", "expires_on",
            "supplier", "received_on", "vials_received", "vials_used", "received_by",
            "recalled_at", "recalled_by", "recall_reason", "invoice_number", "unit_cost",
        ]  # fmt: skip
        self.w.insert(Lot, fields, rows)
        self.count("lots", len(rows))

    # -- patients, in chunks -------------------------------------------------------------
    # -- patients, in chunks -------------------------------------------------------------
    def run(self, chunk: int = 2000) -> dict[str, int]:
        self.setup()
        done = 0
        while done < self.total:
            n = min(chunk, self.total - done)
            with transaction.atomic():
                self._chunk(done, n)
            done += n
            if self.progress:
                self.progress(n, self.w.rows)
        self.w.finish_load(
            [pm.Patient, Plan, PlanVersion, Consent, TreatmentSession, AdverseEvent, Lot]
        )
        self.w.analyze()
        return self.counts

    def _chunk(self, offset: int, n: int) -> None:
        rows: Rows = {
            k: []
            for k in (
                "patient", "allergy", "medication", "condition", "pregnancy", "infection",
                "lifestyle", "concern", "changelog", "plan", "version", "consent", "session",
                "area", "ae", "ae_lot", "followup", "audit", "appointment", "assessment",
                "assessment_audit",
            )
        }  # fmt: skip
        signed_ids: list[int] = []
        voided_ids: list[int] = []
        for k in range(n):
            self._patient(rows, offset + k, signed_ids, voided_ids)
        self._write(rows)
        for ids, status in ((voided_ids, "voided"), (signed_ids, "signed")):
            self._finalise(ids, status)

    def _course_shape(self) -> tuple[bool, int, int, int, dt.date]:
        """Treated or not, the plan template, and the course: sessions, interval, start."""
        rng = self.rng
        treated = rng.random() < TREATED_SHARE
        chart_patient = treated and self.counts.get("chart_patients", 0) < CHART_PATIENTS
        template_index = rng.choices(range(len(self.templates)), self.template_weights)[0]
        if chart_patient:
            nsessions, interval = 30, 21
            self.count("chart_patients", 1)
        else:
            nsessions = max(1, min(16, round(rng.gauss(10, 3)))) if treated else 0
            interval = rng.choice([7, 14, 21, 28])
        if chart_patient:  # all 30 sessions in the past
            span = nsessions * interval + 2
            start = self.today - dt.timedelta(days=rng.randint(span, HISTORY_DAYS))
        else:  # a steady clinic: courses started any day; their future visits are booked
            start = self.today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
        return treated, template_index, nsessions, interval, start

    def _patient(
        self, rows: Rows, index: int, signed_ids: list[int], voided_ids: list[int]
    ) -> None:
        rng, o = self.rng, self.o
        org_id = o.org.pk
        pid = self.ids[pm.Patient] + index
        site_index = rng.randrange(len(o.sites))
        site = o.sites[site_index]
        practitioners = o.practitioners[site_index]
        creator = rng.choice(o.reception[site_index])
        female = rng.random() < 0.8
        first = rng.choice(names.FIRST_F if female else names.FIRST_M)
        last = rng.choice(names.LAST)
        dob = self.today - dt.timedelta(days=rng.randint(18 * 365, 75 * 365))
        treated, template_index, nsessions, interval, start = self._course_shape()
        created = start - dt.timedelta(days=rng.randint(0, 30))
        created_at = self.when(created, rng.randint(8, 17), rng.randrange(60))
        public_id = self.uid()
        phone = f"+1 555 {index // 10000 % 1000:03d} {index % 10000:04d}"
        email = f"{first}.{last}{index}@example.com".lower().replace("'", "").replace(" ", "")
        weight = rng.randint(48, 110)
        rows["patient"].append(
            (
                pid, org_id, public_id, first, last, dob, "F" if female else "M", phone,
                email, f"{rng.randint(1, 200)} {rng.choice(names.STREETS)}\n"
                f"{rng.choice(names.CITIES)}", weight, rng.randint(150, 195),
                created, rng.randint(1, 6), rng.choice(names.OCCUPATIONS),
                f"{rng.choice(names.FIRST_F)} {last}", f"+1 555 9{index % 1000000:06d}", "",
                site.pk, pm.search_key(last), pm.search_key(first), pm.digits(phone),
                email.lower(), created_at, creator, created_at,
            )
        )  # fmt: skip
        self._history(rows, pid, creator, created, female, rng)
        rows["changelog"].append(
            (org_id, pid, "patient", public_id, "create", creator, created_at, "{}", "")
        )
        rows["audit"].append(
            (org_id, creator, created_at, "create", "patient", dashed(public_id), "[]", "")
        )
        if not treated:
            if rng.random() < 0.5:
                self._draft_plan(rows, pid, rng.choice(practitioners), created)
            return
        self._treat(
            rows, pid, site, site_index, practitioners, o.estheticians[site_index],
            template_index, self.templates[template_index], start, interval, nsessions, weight,
            first, last, signed_ids, voided_ids, creator, female,
        )  # fmt: skip

    def _history(
        self,
        rows: Rows,
        pid: int,
        creator: int,
        created: dt.date,
        female: bool,
        rng: random.Random,
    ) -> None:
        org_id = self.o.org.pk
        ts = self.when(created, 10)

        def entry(kind: str, *values: Any) -> None:
            rows[kind].append(
                (org_id, self.uid(), pid, created, ts, creator, None, None, "", *values)
            )

        for substance, text, reaction, severity in rng.sample(ALLERGIES, k=rng.choice([0, 0, 1])):
            coding = self.allergy_coding[substance, text]
            entry("allergy", substance, text, reaction, severity, *coding)
        for name, dose in rng.sample(MEDICATIONS, k=rng.choice([0, 0, 1, 2])):
            entry("medication", name, dose, self.med_classes[name])
        for slug in rng.sample(CONDITIONS, k=rng.choice([0, 0, 0, 1])):
            entry("condition", slug, "", "")
        if female:
            entry("pregnancy", "not_pregnant", created)
        if rng.random() < 0.03:
            entry("infection", "cheeks", "Folliculitis", created + dt.timedelta(days=10))
        for slug in rng.sample(LIFESTYLE, k=rng.choice([0, 1])):
            entry("lifestyle", slug, "")
        concern, areas, goals, expectations = rng.choice(CONCERNS)
        entry("concern", concern, json.dumps(areas), goals, expectations)

    # -- writing -------------------------------------------------------------------------
    def _write(self, rows: Rows) -> None:
        tables.write(self.w, rows, self.uid)
        for name, key in (
            ("patients", "patient"), ("history entries", "allergy"), ("plans", "plan"),
            ("plan versions", "version"), ("consents", "consent"), ("sessions", "session"),
            ("charted areas", "area"), ("adverse events", "ae"), ("follow-ups", "followup"),
            ("appointments", "appointment"), ("outcome scores", "assessment"),
            ("audit events", "audit"), ("audit events", "assessment_audit"),
        ):  # fmt: skip
            self.count(name, len(rows[key]))
        for key in ("medication", "condition", "pregnancy", "infection", "lifestyle", "concern"):
            self.count("history entries", len(rows[key]))
        self.count("charted points", sum(r[11] for r in rows["area"]))

    def _finalise(self, ids: list[int], status: str) -> None:
        """Sign (or void) the chunk's sessions now that their charted areas are in."""
        if not ids:
            return
        table = TreatmentSession._meta.db_table
        if status == "signed":
            # The chunk's sessions are one id range; voided ones (no signer) were set first.
            self.w.execute(
                f"UPDATE {table} SET status = 'signed', signed_at = ended_at "  # noqa: S608
                f"WHERE id BETWEEN %s AND %s AND status = '{LOADING}' "
                "AND signed_by_id IS NOT NULL",
                [min(ids), max(ids)],
            )
            return
        marks = ", ".join(["%s"] * len(ids))
        self.w.execute(
            f"UPDATE {table} SET status = 'voided', voided_at = ended_at, "  # noqa: S608
            f"void_reason = 'Charted in error' WHERE id IN ({marks})",
            ids,
        )
