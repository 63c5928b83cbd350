"""The patient's copy of their own record (issue 16): one ZIP of `record.json` and the PDFs
they were given, signed consents and aftercare sheets.

Everything is found from the patient's `PortalAccount`, one query per kind of record
(never per row), so a long record costs what a short one does. Codes are kept for a
machine reading the file, each beside its label for a person; dates are ISO 8601.
Clinical photos are left out: they are large and encrypted, and the clinic sends them
on request (the page says so).
"""

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.patients import vocab
from mesoclinic.plans import consent_document
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.portal.models import PortalAccount, SymptomReport
from mesoclinic.portal.reports import symptom_labels
from mesoclinic.rules import outcomes as instruments
from mesoclinic.scheduling.models import Appointment
from mesoclinic.treatments import aftercare_document
from mesoclinic.treatments.models import (
    AdverseEvent,
    Lot,
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)

FORMAT = "mesoclinic patient record"
FORMAT_VERSION = 1
PHOTOS_NOTE = (
    "Clinical photos are not in this file: they are large and kept encrypted. "
    "Ask the clinic for a copy and it will send them to you."
)

Json = dict[str, Any]


def export(user: User, account: PortalAccount) -> tuple[bytes, str]:
    """The ZIP and its file name; one EXPORT event with the patient as the actor."""
    patient = account.patient
    now = timezone.now()
    consents = _consents(account)
    sessions = _sessions(account)
    files: dict[str, bytes] = {}
    for consent in consents:
        consent.patient = patient
        name = f"consents/consent-{consent.patient_signed_at:%Y-%m-%d}-{consent.public_id}.pdf"
        files[name] = consent_document.pdf(consent, patient.organization)
    for session in sessions:
        if session.status == SessionStatus.SIGNED:
            session.patient = patient
            name = f"aftercare/aftercare-{session.signed_at:%Y-%m-%d}-{session.public_id}.pdf"
            files[name] = aftercare_document.pdf(session)
    data = record_json(account, consents, sessions, now=now) | {"files": sorted(files)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("record.json", json.dumps(data, ensure_ascii=False, indent=2))
        for name, content in files.items():
            archive.writestr(name, content)
    record(
        user,
        Action.EXPORT,
        patient,
        detail=f"portal: own record downloaded ({len(files)} documents)",
    )
    return buffer.getvalue(), f"my-record-{timezone.localdate(now):%Y-%m-%d}.zip"


def record_json(
    account: PortalAccount,
    consents: list[Consent],
    sessions: list[TreatmentSession],
    *,
    now: datetime,
) -> Json:
    patient = account.patient
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(now),
        "clinic": patient.organization.name,
        "not_included": PHOTOS_NOTE,
        "patient": _demographics(patient),
        "history": _history(patient),
        "plans": _plans(patient),
        "consents": [_consent(c) for c in consents],
        "sessions": _session_rows(sessions),
        "adverse_events": _adverse_events(patient),
        "outcome_assessments": _assessments(patient),
        "appointments": _appointments(patient),
        "symptom_reports": _reports(patient),
    }


# --- reading: one query per kind ---


def _consents(account: PortalAccount) -> list[Consent]:
    return list(
        Consent.objects.filter(patient=account.patient)
        .select_related("plan", "plan_version", "countersigned_by")
        .order_by("patient_signed_at")
    )


def _sessions(account: PortalAccount) -> list[TreatmentSession]:
    return list(
        TreatmentSession.objects.filter(patient=account.patient)
        .select_related("site", "site__organization", "performed_by", "signed_by", "plan")
        .order_by("started_at")
    )


