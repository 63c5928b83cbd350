"""Who may do what: one table, read by views, templates and the API.

Reception handles demographics, scheduling and billing and never sees clinical
notes, history or photos; estheticians and nurses chart under a practitioner's
plan but cannot sign or override safety stops.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    PRACTITIONER = "practitioner", "Practitioner (physician)"
    ESTHETICIAN = "esthetician", "Esthetician / nurse"
    RECEPTION = "reception", "Reception"
    # A patient signed in to the portal (mesoclinic/portal): no staff capability at all,
    # and `middleware.PortalBoundaryMiddleware` keeps the account under /portal/.
    PATIENT = "patient", "Patient"


STAFF_ROLES = (Role.OWNER, Role.PRACTITIONER, Role.ESTHETICIAN, Role.RECEPTION)


VIEW_DEMOGRAPHICS = "view_demographics"
EDIT_DEMOGRAPHICS = "edit_demographics"
VIEW_CLINICAL = "view_clinical"
EDIT_CLINICAL = "edit_clinical"
SIGN_CLINICAL = "sign_clinical"
OVERRIDE_SAFETY = "override_safety"
MANAGE_STAFF = "manage_staff"
VIEW_AUDIT = "view_audit"
# Photos leave the clinic only in an owner's export, under the patients' consent.
EXPORT_PHOTOS = "export_photos"
# Money (mesoclinic/billing): everyone on staff reads the price list, the owner sets it;
# the owner, practitioners and reception draft and issue invoices and record a patient's
# acceptance of a quote. Invoice lines name treatments and areas, never doses or notes.
VIEW_PRICES = "view_prices"
MANAGE_PRICES = "manage_prices"
BILLING = "billing"

_CLINICAL = {VIEW_DEMOGRAPHICS, EDIT_DEMOGRAPHICS, VIEW_CLINICAL, EDIT_CLINICAL}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(
        _CLINICAL
        | {SIGN_CLINICAL, OVERRIDE_SAFETY, MANAGE_STAFF, VIEW_AUDIT, EXPORT_PHOTOS}
        | {VIEW_PRICES, MANAGE_PRICES, BILLING}
    ),
    Role.PRACTITIONER: frozenset(
        _CLINICAL | {SIGN_CLINICAL, OVERRIDE_SAFETY, VIEW_PRICES, BILLING}
    ),
    Role.ESTHETICIAN: frozenset(_CLINICAL | {VIEW_PRICES}),
    Role.RECEPTION: frozenset({VIEW_DEMOGRAPHICS, EDIT_DEMOGRAPHICS, VIEW_PRICES, BILLING}),
    Role.PATIENT: frozenset(),
}


def can(user: Any, capability: str) -> bool:
    """`user` may be anyone a request carries, `AnonymousUser` included."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return capability in CAPABILITIES.get(user.role, frozenset())


# What a role without the capability may not do, in the words of the 403 page.
REFUSED: dict[str, str] = {
    VIEW_DEMOGRAPHICS: "see patients' details",
    EDIT_DEMOGRAPHICS: "change patients' details",
    VIEW_CLINICAL: "see clinical records (history, plans, sessions, outcomes and photos)",
    EDIT_CLINICAL: "record clinical information",
    SIGN_CLINICAL: "sign sessions, approve plans or open the clinic-wide clinical lists",
    OVERRIDE_SAFETY: "override a safety stop",
    MANAGE_STAFF: "manage the clinic's staff and settings",
    VIEW_AUDIT: "read the audit log",
    EXPORT_PHOTOS: "export photographs",
    VIEW_PRICES: "see the price list",
    MANAGE_PRICES: "change the price list",
    BILLING: "draft invoices or take payments",
}


def refusal(user: Any, capability: str) -> str:
    """The sentence a refused user reads: their role, and what it may not do."""
    role = Role(user.role).label if getattr(user, "role", "") in Role.values else "Your role"
    action = REFUSED.get(capability, "open this page")
    return f"{role} may not {action}."


def check(user: Any, capability: str, refusal: str) -> None:
    """For services: refuse a user without the capability, whoever calls (a view, the
    API, a command); the view decorators give the same 403 earlier."""
    if not can(user, capability):
        raise PermissionDenied(refusal)
