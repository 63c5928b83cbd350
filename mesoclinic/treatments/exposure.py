"""The patient's charted record as the rules engine reads it (``rules.Given`` rows).

Every charted row of every session that is not voided counts: signed and in
progress, planned and ad hoc, any plan, any site of the organization; so does the
numbing cream recorded at the start of each session. Two queries per patient.
"""

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mesoclinic import rules
from mesoclinic.patients.models import Patient
from mesoclinic.patients.services import chart_for
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Plan
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession


def _label(started_at: datetime) -> str:
    return f"{timezone.localtime(started_at):%d %b %Y %H:%M}"


def numbing_given(
    session_id: str, started_at: datetime, precheck: dict[str, Any]
) -> list[rules.Given]:
    """The numbing cream recorded at the start, at its labelled content (grams as mL)."""
    numbing = precheck.get("numbing") or {}
    product, grams = numbing.get("product"), numbing.get("amount_g")
    if not product or not grams:
        return []
    return [
        rules.given_product(
            product,
            float(grams),
            session=session_id,
            at=started_at,
            label=_label(started_at),
        )
    ]


def row_given(session: TreatmentSession, row: SessionArea) -> rules.Given:
    """One charted row of this session (saved or about to be)."""
    return rules.given_product(
        row.lot.product,
        float(row.volume_ml),
        session=str(session.public_id),
        at=session.started_at,
        injections=row.injections,
        area=row.area,
        side=row.side or None,
        technique=row.technique,
        depth_mm=float(row.depth_mm) if row.depth_mm is not None else None,
        label=_label(session.started_at),
    )


def session_given(session: TreatmentSession, rows: Iterable[SessionArea]) -> list[rules.Given]:
    """This session as given so far: its numbing cream and its charted rows."""
    numbing = numbing_given(str(session.public_id), session.started_at, session.precheck)
    return numbing + [row_given(session, row) for row in rows]


def history_for(
    patient: Patient,
    *,
    exclude: TreatmentSession | None = None,
    exclude_plan: Plan | None = None,
) -> list[rules.Given]:
    """Every other session's rows for this patient (voided sessions do not count); a plan
    being approved leaves out its own sessions, which its course already counts."""
    sessions = TreatmentSession.objects.filter(patient=patient).exclude(status=SessionStatus.VOIDED)
    if exclude is not None:
        sessions = sessions.exclude(pk=exclude.pk)
    if exclude_plan is not None:
        sessions = sessions.exclude(plan=exclude_plan)
    out: list[rules.Given] = []
    started: dict[int, tuple[str, datetime]] = {}
    for pk, public_id, at, precheck in sessions.values_list(
        "pk", "public_id", "started_at", "precheck"
    ):
        started[pk] = (str(public_id), at)
        out += numbing_given(str(public_id), at, precheck)
    rows = SessionArea.objects.filter(session_id__in=list(started)).values_list(
        "session_id",
        "lot__product",
        "volume_ml",
        "injections",
        "area",
        "side",
        "technique",
        "depth_mm",
    )
    for session_id, product, volume, injections, area, side, technique, depth in rows:
        session_public_id, at = started[session_id]
        out.append(
            rules.given_product(
                product,
                float(volume),
                session=session_public_id,
                at=at,
                injections=injections,
                area=area,
                side=side or None,
                technique=technique,
                depth_mm=float(depth) if depth is not None else None,
                label=_label(at),
            )
        )
    return out


def planned_given(session_id: str, at: datetime, areas: list[dict[str, Any]]) -> list[rules.Given]:
    """A plan's areas as if given now: what a session start is about to add."""
    out = []
    for area in areas:
        formula = {k: float(v) for k, v in area["formula_mg_per_ml"].items()}
        out.append(
            rules.Given(
                session=session_id,
                at=at,
                formula=formula,
                volume_ml=float(area["total_volume_ml"]),
                injections=int(area.get("point_count") or 0),
                area=area["area"],
                side=area.get("side"),
                technique=area["technique"],
                depth_mm=area.get("depth_mm"),
                label="this session",
            )
        )
    return out


def profile_with_answers(
    patient: Patient,
    *,
    weight_kg: Decimal | float | None = None,
    pregnancy: str | None = None,
    infected_areas: Iterable[str] = (),
) -> rules.PatientProfile:
    """The patient as the history says, with what was asked again today taking precedence:
    weight, pregnancy or breastfeeding, infection seen in an area. Every other field (the
    clinic's jurisdiction among them) is the history's."""
    base = plans.profile_for(patient, chart_for(patient))
    return replace(
        base,
        weight_kg=float(weight_kg) if weight_kg else base.weight_kg,
        pregnant=base.pregnant or pregnancy == "pregnant",
        breastfeeding=base.breastfeeding or pregnancy == "breastfeeding",
        infected_areas=set(base.infected_areas) | set(infected_areas or ()),
    )


def session_profile(session: TreatmentSession) -> rules.PatientProfile:
    """The patient with the answers recorded when this session started."""
    return profile_with_answers(
        session.patient,
        weight_kg=session.weight_kg,
        pregnancy=session.precheck.get("pregnancy"),
        infected_areas=session.precheck.get("infected_areas", ()),
    )