# --- writing: plain JSON values ---


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _num(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _name(user: User | None) -> str | None:
    return user.full_name if user is not None else None


def _void(row: Model) -> Json:
    voided = getattr(row, "voided_at", None)
    if voided is None:
        return {"voided": False}
    return {"voided": True, "voided_at": _iso(voided), "void_reason": row.void_reason}  # type: ignore[attr-defined]


def _demographics(patient: pm.Patient) -> Json:
    return {
        "id": str(patient.public_id),
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": _iso(patient.date_of_birth),
        "sex": patient.sex,
        "sex_label": patient.get_sex_display(),
        "email": patient.email,
        "phone": patient.phone,
        "address": patient.address,
        "occupation": patient.occupation,
        "emergency_contact_name": patient.emergency_contact_name,
        "emergency_contact_phone": patient.emergency_contact_phone,
        "weight_kg": _num(patient.weight_kg),
        "height_cm": _num(patient.height_cm),
        "measured_on": _iso(patient.measured_on),
        "fitzpatrick_skin_type": patient.fitzpatrick,
        "fitzpatrick_skin_type_label": (
            patient.get_fitzpatrick_display() if patient.fitzpatrick else None
        ),
        "clinic_notes": patient.notes,
        "created_at": _iso(patient.created_at),
    }


def _entry(row: pm.HistoryEntry, **fields: Any) -> Json:
    return {
        "id": str(row.public_id),
        "recorded_on": _iso(row.recorded_on),
        **fields,
        **_void(row),
    }


def _history(patient: pm.Patient) -> Json:
    def rows(model: type[pm.HistoryEntry]) -> Iterable[Any]:
        return model.objects.filter(patient=patient).order_by("recorded_on", "id")

    return {
        "allergies": [
            _entry(
                a,
                substance=a.substance,
                substance_label=a.label,
                reaction=a.reaction,
                severity=a.severity,
                severity_label=a.get_severity_display(),
            )
            for a in rows(pm.Allergy)
        ],
        "no_known_allergies": [_entry(n) for n in rows(pm.NoKnownAllergies)],
        "medications": [_entry(m, name=m.name, dose=m.dose) for m in rows(pm.Medication)],
        "conditions": [
            _entry(
                c,
                condition=c.condition,
                condition_label=c.get_condition_display(),
                area=c.area,
                area_label=vocab.area_name(c.area) if c.area else None,
                notes=c.notes,
            )
            for c in rows(pm.Condition)
        ],
        "pregnancy": [
            _entry(
                p,
                status=p.status,
                status_label=p.get_status_display(),
                confirmed_on=_iso(p.confirmed_on),
            )
            for p in rows(pm.PregnancyStatus)
        ],
        "skin_infections": [
            _entry(
                s,
                area=s.area,
                area_label=vocab.area_name(s.area),
                description=s.description,
                resolved_on=_iso(s.resolved_on),
            )
            for s in rows(pm.SkinInfection)
        ],
        "lifestyle": [
            _entry(f, factor=f.factor, factor_label=f.get_factor_display(), notes=f.notes)
            for f in rows(pm.LifestyleFactor)
        ],
        "concerns": [
            _entry(
                c,
                concern=c.concern,
                concern_label=c.get_concern_display(),
                areas=c.areas,
                area_labels=c.area_labels(),
                goals=c.goals,
                expectations=c.expectations,
            )
            for c in rows(pm.Concern)
        ],
    }


def _label(mapping: Any, slug: str | None) -> str | None:
    if not slug:
        return None
    item = mapping.get(slug)
    return item.name if item is not None else slug


def _plan_item(area: Json) -> Json:
    ref = rules.load_reference()
    products = area.get("products") or []
    return {
        "concern": area.get("concern"),
        "concern_label": _label(ref.concerns, area.get("concern")),
        "area": area.get("area"),
        "area_label": _label(ref.areas, area.get("area")),
        "side": area.get("side"),
        "protocol": area.get("protocol"),
        "protocol_label": _label(ref.protocols, area.get("protocol")),
        "technique": area.get("technique"),
        "technique_label": _label(ref.techniques, area.get("technique")),
        "products": products,
        "product_labels": [_label(ref.products, p) for p in products],
        "sessions": area.get("sessions"),
        "depth_mm": area.get("depth_mm"),
        "injection_points": area.get("point_count"),
        "volume_per_point_ml": area.get("volume_per_point_ml"),
        "total_volume_ml": area.get("total_volume_ml"),
    }


def _plans(patient: pm.Patient) -> list[Json]:
    versions = PlanVersion.objects.select_related("approved_by").order_by("number")
    found = list(Plan.objects.filter(patient=patient).order_by("created_at", "id"))
    by_plan: dict[int, list[PlanVersion]] = defaultdict(list)
    for version in versions.filter(plan__in=[p.pk for p in found]):
        by_plan[version.plan_id].append(version)
    return [
        {
            "id": str(plan.public_id),
            "status": plan.status,
            "status_label": plan.get_status_display(),
            "created_at": _iso(plan.created_at),
            "cancelled_reason": plan.cancelled_reason,
            "versions": [
                {
                    "number": v.number,
                    "approved_at": _iso(v.approved_at),
                    "approved_by": _name(v.approved_by),
                    "items": [_plan_item(a) for a in v.result.get("areas", [])],
                }
                for v in by_plan[plan.pk]
            ],
        }
        for plan in found
    ]


def _consent(consent: Consent) -> Json:
    return {
        "id": str(consent.public_id),
        "plan": str(consent.plan.public_id),
        "plan_version": consent.plan_version.number,
        "signed_at": _iso(consent.patient_signed_at),
        "signed_as": consent.patient_typed_name,
        "countersigned_at": _iso(consent.countersigned_at),
        "countersigned_by": _name(consent.countersigned_by),
        "withdrawn": consent.voided_at is not None,
        "withdrawn_at": _iso(consent.voided_at),
        "withdrawal_reason": consent.void_reason if consent.voided_at else None,
        "text": consent.text,
        "text_sha256": consent.text_hash,
    }


def _session_rows(sessions: list[TreatmentSession]) -> list[Json]:
    ids = [s.pk for s in sessions]
    areas: dict[int, list[SessionArea]] = defaultdict(list)
    for row in SessionArea.objects.filter(session__in=ids).select_related("lot").order_by("id"):
        areas[row.session_id].append(row)
    amendments: dict[int, list[SessionAmendment]] = defaultdict(list)
    for amendment in (
        SessionAmendment.objects.filter(session__in=ids)
        .select_related("author")
        .order_by("created_at")
    ):
        amendments[amendment.session_id].append(amendment)
    return [_session(s, areas[s.pk], amendments[s.pk]) for s in sessions]


def _session(
    session: TreatmentSession, areas: list[SessionArea], amendments: list[SessionAmendment]
) -> Json:
    ref = rules.load_reference()
    return {
        "id": str(session.public_id),
        "status": session.status,
        "status_label": session.get_status_display(),
        "plan": str(session.plan.public_id) if session.plan else None,
        "reason_without_plan": session.adhoc_reason or None,
        "site": session.site.name,
        "started_at": _iso(session.started_at),
        "ended_at": _iso(session.ended_at),
        "signed_at": _iso(session.signed_at),
        "performed_by": _name(session.performed_by),
        "signed_by": _name(session.signed_by),
        "weight_kg": _num(session.weight_kg),
        "charted": [
            {
                "area": a.area,
                "area_label": _label(ref.areas, a.area),
                "side": a.side or None,
                "technique": a.technique,
                "technique_label": _label(ref.techniques, a.technique),
                "product": a.lot.product,
                "product_label": _label(ref.products, a.lot.product),
                "lot_number": a.lot.lot_number,
                "lot_expires_on": _iso(a.lot.expires_on),
                "volume_ml": _num(a.volume_ml),
                "depth_mm": _num(a.depth_mm),
                "injections": a.injections,
            }
            for a in areas
        ],
        "aftercare": list(session.aftercare or []),
        "amendments": [
            {
                "at": _iso(m.created_at),
                "by": _name(m.author),
                "text": m.text,
                "reason": m.reason,
            }
            for m in amendments
        ],
        **_void(session),
    }


def _lot(lot: Lot) -> Json:
    return {
        "product": lot.product,
        "product_label": _label(rules.load_reference().products, lot.product),
        "lot_number": lot.lot_number,
    }


def _adverse_events(patient: pm.Patient) -> list[Json]:
    events = (
        AdverseEvent.objects.filter(patient=patient)
        .select_related("session")
        .prefetch_related("lots")
        .order_by("onset_on", "id")
    )
    ref = rules.load_reference()
    return [
        {
            "id": str(e.public_id),
            "session": str(e.session.public_id) if e.session else None,
            "event_type": e.event_type,
            "event_type_label": e.get_event_type_display(),
            "area": e.area or None,
            "area_label": _label(ref.areas, e.area),
            "onset_on": _iso(e.onset_on),
            "grade": e.grade,
            "grade_label": e.get_grade_display(),
            "serious": e.serious,
            "seriousness_criteria": e.criteria,
            "seriousness_criteria_labels": e.get_criteria_display(),
            "description": e.description,
            "action_taken": e.action_taken,
            "outcome": e.outcome,
            "resolved_on": _iso(e.resolved_on),
            "lots": [_lot(lot) for lot in e.lots.all()],
            **_void(e),
        }
        for e in events
    ]


def _instrument_name(slug: str) -> str:
    known = instruments.load_instruments().instruments
    return known[slug].name if slug in known else slug


def _assessments(patient: pm.Patient) -> list[Json]:
    found = (
        Assessment.objects.filter(patient=patient)
        .select_related("session", "plan")
        .order_by("taken_at", "id")
    )
    ref = rules.load_reference()
    return [
        {
            "id": str(a.public_id),
            "instrument": a.instrument,
            "instrument_label": _instrument_name(a.instrument),
            "instrument_version": a.instrument_version,
            "timepoint": a.timepoint,
            "timepoint_label": a.get_timepoint_display(),
            "rater": a.rater,
            "rater_label": a.get_rater_display(),
            "area": a.area or None,
            "area_label": _label(ref.areas, a.area),
            "side": a.side or None,
            "protocol": a.protocol or None,
            "protocol_label": _label(ref.protocols, a.protocol),
            "taken_at": _iso(a.taken_at),
            "answers": a.answers,
            "total": _num(a.total),
            "result": a.display,
            "band": a.band or None,
            "plan": str(a.plan.public_id) if a.plan else None,
            "session": str(a.session.public_id) if a.session else None,
            "late_reason": a.late_reason or None,
            "amend_reason": a.amend_reason or None,
            **_void(a),
        }
        for a in found
    ]


def _appointments(patient: pm.Patient) -> list[Json]:
    found = (
        Appointment.objects.filter(patient=patient)
        .select_related("site", "practitioner", "treatment_type")
        .order_by("starts_at")
    )
    return [
        {
            "id": str(a.public_id),
            "starts_at": _iso(a.starts_at),
            "ends_at": _iso(a.ends_at),
            "status": a.status,
            "status_label": a.get_status_display(),
            "site": a.site.name,
            "practitioner": _name(a.practitioner),
            "treatment": a.treatment_type.name if a.treatment_type else None,
            "cancelled_at": _iso(a.cancelled_at),
            "cancel_reason": a.cancel_reason or None,
        }
        for a in found
    ]


def _reports(patient: pm.Patient) -> list[Json]:
    found = (
        SymptomReport.objects.filter(patient=patient)
        .select_related("session", "reviewed_by")
        .order_by("reported_at")
    )
    return [
        {
            "id": str(r.public_id),
            "reported_at": _iso(r.reported_at),
            "session": str(r.session.public_id) if r.session else None,
            "feeling": r.feeling,
            "feeling_label": r.get_feeling_display(),
            "symptoms": r.symptoms,
            "symptom_labels": symptom_labels(r),
            "where": r.where,
            "severity_0_to_10": r.severity,
            "started_on": _iso(r.started_on),
            "note": r.note,
            "urgency": r.urgency,
            "urgency_label": r.get_urgency_display(),
            "reviewed_at": _iso(r.reviewed_at),
            "reviewed_by": _name(r.reviewed_by),
            "review_outcome": r.review_outcome or None,
            "review_outcome_label": r.get_review_outcome_display() or None,
            "review_note": r.review_note or None,
        }
        for r in found
    ]
