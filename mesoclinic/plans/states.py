"""Which status a plan, and a signed consent, may move to: checked by plans.services
and plans.consent, the only code that changes either."""

from django.db import models

from mesoclinic.plans.models import Consent, PlanStatus
from mesoclinic.transitions import Transitions

S = PlanStatus

PLAN = Transitions.table(
    "plan",
    {
        # Proposed: presented to the patient, still editable; approval freezes a version.
        S.DRAFT: {S.PROPOSED, S.APPROVED, S.CANCELLED},
        S.PROPOSED: {S.APPROVED, S.CANCELLED},
        # Reopening an approved or consented plan starts a draft of the next version;
        # countersigning consents it, revoking the consent takes it back to approved.
        S.APPROVED: {S.CONSENTED, S.DRAFT, S.CANCELLED},
        # The first session makes it active.
        S.CONSENTED: {S.ACTIVE, S.APPROVED, S.DRAFT, S.CANCELLED},
        S.ACTIVE: {S.COMPLETED, S.CANCELLED},
        S.COMPLETED: set(),
        S.CANCELLED: set(),
    },
    label=lambda s: S(s).label,
    reasons={
        (S.COMPLETED, S.CANCELLED): "A completed plan cannot be cancelled.",
        (S.CANCELLED, S.CANCELLED): "The plan is already cancelled.",
        S.PROPOSED: "Only a draft plan can be marked as proposed.",
        S.APPROVED: "Only a draft or proposed plan can be approved.",
        S.DRAFT: "Only an approved or consented plan can be reopened.",
    },
)


class ConsentState(models.TextChoices):
    """A consent has no status column: its state is read from its dates."""

    SIGNED = "signed", "Signed by the patient"
    COUNTERSIGNED = "countersigned", "Countersigned"
    REVOKED = "revoked", "Revoked"


def consent_state(consent: Consent) -> str:
    if consent.voided_at is not None:
        return ConsentState.REVOKED
    if consent.countersigned_at is not None:
        return ConsentState.COUNTERSIGNED
    return ConsentState.SIGNED


C = ConsentState

CONSENT = Transitions.table(
    "consent",
    {
        C.SIGNED: {C.COUNTERSIGNED, C.REVOKED},
        C.COUNTERSIGNED: {C.REVOKED},
        C.REVOKED: set(),
    },
    label=lambda s: C(s).label,
    reasons={
        (C.REVOKED, C.COUNTERSIGNED): "This consent was revoked; it cannot be countersigned.",
        (C.REVOKED, C.REVOKED): "This consent is already revoked.",
    },
)
