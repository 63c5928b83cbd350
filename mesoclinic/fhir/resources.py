"""Our rows as FHIR R4 resources (plain dicts, validated by the R4B models in kinds.py).

Ids are the rows' public UUIDs; references are relative (``Patient/<id>``). A voided
entry is sent as entered-in-error, never silently dropped, so a receiver that kept it
learns it was a mistake. Each builder takes a list of rows so that what they need
besides (a session's charted areas) is read in one query for the whole page.
"""

import base64
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from mesoclinic.accounts.models import Organization, Site, User
from mesoclinic.fhir.codes import (
    CONSENT_CATEGORIES,
    CONSENT_CATEGORY,
    CTCAE_EXTENSION,
    PHOTO_PURPOSE,
    PHOTO_PURPOSES,
    body_site,
    ctcae_grade,
    instrument_code,
    photo_view,
    product_name,
    route,
    technique_name,
)
from mesoclinic.outcomes.models import Assessment, Rater
from mesoclinic.patients import models as pm
from mesoclinic.photos.models import Photo, PhotoConsent
from mesoclinic.plans.models import Consent
from mesoclinic.rules.outcomes import load_instruments
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.treatments.models import AdverseEvent, SessionArea, SessionStatus, TreatmentSession

HL7 = "http://terminology.hl7.org/CodeSystem/"
GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
# No known allergy (situation): the code the International Patient Summary uses.
NO_KNOWN_ALLERGY = {"system": "http://snomed.info/sct", "code": "716186003"}


def ref(kind: str, public_id: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{public_id}"}


def _status(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": HL7 + system, "code": code}]}


def _meta(row: Any) -> dict[str, Any]:
    changed = getattr(row, "changed_at", None)
    return {"meta": {"lastUpdated": changed.isoformat()}} if changed else {}


def _telecom(phone: str = "", email: str = "") -> list[dict[str, str]]:
    found = [("phone", phone), ("email", email)]
    return [{"system": system, "value": value} for system, value in found if value]


def _by(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {**ref("Practitioner", user.public_id), "display": user.full_name}


def patients(rows: Iterable[pm.Patient]) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Patient",
            "id": str(p.public_id),
            **_meta(p),
            "active": True,
            "name": [{"use": "official", "family": p.last_name, "given": [p.first_name]}],
            "gender": GENDER.get(p.sex, "unknown"),
            "birthDate": p.date_of_birth.isoformat(),
            "telecom": _telecom(p.phone, p.email) or None,
            "address": [{"text": p.address}] if p.address else None,
            "managingOrganization": ref("Organization", p.organization.public_id),
        }
        for p in rows
    ]


def practitioners(rows: Iterable[User]) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Practitioner",
            "id": str(u.public_id),
            "active": u.is_active,
            "name": [{"text": u.full_name}],
            "telecom": [{"system": "email", "value": u.email, "use": "work"}],
            "qualification": [
                {
                    "identifier": [{"value": licence.number}],
                    "code": {"text": licence.get_licence_type_display()},
                    "period": {"end": licence.expires_on.isoformat()},
                    "issuer": {"display": licence.jurisdiction},
                }
                for licence in u.licences.all()
            ]
            or None,
        }
        for u in rows
    ]


def organizations(rows: Iterable[Organization]) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Organization",
            "id": str(o.public_id),
            "active": True,
            "name": o.name,
            "alias": [o.legal_name] if o.legal_name and o.legal_name != o.name else None,
            "address": [{"text": o.postal_address}] if o.postal_address else None,
        }
        for o in rows
    ]


def locations(rows: Iterable[Site]) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Location",
            "id": str(s.public_id),
            "status": "active",
            "name": s.name,
            "mode": "instance",
            "telecom": _telecom(s.phone) or None,
            "address": {"text": s.address} if s.address else None,
            "managingOrganization": ref("Organization", s.organization.public_id),
        }
        for s in rows
    ]


def _verified(entry: pm.HistoryEntry, kind: str) -> dict[str, Any]:
    """Clinical and verification status: FHIR forbids the first on an entry in error."""
    if entry.is_voided:
        return {"verificationStatus": _status(f"{kind}-verification", "entered-in-error")}
    return {
        "clinicalStatus": _status(f"{kind}-clinical", "active"),
        "verificationStatus": _status(f"{kind}-verification", "confirmed"),
    }


