"""Clinical licences: which colleague may practise on their own authority on a given day.

The owner records them from the register on the staff page; recording and voiding are
audited. What a licence allows on the treatment day is decided by
`mesoclinic.treatments.scope`, which reads `valid_licence` from here.
"""

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from mesoclinic.accounts.models import PRESCRIBING, ClinicalLicence, User
from mesoclinic.audit.log import Action, record
from mesoclinic.records import void_once

FIELDS = ["licence_type", "number", "jurisdiction", "expires_on"]


def _prescribing(user: User) -> QuerySet[ClinicalLicence]:
    return ClinicalLicence.objects.filter(
        user=user, voided_at__isnull=True, licence_type__in=PRESCRIBING
    )


def valid_licence(user: User | None, on_date: date) -> ClinicalLicence | None:
    """The user's prescribing licence in force on that day (the one lasting longest), or None."""
    if user is None or not user.is_active:
        return None
    return _prescribing(user).filter(expires_on__gte=on_date).order_by("-expires_on").first()


def lapsed_licence(user: User, on_date: date) -> ClinicalLicence | None:
    """The prescribing licence that expired most recently before that day, for the message."""
    return _prescribing(user).filter(expires_on__lt=on_date).order_by("-expires_on").first()


def licences_by_user(organization_id: int) -> dict[int, list[ClinicalLicence]]:
    """Every unvoided licence of the organization's staff, longest-lasting first."""
    grouped: dict[int, list[ClinicalLicence]] = {}
    rows = ClinicalLicence.objects.filter(
        user__organization_id=organization_id, voided_at__isnull=True
    ).order_by("user_id", "-expires_on", "pk")
    for licence in rows:
        grouped.setdefault(licence.user_id, []).append(licence)
    return grouped


@transaction.atomic
def add(user: User, member: User, data: dict[str, Any]) -> ClinicalLicence:
    licence = ClinicalLicence.objects.create(
        user=member,
        recorded_by=user,
        changed_by=user,
        **{f: data[f] for f in FIELDS},
    )
    record(user, Action.CREATE, licence, fields=FIELDS, detail=f"licence of {member.public_id}")
    return licence


@transaction.atomic
def void(user: User, licence: ClinicalLicence, reason: str) -> bool:
    """Void a licence recorded in error; voiding twice changes nothing (False)."""
    if not void_once(licence, user, reason):
        return False
    record(user, Action.VOID, licence, fields=["voided_at", "void_reason"], detail=reason)
    return True
