"""What the portal shows a patient: read from their own record only, in bounded queries.

Each function takes the patient's `PortalAccount` and finds rows through its patient;
one that names an object (a consent, a session) looks it up among that patient's own,
so another patient's object is not found (404), like another clinic's.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.accounts.roles import STAFF_ROLES, Role
from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans.models import Consent, Plan, PlanVersion
from mesoclinic.portal.models import PortalAccount
from mesoclinic.scheduling.models import Appointment, Status
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

ACCESS_ROWS = 100  # the latest openings of the record the access page lists


def clinic_site(account: PortalAccount) -> Site | None:
    """The site the patient is treated at, for its phone number."""
    patient = account.patient
    if patient.home_site_id:
        return Site.objects.filter(pk=patient.home_site_id).first()
    return Site.objects.order_by("id").first()


def upcoming(account: PortalAccount, limit: int = 50) -> list[Appointment]:
    return list(
        Appointment.objects.filter(
            patient=account.patient,
            starts_at__gte=timezone.now(),
            status__in=[Status.BOOKED, Status.CONFIRMED, Status.PROPOSED],
        )
        .select_related("site", "practitioner", "treatment_type")
        .order_by("starts_at")[:limit]
    )


def past(account: PortalAccount, limit: int = 20) -> list[Appointment]:
    return list(
        Appointment.objects.filter(patient=account.patient, starts_at__lt=timezone.now())
        .select_related("site", "practitioner", "treatment_type")
        .order_by("-starts_at")[:limit]
    )


def consents(account: PortalAccount) -> list[Consent]:
    """The patient's consents, newest first (revoked ones too, marked so)."""
    return list(
        Consent.objects.filter(patient=account.patient)
        .select_related("plan")
        .order_by("-patient_signed_at")
    )


def consent(account: PortalAccount, public_id: uuid.UUID) -> Consent:
    found = (
        Consent.objects.filter(patient=account.patient, public_id=public_id)
        .select_related("patient", "plan")
        .first()
    )
    if found is None:
        raise Http404
    return found


def signed_sessions(account: PortalAccount) -> list[TreatmentSession]:
    return list(
        TreatmentSession.objects.filter(patient=account.patient, status=SessionStatus.SIGNED)
        .select_related("site")
        .order_by("-signed_at")
    )


def signed_session(account: PortalAccount, public_id: uuid.UUID) -> TreatmentSession:
    found = (
        TreatmentSession.objects.filter(
            patient=account.patient, public_id=public_id, status=SessionStatus.SIGNED
        )
        .select_related("patient", "site")
        .first()
    )
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class Opening:
    at: datetime
    who: str
    role: str
    what: str


_WHAT = {
    "view": "opened",
    "search": "found in a search",
    "create": "added to",
    "change": "changed",
    "void": "voided an entry of",
    "export": "downloaded",
}


def openings(account: PortalAccount) -> list[Opening]:
    """Who at the clinic opened or changed the patient's record, newest first: events on
    the patient and on their plans, consents and sessions, by staff (the patient's own
    reads are theirs to know already). Four queries whatever the record's size."""
    patient = account.patient
    ids = [str(patient.public_id)]
    for model in (Plan, Consent, TreatmentSession):
        found = model.objects.filter(patient=patient).values_list("public_id", flat=True)
        ids += [str(i) for i in found]
    events = (
        AuditEvent.objects.filter(organization_id=patient.organization_id, object_id__in=ids)
        .filter(actor__role__in=STAFF_ROLES)
        .select_related("actor")
        .order_by("-at")[:ACCESS_ROWS]
    )
    return [
        Opening(
            e.at,
            e.actor.full_name if e.actor else "The clinic's system",
            Role(e.actor.role).label if e.actor else "",
            _WHAT.get(e.action, "opened"),
        )
        for e in events
        if isinstance(e.actor, User)
    ]


def quoted_plans(account: PortalAccount) -> list[Plan]:
    """The patient's plans with an approved version (a draft's prices may change)."""
    return list(
        Plan.objects.filter(patient=account.patient)
        .filter(Exists(PlanVersion.objects.filter(plan=OuterRef("pk"))))
        .order_by("-created_at")
    )


def quoted_plan(account: PortalAccount, public_id: uuid.UUID) -> Plan:
    found = (
        Plan.objects.filter(patient=account.patient, public_id=public_id)
        .filter(Exists(PlanVersion.objects.filter(plan=OuterRef("pk"))))
        .first()
    )
    if found is None:
        raise Http404
    return found