def _entry(entry: pm.HistoryEntry) -> dict[str, Any]:
    return {
        "id": str(entry.public_id),
        **_meta(entry),
        "patient": ref("Patient", entry.patient.public_id),
        "recordedDate": entry.recorded_on.isoformat(),
        "recorder": _by(entry.created_by),
    }


_REACTION_SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}


def allergies(rows: Iterable[pm.Allergy | pm.NoKnownAllergies]) -> list[dict[str, Any]]:
    found = []
    for a in rows:
        resource = {"resourceType": "AllergyIntolerance", **_entry(a)}
        resource.update(_verified(a, "allergyintolerance"))
        if isinstance(a, pm.NoKnownAllergies):
            resource["code"] = {
                "coding": [{**NO_KNOWN_ALLERGY, "display": "No known allergy"}],
                "text": "No known allergies",
            }
        else:
            severe = a.severity in (pm.Severity.SEVERE, pm.Severity.ANAPHYLAXIS)
            resource["code"] = {"text": a.label}
            resource["criticality"] = "high" if severe else "low"
            # A reaction needs what happened: the recorded one, or anaphylaxis itself.
            anaphylaxis = a.severity == pm.Severity.ANAPHYLAXIS
            manifestation = a.reaction or ("Anaphylaxis" if anaphylaxis else "")
            if manifestation:
                resource["reaction"] = [
                    {
                        "manifestation": [{"text": manifestation}],
                        "severity": _REACTION_SEVERITY.get(a.severity, "severe"),
                    }
                ]
        found.append(resource)
    return found


def medications(rows: Iterable[pm.Medication]) -> list[dict[str, Any]]:
    found = []
    for m in rows:
        entry = _entry(m)
        found.append(
            {
                "resourceType": "MedicationStatement",
                "id": entry["id"],
                **_meta(m),
                "status": "entered-in-error" if m.is_voided else "active",
                "medicationCodeableConcept": {"text": m.name},
                "subject": entry["patient"],
                "dateAsserted": m.recorded_on.isoformat(),
                "informationSource": entry["recorder"],
                "dosage": [{"text": m.dose}] if m.dose else None,
            }
        )
    return found


def conditions(rows: Iterable[pm.Condition]) -> list[dict[str, Any]]:
    found = []
    for c in rows:
        entry = _entry(c)
        resource = {
            "resourceType": "Condition",
            "id": entry["id"],
            **_meta(c),
            **_verified(c, "condition"),
            "code": {"text": c.get_condition_display()},
            "subject": entry["patient"],
            "recordedDate": entry["recordedDate"],
            "recorder": entry["recorder"],
            "bodySite": [body_site(c.area)] if c.area else None,
            "note": [{"text": c.notes}] if c.notes else None,
        }
        found.append(resource)
    return found


APPOINTMENT_STATUS = {
    Status.PROPOSED: "proposed",
    Status.BOOKED: "booked",
    Status.CONFIRMED: "booked",
    Status.CANCELLED: "cancelled",
    Status.NO_SHOW: "noshow",
    Status.COMPLETED: "fulfilled",
}


def appointments(rows: Iterable[Appointment]) -> list[dict[str, Any]]:
    return [
        {
            "resourceType": "Appointment",
            "id": str(a.public_id),
            **_meta(a),
            "status": APPOINTMENT_STATUS.get(Status(a.status), "booked"),
            "cancelationReason": {"text": a.cancel_reason} if a.cancel_reason else None,
            "serviceType": [{"text": a.treatment_type.name}] if a.treatment_type else None,
            "start": a.starts_at.isoformat(),
            "end": a.ends_at.isoformat(),
            "minutesDuration": round((a.ends_at - a.starts_at).total_seconds() / 60),
            "created": a.created_at.isoformat() if a.created_at else None,
            "participant": [
                {
                    "actor": {
                        **ref("Patient", a.patient.public_id),
                        "display": a.patient.full_name,
                    },
                    "status": "accepted",
                },
                {"actor": _by(a.practitioner), "status": "accepted"},
                {
                    "actor": {**ref("Location", a.site.public_id), "display": a.site.name},
                    "status": "accepted",
                },
            ],
        }
        for a in rows
    ]


