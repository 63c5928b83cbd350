"""What the plans app shows on pages that compose several apps (the patient chart)."""

from typing import Any

from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan

RECENT_PLANS = 20


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:  # noqa: ARG001 - every section's signature
    """The patient's newest plans; reception sees them too (they book from them)."""
    return {"plans": Plan.objects.filter(patient=patient).order_by("-created_at")[:RECENT_PLANS]}
