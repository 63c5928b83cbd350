"""The resource types we serve: where each one's rows come from, who may read them, and
which search parameters it takes. One table, read by the views, the URLs and the
CapabilityStatement, so the three never disagree."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, Prefetch, QuerySet
from fhir.resources.R4B.adverseevent import AdverseEvent as FhirAdverseEvent
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.consent import Consent as FhirConsent
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.media import Media
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization as FhirOrganization
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.resource import Resource

from mesoclinic.accounts.models import ClinicalLicence, Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.fhir import resources as r
from mesoclinic.fhir.codes import CONSENT_CATEGORY
from mesoclinic.outcomes.models import Assessment
from mesoclinic.patients import models as pm
from mesoclinic.photos.models import Photo, PhotoConsent
from mesoclinic.plans.models import Consent
from mesoclinic.scheduling.models import Appointment
from mesoclinic.tenancy import current_org_id
from mesoclinic.treatments.models import (
    AdverseEvent,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)

CLINICAL_ROLES = (Role.OWNER, Role.PRACTITIONER, Role.ESTHETICIAN)
# Sessions still in progress are not records yet.
SERVED = (SessionStatus.SIGNED, SessionStatus.VOIDED)


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[Resource]
    clinical: bool
    # One queryset per table the type is made from (AllergyIntolerance: two), each
    # scoped to the caller's organization and ordered.
    sources: Callable[[], list[QuerySet[Any]]]
    build: Callable[[list[Any]], list[dict[str, Any]]]
    # Search parameters besides _count and _offset, each with its documentation.
    params: dict[str, str]
    # How rows name their patient, for patient= and $everything ("" for none).
    patient_field: str = "patient"
    audit_type: str = ""
    # Date search parameters and the field each filters ({"date": "starts_at__date"}).
    dates: dict[str, str] = field(default_factory=dict)
    # Per source, the category tokens it answers (code, or system|code); none: no filter.
    categories: tuple[frozenset[str], ...] = ()

    def resources(self, rows: list[Any]) -> list[Resource]:
        return [self.model.model_validate(data) for data in self.build(rows)]

    @property
    def needs_patient(self) -> bool:
        """Clinical searches are per patient: no clinic-wide dump of histories."""
        return self.clinical


def _entries(model: type[pm.HistoryEntry]) -> QuerySet[Any]:
    return model.objects.select_related("patient", "created_by").order_by("recorded_on", "pk")


def _practitioners() -> list[QuerySet[Any]]:
    licences = ClinicalLicence.objects.filter(voided_at__isnull=True).order_by("-expires_on")
    return [
        User.in_org.filter(role__in=CLINICAL_ROLES)
        .prefetch_related(Prefetch("licences", queryset=licences))
        .order_by("full_name", "pk")
    ]


def _sessions() -> list[QuerySet[Any]]:
    return [
        TreatmentSession.objects.filter(status__in=SERVED)
        .select_related("patient", "site", "performed_by", "supervised_by", "signed_by")
        .order_by("started_at", "pk")
    ]


def _charted() -> list[QuerySet[Any]]:
    return [
        SessionArea.objects.filter(session__status__in=SERVED)
        .select_related("session__patient", "session__performed_by", "lot")
        .order_by("session__started_at", "pk")
    ]


def _adverse_events() -> list[QuerySet[Any]]:
    # R4's AdverseEvent has no status to say "in error": a voided report is not sent.
    return [
        AdverseEvent.objects.filter(voided_at__isnull=True)
        .select_related("patient", "session", "reported_by")
        .order_by("onset_on", "pk")
    ]


def _photos() -> list[QuerySet[Any]]:
    return [
        Photo.objects.select_related("patient", "session", "taken_by").order_by("taken_at", "pk")
    ]


def _consents() -> list[QuerySet[Any]]:
    """Treatment consents, then one consent to photos per patient, which goes by the id
    of the patient's first recorded photo consent (rows are never deleted)."""
    first = PhotoConsent.objects.values("patient").annotate(first=Min("pk")).values("first")
    return [
        Consent.objects.select_related(
            "patient__organization", "countersigned_by", "template"
        ).order_by("patient_signed_at", "pk"),
        PhotoConsent.objects.filter(pk__in=first)
        .select_related("patient__organization")
        .order_by("pk"),
    ]