def _areas_of(sessions: list[TreatmentSession]) -> dict[int, list[SessionArea]]:
    by_session: dict[int, list[SessionArea]] = defaultdict(list)
    if sessions:
        for area in SessionArea.objects.filter(session__in=sessions).order_by("pk"):
            by_session[area.session_id].append(area)
    return by_session


def _sites(areas: list[SessionArea]) -> list[dict[str, Any]]:
    seen = dict.fromkeys((a.area, a.side) for a in areas)
    return [body_site(area, side) for area, side in seen]


def procedures(rows: Iterable[TreatmentSession]) -> list[dict[str, Any]]:
    sessions = list(rows)
    areas = _areas_of(sessions)
    found = []
    for s in sessions:
        performers = [{"actor": _by(s.performed_by)}]
        if s.supervised_by is not None:
            performers.append({"function": {"text": "Supervising"}, "actor": _by(s.supervised_by)})
        end = s.ended_at or s.signed_at
        found.append(
            {
                "resourceType": "Procedure",
                "id": str(s.public_id),
                **_meta(s),
                "status": "entered-in-error" if s.is_voided else "completed",
                "code": {"text": "Mesotherapy treatment session"},
                "subject": ref("Patient", s.patient.public_id),
                "performedPeriod": {
                    "start": s.started_at.isoformat(),
                    "end": end.isoformat() if end else None,
                },
                "recorder": _by(s.signed_by),
                "performer": performers,
                "location": {**ref("Location", s.site.public_id), "display": s.site.name},
                "bodySite": _sites(areas[s.pk]) or None,
            }
        )
    return found


def _value(a: Assessment, unit: str) -> dict[str, Any]:
    total = Decimal(a.total)
    if unit:
        return {"valueQuantity": {"value": total.normalize(), "unit": unit}}
    if total == total.to_integral_value():
        return {"valueInteger": int(total)}
    return {"valueQuantity": {"value": total.normalize()}}


def observations(rows: Iterable[Assessment]) -> list[dict[str, Any]]:
    scales = load_instruments().instruments
    found = []
    for a in rows:
        scale = scales.get(a.instrument)
        by_patient = a.rater == Rater.PATIENT
        status = "entered-in-error" if a.is_voided else ("amended" if a.amends_id else "final")
        performer = ref("Patient", a.patient.public_id) if by_patient else _by(a.created_by)
        category = "survey" if by_patient else "exam"
        found.append(
            {
                "resourceType": "Observation",
                "id": str(a.public_id),
                **_meta(a),
                "status": status,
                "category": [_status("observation-category", category)],
                "code": instrument_code(a.instrument),
                "subject": ref("Patient", a.patient.public_id),
                "effectiveDateTime": a.taken_at.isoformat(),
                "performer": [performer] if performer else None,
                **_value(a, scale.unit if scale else ""),
                "interpretation": [{"text": a.band}] if a.band else None,
                "bodySite": body_site(a.area, a.side) if a.area else None,
                "note": [{"text": a.display}] if a.display else None,
            }
        )
    return found


def administrations(rows: Iterable[SessionArea]) -> list[dict[str, Any]]:
    """One per charted row: the product from its lot (a contained Medication), the volume,
    route and body site; part of the session's Procedure."""
    found = []
    for a in rows:
        s = a.session
        lot = a.lot
        end = s.ended_at or s.signed_at
        found.append(
            {
                "resourceType": "MedicationAdministration",
                "id": str(a.public_id),
                **_meta(a),
                "contained": [
                    {
                        "resourceType": "Medication",
                        "id": "product",
                        "code": {"text": product_name(lot.product)},
                        "batch": {
                            "lotNumber": lot.lot_number,
                            "expirationDate": lot.expires_on.isoformat(),
                        },
                    }
                ],
                "status": "entered-in-error" if s.is_voided else "completed",
                "medicationReference": {"reference": "#product"},
                "subject": ref("Patient", s.patient.public_id),
                "partOf": [ref("Procedure", s.public_id)],
                "effectivePeriod": {
                    "start": s.started_at.isoformat(),
                    "end": end.isoformat() if end else None,
                },
                "performer": [{"actor": _by(s.performed_by)}],
                "dosage": {
                    "site": body_site(a.area, a.side),
                    "route": route(a.technique),
                    "method": {"text": technique_name(a.technique)},
                    "dose": {
                        "value": Decimal(a.volume_ml).normalize(),
                        "unit": "mL",
                        "system": "http://unitsofmeasure.org",
                        "code": "mL",
                    },
                },
            }
        )
    return found


