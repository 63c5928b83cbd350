"""What the plans app shows on pages that compose several apps (the patient chart, the day)."""

from collections.abc import Iterable
from typing import Any

from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Consent, Plan, PlanStatus

RECENT_PLANS = 20


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:  # noqa: ARG001 - every section's signature
    """The patient's newest plans; reception sees them too (they book from them)."""
    return {"plans": Plan.objects.filter(patient=patient).order_by("-created_at")[:RECENT_PLANS]}


def consents_wanted(plans: Iterable[Plan]) -> dict[int, Consent | None]:
    """Of these plans, the approved ones that wait for their consent, by plan id: None
    while the patient has not signed, or the signed consent that waits for a
    practitioner's countersignature (which makes the plan consented). One query."""
    approved = {p.pk for p in plans if p.status == PlanStatus.APPROVED}
    if not approved:
        return {}
    wanted: dict[int, Consent | None] = dict.fromkeys(approved)
    signed = Consent.objects.filter(
        plan_id__in=approved, voided_at__isnull=True, countersigned_at__isnull=True
    ).only("public_id", "plan_id", "patient_signed_at")  # not the text the patient read
    for consent in signed.order_by("patient_signed_at"):
        wanted[consent.plan_id] = consent
    return wanted