def _category_tokens(code: str) -> frozenset[str]:
    loinc = "http://loinc.org|59284-0"
    return frozenset({code, f"{CONSENT_CATEGORY}|{code}", loinc, "59284-0"})


PATIENT = "The patient, as Patient/[id] or [id]."

KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind(
            "Patient",
            FhirPatient,
            clinical=False,
            sources=lambda: [
                pm.Patient.objects.select_related("organization").order_by(
                    "search_last", "search_first", "pk"
                )
            ],
            build=r.patients,
            params={
                "name": "The start of the family or given name, accents and case ignored.",
                "birthdate": "Date of birth (YYYY, YYYY-MM or YYYY-MM-DD; prefixes eq, ge, "
                "gt, le, lt).",
            },
            patient_field="",
        ),
        Kind(
            "Practitioner",
            Practitioner,
            clinical=False,
            sources=_practitioners,
            build=r.practitioners,
            params={},
            patient_field="",
            audit_type="user",
        ),
        Kind(
            "Organization",
            FhirOrganization,
            clinical=False,
            sources=lambda: [Organization.objects.filter(pk=current_org_id() or 0)],
            build=r.organizations,
            params={},
            patient_field="",
        ),
        Kind(
            "Location",
            Location,
            clinical=False,
            sources=lambda: [Site.objects.select_related("organization").order_by("name")],
            build=r.locations,
            params={},
            patient_field="",
            audit_type="site",
        ),
        Kind(
            "Appointment",
            FhirAppointment,
            clinical=False,
            sources=lambda: [
                Appointment.objects.select_related(
                    "patient", "practitioner", "site", "treatment_type"
                ).order_by("starts_at", "pk")
            ],
            build=r.appointments,
            params={"patient": PATIENT, "date": "The start (prefixes eq, ge, gt, le, lt)."},
            dates={"date": "starts_at__date"},
        ),
        Kind(
            "AllergyIntolerance",
            AllergyIntolerance,
            clinical=True,
            sources=lambda: [_entries(pm.Allergy), _entries(pm.NoKnownAllergies)],
            build=r.allergies,
            params={"patient": PATIENT},
        ),
        Kind(
            "MedicationStatement",
            MedicationStatement,
            clinical=True,
            sources=lambda: [_entries(pm.Medication)],
            build=r.medications,
            params={"patient": PATIENT},
        ),
        Kind(
            "Condition",
            FhirCondition,
            clinical=True,
            sources=lambda: [_entries(pm.Condition)],
            build=r.conditions,
            params={"patient": PATIENT},
        ),
        Kind(
            "Procedure",
            Procedure,
            clinical=True,
            sources=_sessions,
            build=r.procedures,
            params={"patient": PATIENT},
        ),
        Kind(
            "Observation",
            Observation,
            clinical=True,
            sources=lambda: [
                Assessment.objects.select_related("patient", "created_by").order_by(
                    "taken_at", "pk"
                )
            ],
            build=r.observations,
            params={"patient": PATIENT},
        ),
        Kind(
            "MedicationAdministration",
            MedicationAdministration,
            clinical=True,
            sources=_charted,
            build=r.administrations,
            params={"patient": PATIENT},
            patient_field="session__patient",
            audit_type="sessionarea",
        ),
        Kind(
            "AdverseEvent",
            FhirAdverseEvent,
            clinical=True,
            sources=_adverse_events,
            build=r.adverse_events,
            params={"patient": PATIENT},
            patient_field="patient",
        ),
        Kind(
            "Consent",
            FhirConsent,
            clinical=True,
            sources=_consents,
            build=r.consents,
            params={
                "patient": PATIENT,
                "category": "treatment or photography (or system|code; LOINC 59284-0 "
                "is both); a comma between codes means either.",
            },
            categories=(_category_tokens("treatment"), _category_tokens("photography")),
        ),
        Kind(
            "Media",
            Media,
            clinical=True,
            sources=_photos,
            build=r.media,
            params={
                "patient": PATIENT,
                "created": "When the photo was taken (prefixes eq, ge, gt, le, lt).",
            },
            dates={"created": "taken_at__date"},
            audit_type="photo",
        ),
    ]
}
