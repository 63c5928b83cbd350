"""A clinic chain at scale, for benchmarks: `mesoclinic seed-scale --patients N [--seed S]`.

One organization with a site per 5,000 patients (at least two), staff of every
role at each site, patients with structured histories, plans approved by the
rules engine with consents, about ten signed sessions per treated patient with
20-200 charted points each, product lots per site, adverse events at the rates
below, and the audit trail those actions would have left.

Rows are generated from one `random.Random(seed)`: the same seed, size and
`--today` give the same rows. They are written in chunks of patients with bulk
writers (see writer.py) and the database's constraints and triggers stay on:
sessions and their charted areas are inserted unsigned and then signed with one
UPDATE per chunk, the only order the append-only triggers allow, exactly as the
application does it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.text import slugify

from mesoclinic import rules
from mesoclinic.accounts.models import ClinicalLicence, LicenceType, Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.patients import vocab as patient_vocab
from mesoclinic.plans.models import Consent, ConsentTemplate, Plan, PlanVersion
from mesoclinic.scale import names
from mesoclinic.scale.writer import Writer
from mesoclinic.scheduling.models import Appointment, SiteHours
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import vocab as treatment_vocab
from mesoclinic.treatments.models import (
    AdverseEvent,
    FollowUpTask,
    Lot,
    SessionArea,
    TreatmentSession,
)
from mesoclinic.web.management.commands.demo import (
    ALLERGIES,
    CONCERNS,
    CONDITIONS,
    LIFESTYLE,
    MEDICATIONS,
)

PATIENTS_PER_SITE = 5000
HISTORY_DAYS = 3 * 365
TREATED_SHARE = 0.9  # patients with an approved, consented plan and sessions
LOT_PERIOD_DAYS = 60  # each site receives a new lot of each product every two months
LOT_SHELF_DAYS = 540
DAY_QUARTERS = 48  # 08:00-20:00
BOOKING_HORIZON_DAYS = 56
# A session's status while its charted areas load, before it is signed or voided: as
# "in_progress", a patient's sessions would break the one-open-session constraint.
LOADING = "voided"
CHART_PATIENTS = 20  # treated patients with exactly 30 sessions: the benchmark's charts
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
# Treatment plans: (weight, items); each is run once through the rules engine.
PLAN_TEMPLATES = [
    (4, [("skin-rejuvenation", "cheeks"), ("skin-rejuvenation", "forehead")]),
    (3, [("hair-loss", "scalp")]),
    (3, [("cellulite", "thighs-outer"), ("cellulite", "buttocks")]),
    (3, [("localized-fat", "submental")]),
    (2, [("localized-fat", "abdomen"), ("localized-fat", "flanks")]),
    (2, [("texture", "cheeks")]),
    (1, [("facial-symmetry", "cheeks")]),
    (1, [("pain", "back")]),
]
LOT_CODES = {
    "ha-noncrosslinked-2ml": "HAB",
    "meso-ha-vitamin-5ml": "MHV",
    "minoxidil-05pct-5ml": "MNX",
    "cellulite-cocktail-10ml": "CEL",
    "deoxycholic-10mg-2ml": "DCA",
    "pcdc-5ml": "PCDC",
    "lidocaine-1pct-5ml": "LID",
}
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


def _has_public_id(model) -> bool:
    return any(f.name == "public_id" for f in model._meta.fields)


def dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


@dataclass
class Template:
    items: list
    result: str
    content_hash: str
    consent_text: str
    areas: list  # (area, side, technique, product, depth, needle length, ml per point, points)
    sessions: int
    aftercare: str


def build_templates(start: dt.date) -> list[Template]:
    profile = rules.PatientProfile(
        weight_kg=65, birth_date=dt.date(1985, 4, 1), sex="F", fitzpatrick=3
    )
    templates = []
    for _, pairs in PLAN_TEMPLATES:
        items = [{"concern": c, "area": a} for c, a in pairs]
        result = rules.build_plan(
            profile, [rules.TreatmentRequest(c, a) for c, a in pairs], start=start
        ).to_dict()
        areas = [
            (
                a["area"],
                a["side"] or "",
                a["technique"],
                a["products"][0],
                a["depth_mm"],
                (a.get("needle") or {}).get("length_mm"),
                a["volume_per_point_ml"],
                a["points"],
            )
            for a in result["areas"]
        ][:3]
        text = _consent_text(result)
        blob = json.dumps(result, separators=(",", ":"))
        templates.append(
            Template(
                items=items,
                result=blob,
                content_hash=hashlib.sha256(blob.encode()).hexdigest(),
                consent_text=text,
                areas=areas,
                sessions=len(result["schedule"]),
                aftercare=json.dumps(result["aftercare"]),
            )
        )
    return templates


def _consent_text(result: dict) -> str:
    ref = rules.load_reference()
    areas = ", ".join(ref.areas[a["area"]].name for a in result["areas"])
    lines = [
        "1. What is proposed",
        f"Mesotherapy of: {areas}, in {len(result['schedule'])} sessions.",
        "2. What is known about it",
        "Mesotherapy has no proven clinical efficacy for many of its uses.",
        "3. Risks",
        "Bruising, swelling, redness, pain, nodules, infection, allergic reaction.",
        "4. Aftercare",
        *result["aftercare"],
        "5. Withdrawal",
        "You may stop the course at any time without giving a reason.",
    ]
    return "\n".join(lines)


@dataclass
class Org:
    org: Organization
    sites: list
    owner: User
    practitioners: dict  # site index -> [user ids]
    estheticians: dict
    reception: dict
    consent_template_id: int
    staff: list = field(default_factory=list)


def _uid(rng: random.Random, salt: int = 0) -> str:
    n = rng.getrandbits(128) ^ salt
    n = (n & ~(0xF << 76)) | (4 << 76)
    n = (n & ~(0x3 << 62)) | (0x2 << 62)
    return f"{n:032x}"


def create_organization(rng, name: str, patients: int, password: str) -> Org:
    if Organization.objects.filter(name=name).exists():
        raise ValueError(f"{name!r} already exists: seed a fresh database")
    org = Organization.objects.create(name=name, currency="EUR", tax_rate=0)
    nsites = max(2, patients // PATIENTS_PER_SITE)
    sites = Site.objects.bulk_create(
        [
            Site(
                organization=org,
                name=f"{names.CITIES[i % len(names.CITIES)]} {i + 1}",
                address=f"{i + 1} {names.STREETS[i % len(names.STREETS)]}",
                phone=f"+1 555 1{i:03d}",
                time_zone="UTC",
            )
            for i in range(nsites)
        ]
    )
    hashed = make_password(password)
    domain = f"{slugify(name)}.scale.clinic"
    users = [
        User(
            email=f"owner@{domain}",
            full_name="Owen Owner",
            organization=org,
            role=Role.OWNER,
            password=hashed,
        )
    ]
    per_site = [(Role.PRACTITIONER, 3), (Role.ESTHETICIAN, 3), (Role.RECEPTION, 2)]
    for i in range(nsites):
        for role, count in per_site:
            for k in range(count):
                first = rng.choice(names.FIRST_F + names.FIRST_M)
                users.append(
                    User(
                        email=f"{role}-{i + 1:02d}-{k + 1}@{domain}",
                        full_name=f"{first} {rng.choice(names.LAST)}",
                        organization=org,
                        role=role,
                        password=hashed,
                    )
                )
    users = User.objects.bulk_create(users)
    users = list(User.objects.filter(organization=org).order_by("id"))
    through = User.sites.through
    links = [through(user_id=users[0].pk, site_id=s.pk) for s in sites]
    by_role: dict[str, dict[int, list[int]]] = {r: {} for r, _ in per_site}
    for user in users[1:]:
        site_index = int(user.email.split("-")[1]) - 1
        by_role[user.role].setdefault(site_index, []).append(user.pk)
        links.append(through(user_id=user.pk, site_id=sites[site_index].pk))
    through.objects.bulk_create(links)
    # The practitioners are licensed physicians, so the sign-off benchmark may sign (§7).
    expires_on = dt.date.today() + dt.timedelta(days=730)
    ClinicalLicence.all_orgs.bulk_create(
        ClinicalLicence(
            organization=org,
            user_id=pk,
            licence_type=LicenceType.PHYSICIAN,
            number=f"SCALE-{pk}",
            jurisdiction="Medical Council",
            expires_on=expires_on,
            recorded_by=users[0],
        )
        for pks in by_role[Role.PRACTITIONER].values()
        for pk in pks
    )
    salt = int.from_bytes(hashlib.sha256(name.encode()).digest()[:16], "big")
    hours = [
        SiteHours(
            organization=org,
            site=site,
            weekday=day,
            opens=dt.time(8),
            closes=dt.time(20),
            **({"public_id": uuid.UUID(_uid(rng, salt))} if _has_public_id(SiteHours) else {}),
        )
        for site in sites
        for day in range(6)  # Monday to Saturday
    ]
    SiteHours.all_orgs.bulk_create(hours)
    with acting_for(org):
        template = ConsentTemplate.objects.create(
            version=1,
            introduction="Mesotherapy is a series of small injections into the skin.",
            alternatives="No treatment; diet and exercise; other procedures.",
            withdrawal="You may stop the course at any time.",
            created_by=users[0],
        )
    return Org(
        org=org,
        sites=sites,
        owner=users[0],
        practitioners=by_role[Role.PRACTITIONER],
        estheticians=by_role[Role.ESTHETICIAN],
        reception=by_role[Role.RECEPTION],
        consent_template_id=template.pk,
        staff=users,
    )


class Seeder:
    def __init__(
        self, patients: int, seed: int, today: dt.date, password: str, progress=None, name=None
    ):
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
        self.allergy_coding = {}
        for substance, text, *_ in ALLERGIES:
            allergy = pm.Allergy(substance=substance, substance_text=text)
            allergy.resolve()
            self.allergy_coding[substance, text] = (json.dumps(allergy.coded), allergy.coding, "")
        self.point_cache: dict[tuple, str] = {}
        self.busy: dict[tuple[int, int], int] = {}  # (user, day) -> bitmask of quarter hours

    def slot(self, day: dt.date, candidates: list[int], quarters: int):
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
        return _uid(self.rng, self.salt)

    def count(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def when(self, day: dt.date, hour: int, minute: int = 0) -> str:
        return self.w.ts(dt.datetime.combine(day, dt.time(hour, minute)))

    def points(self, template_index: int, area_index: int, planned: list, n: int) -> str:
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
                        )
                    )
                    lot_id += 1
        fields = [
            "id", "organization", "public_id", "site", "product", "lot_number", "expires_on",
            "supplier", "received_on", "vials_received", "vials_used", "received_by",
            "recalled_at", "recalled_by", "recall_reason",
        ]  # fmt: skip
        self.w.insert(Lot, fields, rows)
        self.count("lots", len(rows))

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
        rng, o = self.rng, self.o
        org_id = o.org.pk
        rows: dict[str, list] = {
            k: []
            for k in (
                "patient", "allergy", "medication", "condition", "pregnancy", "infection",
                "lifestyle", "concern", "changelog", "plan", "version", "consent", "session",
                "area", "ae", "ae_lot", "followup", "audit", "appointment",
            )
        }  # fmt: skip
        nsites = len(o.sites)
        signed_ids: list[int] = []
        voided_ids: list[int] = []
        for k in range(n):
            index = offset + k
            pid = self.ids[pm.Patient] + index
            site_index = rng.randrange(nsites)
            site = o.sites[site_index]
            practitioners = o.practitioners[site_index]
            estheticians = o.estheticians[site_index]
            creator = rng.choice(o.reception[site_index])
            female = rng.random() < 0.8
            first = rng.choice(names.FIRST_F if female else names.FIRST_M)
            last = rng.choice(names.LAST)
            dob = self.today - dt.timedelta(days=rng.randint(18 * 365, 75 * 365))
            treated = rng.random() < TREATED_SHARE
            chart_patient = treated and self.counts.get("chart_patients", 0) < CHART_PATIENTS
            template_index = rng.choices(range(len(self.templates)), self.template_weights)[0]
            template = self.templates[template_index]
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
                continue
            self._treat(
                rows, pid, site, site_index, practitioners, estheticians, template_index,
                template, start, interval, nsessions, weight, first, last, signed_ids,
                voided_ids, creator,
            )  # fmt: skip
        self._write(rows)
        for ids, status in ((voided_ids, "voided"), (signed_ids, "signed")):
            self._finalise(ids, status)

    def _history(self, rows, pid, creator, created, female, rng) -> None:
        org_id = self.o.org.pk
        ts = self.when(created, 10)

        def entry(kind, *values):
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

    def _draft_plan(self, rows, pid, practitioner, created) -> None:
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
        self, rows, pid, site, site_index, practitioners, estheticians, template_index,
        template, start, interval, nsessions, weight, first, last, signed_ids, voided_ids,
        creator,
    ) -> None:  # fmt: skip
        rng, org_id = self.rng, self.o.org.pk
        practitioner = rng.choice(practitioners)
        plan_id, version_id, consent_id = self.ids[Plan], self.ids[PlanVersion], self.ids[Consent]
        self.ids[Plan] += 1
        self.ids[PlanVersion] += 1
        self.ids[Consent] += 1
        inputs = json.dumps({"items": template.items, "overrides": [], "start": str(start)})
        planned_ts = self.when(start - dt.timedelta(days=7), 11)
        last_day = start + dt.timedelta(days=(nsessions - 1) * interval)
        done = last_day < self.today and nsessions >= template.sessions
        status = "completed" if done else "active"
        last_day = min(last_day, self.today - dt.timedelta(days=1))
        rows["plan"].append(
            (plan_id, org_id, self.uid(), pid, status, inputs, 3, practitioner, planned_ts,
             self.when(last_day, 18), "")
        )  # fmt: skip
        rows["version"].append(
            (version_id, org_id, self.uid(), plan_id, 1, inputs, template.result, "{}",
             practitioner, planned_ts, template.content_hash)
        )  # fmt: skip
        rows["consent"].append(
            (consent_id, org_id, self.uid(), plan_id, version_id, pid,
             self.o.consent_template_id, template.consent_text,
             hashlib.sha256(template.consent_text.encode()).hexdigest(), f"{first} {last}",
             SIGNATURE, planned_ts, practitioner, planned_ts, None, None, "")
        )  # fmt: skip
        for number in range(nsessions):
            day = start + dt.timedelta(days=number * interval)
            if day >= self.today:
                self._book(rows, site, practitioner, estheticians, pid, plan_id, version_id,
                           number, template, day, creator)  # fmt: skip
                continue
            minutes = rng.choice([30, 45, 60])
            preferred = practitioner if rng.random() < 0.5 else rng.choice(estheticians)
            performer, started = self.slot(day, [preferred, *estheticians, *practitioners],
                                           minutes // 15)  # fmt: skip
            if performer is None:  # a full day: the session happens, not booked in the diary
                performer = preferred
                started = dt.datetime.combine(day, dt.time(19, 30))
            ended = started + dt.timedelta(minutes=minutes)
            sid = self.ids[TreatmentSession]
            self.ids[TreatmentSession] += 1
            supervisor = practitioner if performer != practitioner else None
            area_names = json.dumps(sorted({a[0] for a in template.areas}))
            self._appointment(rows, site, performer, pid, plan_id, version_id, number + 1,
                              area_names, day, started, ended, "completed", creator)  # fmt: skip
            voided = rng.random() < 0.005
            started_ts, ended_ts = self.w.ts(started), self.w.ts(ended)
            session_public = self.uid()
            rows["session"].append(
                (sid, org_id, session_public, pid, plan_id, version_id, consent_id, "",
                 site.pk, LOADING, PRECHECK, weight, started_ts, ended_ts, performer,
                 supervisor, 2, None if voided else practitioner, None, template.aftercare,
                 "[]", None, None, "", started_ts)
            )  # fmt: skip
            (voided_ids if voided else signed_ids).append(sid)
            total_points = int(rng.triangular(20, 200, 60))
            areas = template.areas
            first_lot = None
            for area_index, spec in enumerate(areas):
                area, side, technique, product, depth, needle, per_point, planned = spec
                npoints = max(1, total_points // len(areas))
                lot = self.lot_id(site_index, product, day)
                first_lot = first_lot or lot
                volume = min(99.0, max(0.05, round(npoints * per_point, 2)))
                rows["area"].append(
                    (org_id, self.uid(), sid, area, side, technique, lot, volume, depth, needle,
                     90 if technique == "hypodermic" else 45, npoints,
                     self.points(template_index, area_index, planned, npoints))
                )  # fmt: skip
            rows["audit"].append(
                (org_id, performer, started_ts, "create", "treatmentsession",
                 dashed(session_public), '["precheck", "weight_kg"]', "")
            )  # fmt: skip
            if not voided:
                rows["audit"].append(
                    (org_id, practitioner, ended_ts, "change", "treatmentsession",
                     dashed(session_public), '["signed_at", "status"]', "signed")
                )  # fmt: skip
                self._adverse(rows, pid, sid, day, areas[0][0], first_lot, practitioner)

    def _book(self, rows, site, practitioner, estheticians, pid, plan_id, version_id, number,
              template, day, creator) -> None:  # fmt: skip
        """A visit of a running course, booked in the diary (up to eight weeks ahead)."""
        if day > self.today + dt.timedelta(days=BOOKING_HORIZON_DAYS):
            return
        performer, started = self.slot(day, [practitioner, *estheticians], 3)
        if performer is None:
            return
        status = "confirmed" if self.rng.random() < 0.4 else "booked"
        areas = json.dumps(sorted({a[0] for a in template.areas}))
        ends = started + dt.timedelta(minutes=45)
        self._appointment(rows, site, performer, pid, plan_id, version_id, number + 1, areas,
                          day, started, ends, status, creator)  # fmt: skip

    def _appointment(self, rows, site, user, pid, plan_id, version_id, number, areas, day,
                     started, ended, status, creator) -> None:  # fmt: skip
        made = self.w.ts(dt.datetime.combine(day - dt.timedelta(days=7), dt.time(9)))
        rows["appointment"].append(
            (self.o.org.pk, self.uid(), site.pk, None, user, pid, None, plan_id, version_id,
             number, areas, day, self.w.ts(started), self.w.ts(ended), status, "", None, None,
             "", None, 0, creator, made, made)
        )  # fmt: skip

    def _adverse(self, rows, pid, sid, day, area, lot, practitioner) -> None:
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
            resolved = onset + dt.timedelta(days=rng.randint(2, 30))
            if resolved >= self.today:
                resolved = None
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

    # -- writing -------------------------------------------------------------------------
    HISTORY = ["organization", "public_id", "patient", "recorded_on", "created_at", "created_by",
               "voided_at", "voided_by", "void_reason"]  # fmt: skip

    def _write(self, rows) -> None:
        w, H = self.w, self.HISTORY
        w.insert(
            pm.Patient,
            ["id", "organization", "public_id", "first_name", "last_name", "date_of_birth", "sex",
             "phone", "email", "address", "weight_kg", "height_cm", "measured_on", "fitzpatrick",
             "occupation", "emergency_contact_name", "emergency_contact_phone", "notes",
             "home_site", "search_last", "search_first", "phone_digits", "email_lower",
             "created_at", "created_by", "updated_at"],
            rows["patient"],
        )  # fmt: skip
        w.insert(pm.Allergy, H + ["substance", "substance_text", "reaction", "severity", "coded",
                                  "coding", "coding_reason"], rows["allergy"])  # fmt: skip
        w.insert(pm.Medication, H + ["name", "dose", "drug_classes"], rows["medication"])
        w.insert(pm.Condition, H + ["condition", "area", "notes"], rows["condition"])
        w.insert(pm.PregnancyStatus, H + ["status", "confirmed_on"], rows["pregnancy"])
        w.insert(pm.SkinInfection, H + ["area", "description", "resolved_on"], rows["infection"])
        w.insert(pm.LifestyleFactor, H + ["factor", "notes"], rows["lifestyle"])
        w.insert(pm.Concern, H + ["concern", "areas", "goals", "expectations"], rows["concern"])
        w.insert(
            pm.ChangeLog,
            ["organization", "patient", "object_type", "object_id", "action", "changed_by",
             "changed_at", "previous", "reason"],
            rows["changelog"],
        )  # fmt: skip
        w.insert(
            Plan,
            ["id", "organization", "public_id", "patient", "status", "inputs", "lock_version",
             "created_by", "created_at", "updated_at", "cancelled_reason"],
            rows["plan"],
        )  # fmt: skip
        w.insert(
            PlanVersion,
            ["id", "organization", "public_id", "plan", "number", "inputs", "result",
             "reference_versions", "approved_by", "approved_at", "content_hash"],
            rows["version"],
        )  # fmt: skip
        w.insert(
            Consent,
            ["id", "organization", "public_id", "plan", "plan_version", "patient", "template",
             "text", "text_hash", "patient_typed_name", "patient_signature", "patient_signed_at",
             "countersigned_by", "countersigned_at", "revoked_at", "revoked_by", "revoke_reason"],
            rows["consent"],
        )  # fmt: skip
        w.insert(
            TreatmentSession,
            ["id", "organization", "public_id", "patient", "plan", "plan_version", "consent",
             "adhoc_reason", "site", "status", "precheck", "weight_kg", "started_at", "ended_at",
             "performed_by", "supervised_by", "lock_version", "signed_by", "signed_at",
             "aftercare", "dose_caps", "voided_at", "voided_by", "void_reason", "created_at"],
            rows["session"],
        )  # fmt: skip
        w.insert(
            SessionArea,
            ["organization", "public_id", "session", "area", "side", "technique", "lot",
             "volume_ml", "depth_mm", "needle_length_mm", "needle_angle_deg", "injections",
             "points"],
            rows["area"],
        )  # fmt: skip
        w.insert(
            AdverseEvent,
            ["id", "organization", "public_id", "patient", "session", "event_type", "area",
             "onset_on", "grade", "description", "action_taken", "outcome", "resolved_on",
             "serious", "reported_by", "created_at", "voided_at", "void_reason"],
            rows["ae"],
        )  # fmt: skip
        through = AdverseEvent.lots.through
        w.insert(through._meta.db_table, ["adverseevent_id", "lot_id"], rows["ae_lot"])
        w.insert(
            FollowUpTask,
            ["organization", "public_id", "patient", "session", "adverse_event", "assigned_to",
             "due_on", "reason", "done_at", "done_by", "notes"],
            rows["followup"],
        )  # fmt: skip
        w.insert(
            Appointment,
            ["organization", "public_id", "site", "room", "practitioner", "patient",
             "treatment_type", "plan", "plan_version", "course_session", "course_areas",
             "ideal_date", "starts_at", "ends_at", "status", "cancel_reason", "cancelled_at",
             "cancelled_by", "interval_override_reason", "overridden_by", "lock_version",
             "created_by", "created_at", "updated_at"],
            rows["appointment"],
        )  # fmt: skip
        w.insert(
            AuditEvent,
            ["organization", "actor", "at", "action", "object_type", "object_id", "fields",
             "detail", "client_address", "request_id"],
            [(*r, "127.0.0.1", self.uid()) for r in rows["audit"]],
        )  # fmt: skip
        for name, key in (
            ("patients", "patient"), ("history entries", "allergy"), ("plans", "plan"),
            ("plan versions", "version"), ("consents", "consent"), ("sessions", "session"),
            ("charted areas", "area"), ("adverse events", "ae"), ("follow-ups", "followup"),
            ("appointments", "appointment"),
            ("audit events", "audit"),
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