_AE = HL7 + "adverse-event-"


def adverse_events(rows: Iterable[AdverseEvent]) -> list[dict[str, Any]]:
    """CTCAE grade as our own code (an extension), and FHIR's three-step severity from it."""
    found = []
    for e in rows:
        severity = {1: "mild", 2: "moderate"}.get(e.grade, "severe")
        session = e.session if e.session and e.session.status != SessionStatus.IN_PROGRESS else None
        found.append(
            {
                "resourceType": "AdverseEvent",
                "id": str(e.public_id),
                **_meta(e),
                "extension": [
                    {"url": CTCAE_EXTENSION, "valueCodeableConcept": ctcae_grade(e.grade)}
                ],
                "actuality": "actual",
                "event": {"text": e.get_event_type_display()},
                "subject": ref("Patient", e.patient.public_id),
                "date": e.onset_on.isoformat(),
                "recordedDate": e.created_at.isoformat() if e.created_at else None,
                "recorder": _by(e.reported_by),
                "seriousness": {
                    "coding": [
                        {
                            "system": _AE + "seriousness",
                            "code": "Serious" if e.serious else "Non-serious",
                        }
                    ]
                },
                "severity": {"coding": [{"system": _AE + "severity", "code": severity}]},
                "outcome": {
                    "coding": [
                        {
                            "system": _AE + "outcome",
                            "code": "resolved" if e.resolved_on else "ongoing",
                        }
                    ]
                },
                "suspectEntity": (
                    [{"instance": ref("Procedure", session.public_id)}] if session else None
                ),
            }
        )
    return found


def _consent_status(c: Consent) -> str:
    """Withdrawn (voided) is inactive; waiting for the clinician's countersignature, proposed."""
    if c.is_voided:
        return "inactive"
    return "active" if c.countersigned_at else "proposed"


_PATIENT_CONSENT = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}


def _category(code: str) -> list[dict[str, Any]]:
    """LOINC's "Patient Consent" for any receiver, and which of ours it is, to search by."""
    ours = {"system": CONSENT_CATEGORY, "code": code, "display": CONSENT_CATEGORIES[code]}
    return [{"coding": [_PATIENT_CONSENT]}, {"coding": [ours]}]


def consents(rows: Iterable[Consent | PhotoConsent]) -> list[dict[str, Any]]:
    """Treatment consents and, per patient, their consent to photos."""
    found = list(rows)
    photos = photo_consents([c for c in found if isinstance(c, PhotoConsent)])
    return [
        photos.pop(0) if isinstance(c, PhotoConsent) else treatment_consents([c])[0] for c in found
    ]


def _provision(scope: str, given: list[PhotoConsent]) -> dict[str, Any]:
    """Permit while a consent of this scope is live; deny once revoked, or never given."""
    purpose = [{"system": PHOTO_PURPOSE, "code": scope, "display": PHOTO_PURPOSES[scope]}]
    live = next((c for c in given if c.voided_at is None), None)
    if live is not None:
        return {"type": "permit", "period": {"start": live.given_at.isoformat()},
                "purpose": purpose}  # fmt: skip
    revoked = [(c.voided_at, c.pk, c) for c in given if c.voided_at is not None]
    if revoked:
        when, _pk, last = max(revoked)
        period = {"start": last.given_at.isoformat(), "end": when.isoformat()}
        return {"type": "deny", "period": period, "purpose": purpose}
    return {"type": "deny", "purpose": purpose}


