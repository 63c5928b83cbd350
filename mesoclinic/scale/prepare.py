"""What a benchmark run needs from a seeded chain: logins, the records each job opens,
and fresh in-progress sessions for the sign-off job (a sign-off consumes its session).

Inserting in-progress sessions and their charted areas is what the application
does when staff chart; nothing signed is touched.
"""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.patients import models as pm
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Consent, Plan, PlanProtocol, PlanVersion
from mesoclinic.scale.compare_photos import comparison_paths
from mesoclinic.scheduling.models import Appointment
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import (
    Lot,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)

# Name prefixes and whole names as staff type them at the front desk.
SEARCH_TERMS = ["mar", "yam", "sch", "dup", "kow", "anna", "lu", "ber", "sofia gar", "nak"]
BENCH_LOT = "BENCH-SIGNOFF"


def handles(org: Organization, sessions: int, seed: int = 0) -> dict[str, Any]:
    staff = User.objects.filter(organization=org, is_active=True).order_by("id")
    owner = staff.filter(role=Role.OWNER).first()
    practitioner = staff.filter(role=Role.PRACTITIONER).first()
    reception = staff.filter(role=Role.RECEPTION).first()
    with acting_for(org):
        charts = list(
            TreatmentSession.objects.values("patient__public_id")
            .annotate(n=Count("id"))
            .filter(n=30)
            .values_list("patient__public_id", flat=True)[:20]
        )
        plans = list(
            Plan.objects.filter(status="draft")
            .order_by("id")
            .values_list("public_id", flat=True)[:20]
        )
        lot = (
            SessionArea.objects.values("lot__lot_number")
            .annotate(n=Count("id"))
            .order_by("-n", "lot__lot_number")
            .first()
        )
        # The evidence page filtered to the protocol with the most courses.
        protocol = (
            PlanProtocol.objects.values("protocol")
            .annotate(n=Count("plan", distinct=True))
            .order_by("-n", "protocol")
            .first()
        )
        signable = prepare_signoffs(org, practitioner, sessions, seed)
        site = org.sites.order_by("id").first()
        assert owner is not None and practitioner is not None  # a seeded chain has both
        return {
            "organization": org.name,
            "owner": owner.email,
            "practitioner": practitioner.email,
            "reception": reception.email if reception else "",
            "chart_patients": [str(p) for p in charts],
            "draft_plans": [str(p) for p in plans],
            "search_terms": SEARCH_TERMS,
            "recall_lot": lot["lot__lot_number"] if lot else "",
            "recall_rows": lot["n"] if lot else 0,
            "signoff_sessions": [str(s) for s in signable],
            "evidence_protocol": protocol["protocol"] if protocol else "",
            "site": str(site.public_id) if site else "",
            "patients": Patient.objects.count(),
            "compare_paths": comparison_paths(practitioner),
            "busiest_day": busiest_day(),
        }


def busiest_day() -> dict[str, str]:
    """The site and local day with the most appointments: the diary grid's heaviest page."""
    top = (
        Appointment.objects.annotate(day=TruncDate("starts_at"))
        .values("site__public_id", "day")
        .annotate(n=Count("id"))
        .order_by("-n", "day")
        .first()
    )
    if top is None:
        return {}
    return {"site": str(top["site__public_id"]), "date": top["day"].isoformat()}


def _bench_lot(site: Site, product: str, owner: User | None) -> Lot:
    lot = Lot.objects.filter(site=site, product=product, lot_number=BENCH_LOT).first()
    if lot is None:
        today = timezone.localdate()
        lot = Lot.objects.create(
            site=site,
            product=product,
            lot_number=BENCH_LOT,
            expires_on=today.replace(year=today.year + 5),
            supplier="Benchmark",
            received_on=today,
            vials_received=2_000_000_000,
            received_by=owner,
        )
    return lot