def photo_consents(anchors: list[PhotoConsent]) -> list[dict[str, Any]]:
    """One Consent per patient for photos, with a provision for each purpose (clinical
    record, teaching, marketing). Its id is the patient's first recorded photo consent's,
    which never changes; the provisions follow every consent given or revoked since."""
    if not anchors:
        return []
    by_patient: dict[int, list[PhotoConsent]] = defaultdict(list)
    every = PhotoConsent.objects.filter(patient_id__in={a.patient_id for a in anchors})
    for row in every.order_by("given_at", "pk"):
        by_patient[row.patient_id].append(row)
    found = []
    for anchor in anchors:
        given = by_patient[anchor.patient_id]
        patient = anchor.patient
        changed = max(moment for c in given for moment in (c.given_at, c.voided_at) if moment)
        found.append(
            {
                "resourceType": "Consent",
                "id": str(anchor.public_id),
                "meta": {"lastUpdated": changed.isoformat()},
                "status": "active",
                "scope": _status("consentscope", "patient-privacy"),
                "category": _category("photography"),
                "patient": ref("Patient", patient.public_id),
                "dateTime": changed.isoformat(),
                "performer": [ref("Patient", patient.public_id)],
                "organization": [ref("Organization", patient.organization.public_id)],
                "policyRule": {
                    "text": "The clinic's consent to clinical photos, given or refused "
                    "separately for the clinical record, teaching and marketing"
                },
                # Nothing is permitted but what a provision below permits.
                "provision": {
                    "type": "deny",
                    "provision": [
                        _provision(scope, [c for c in given if c.scope == scope])
                        for scope in PHOTO_PURPOSES
                    ],
                },
            }
        )
    return found


def treatment_consents(rows: Iterable[Consent]) -> list[dict[str, Any]]:
    """A signed treatment consent, its exact signed text attached."""
    return [
        {
            "resourceType": "Consent",
            "id": str(c.public_id),
            **_meta(c),
            "status": _consent_status(c),
            "scope": _status("consentscope", "treatment"),
            "category": _category("treatment"),
            "patient": ref("Patient", c.patient.public_id),
            "dateTime": c.patient_signed_at.isoformat(),
            "performer": [{**ref("Patient", c.patient.public_id), "display": c.patient_typed_name}],
            "organization": [ref("Organization", c.patient.organization.public_id)],
            "sourceAttachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": "en",
                "title": "The consent as the patient signed it",
                "data": base64.b64encode(c.text.encode()).decode(),
                "creation": c.patient_signed_at.isoformat(),
            },
            "policyRule": {
                "text": f"The clinic's consent to treatment, version {c.template.version}"
            },
            "verification": (
                [
                    {
                        "verified": True,
                        "verifiedWith": _by(c.countersigned_by),
                        "verificationDate": c.countersigned_at.isoformat(),
                    }
                ]
                if c.countersigned_at
                else None
            ),
        }
        for c in rows
    ]


def _served(session: TreatmentSession) -> bool:
    """Sessions still in progress are not records yet: nothing points at them."""
    return session.status != SessionStatus.IN_PROGRESS


def binary_url(photo: Photo) -> str:
    """Where the photo's image is read (relative, as a reference is: Binary/[id])."""
    return f"Binary/{photo.public_id}"


def media(rows: Iterable[Photo]) -> list[dict[str, Any]]:
    """A photo: its standard view and body site, the session it was taken at, and the
    image as an attachment read from Binary/[id]. A voided photo is in error and its
    image is served no more, so it names none."""
    found = []
    for p in rows:
        content: dict[str, Any] = {
            "contentType": p.mime,
            "title": f"{p.view_label}, {p.taken_at:%Y-%m-%d}",
            "creation": p.taken_at.isoformat(),
        }
        if not p.is_voided:
            content["url"] = binary_url(p)
        found.append(
            {
                "resourceType": "Media",
                "id": str(p.public_id),
                **_meta(p),
                "status": "entered-in-error" if p.is_voided else "completed",
                "type": _status("media-type", "image"),
                "view": photo_view(p.view, p.view_label),
                "subject": ref("Patient", p.patient.public_id),
                "partOf": [ref("Procedure", p.session.public_id)]
                if p.session is not None and _served(p.session)
                else None,
                "createdDateTime": p.taken_at.isoformat(),
                "operator": _by(p.taken_by),
                "bodySite": body_site(p.area, p.side) if p.area else None,
                "deviceName": p.device or None,
                "width": p.width,
                "height": p.height,
                "content": content,
            }
        )
    return found