def _signable(version: PlanVersion) -> bool:
    """Sign-off re-checks the patient's whole history (courses, intervals): the benchmark
    signs plans whose first product no course or interval limit can refuse, so that it
    measures a sign-off that succeeds after the same checks."""
    ref = rules.load_reference()
    area = version.result["areas"][0]
    return not any(
        lim.kind in ("max_sessions", "min_interval_days")
        for slug in area.get("formula_mg_per_ml", {})
        for lim in ref.ingredients[slug].limits
    )


def _versions(count: int, seed: int) -> list[PlanVersion]:
    """Up to ``count`` approved versions, on distinct patients that sign-off will not refuse."""
    versions = list(
        PlanVersion.objects.select_related("plan", "plan__patient")
        .order_by("-id")
        .only("id", "plan_id", "result", "plan__patient_id", "plan__patient__home_site_id")[
            : count * 6
        ]
    )
    # One session in progress per patient (a database constraint): skip patients who have
    # one already, from an earlier run, and a second version of the same patient.
    busy = set(
        TreatmentSession.objects.filter(status=SessionStatus.IN_PROGRESS).values_list(
            "patient_id", flat=True
        )
    )
    # The seeded histories hold allergies (some uncoded): those patients are refused at
    # sign-off, as they should be, and would measure a refusal.
    busy |= set(
        pm.Allergy.objects.filter(voided_at__isnull=True).values_list("patient_id", flat=True)
    )
    versions = [v for v in versions if v.plan.patient_id not in busy and _signable(v)]
    versions = list({v.plan.patient_id: v for v in reversed(versions)}.values())
    rng = random.Random(seed)
    rng.shuffle(versions)
    return versions[:count]


def _charted_areas(
    org: Organization, sessions: list[TreatmentSession], planned: list[tuple[Any, ...]]
) -> None:
    """One charted area per session: the plan's first area, at most 20 of its points."""
    ref = rules.load_reference()
    areas = []
    for session, (area, lot, points, per_point) in zip(sessions, planned, strict=True):
        technique = area["technique"] if area["technique"] in ref.techniques else "papule"
        areas.append(
            SessionArea(
                organization_id=org.pk,
                session=session,
                area=area["area"],
                side=area.get("side") or "",
                technique=technique,
                lot=lot,
                volume_ml=round(max(0.05, min(50, per_point * len(points))), 2),
                depth_mm=area.get("depth_mm"),
                injections=len(points),
                points=points,
            )
        )
    SessionArea.objects.bulk_create(areas)


def prepare_signoffs(
    org: Organization, practitioner: User | None, count: int, seed: int
) -> list[uuid.UUID]:
    """`count` in-progress sessions, one charted area each, on distinct treated patients."""
    if count <= 0:
        return []
    versions = _versions(count, seed)
    now = timezone.now()
    consents = dict(
        Consent.objects.filter(
            plan_version_id__in=[v.pk for v in versions], voided_at__isnull=True
        ).values_list("plan_version_id", "id")
    )
    lots: dict = {}
    sessions, planned = [], []
    sites: dict[int | None, Site] = {s.pk: s for s in org.sites.all()}
    for version in versions:
        area = version.result["areas"][0]
        product = area["products"][0]
        site = sites.get(version.plan.patient.home_site_id) or next(iter(sites.values()))
        key = (site.pk, product)
        if key not in lots:
            lots[key] = _bench_lot(site, product, practitioner)
        sessions.append(
            TreatmentSession(
                organization_id=org.pk,
                patient_id=version.plan.patient_id,
                plan_id=version.plan_id,
                plan_version_id=version.pk,
                consent_id=consents.get(version.pk),
                site=site,
                status=SessionStatus.IN_PROGRESS,
                precheck={"pregnancy": "no", "infected_areas": [], "warnings": []},
                started_at=now,
                performed_by=practitioner,
            )
        )
        per_point = area.get("volume_per_point_ml") or 0.1
        points = area["points"][:20] or [[100.0, 100.0]]
        planned.append((area, lots[key], points, per_point))
    sessions = TreatmentSession.objects.bulk_create(sessions)
    _charted_areas(org, sessions, planned)
    return [s.public_id for s in sessions]


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1)
