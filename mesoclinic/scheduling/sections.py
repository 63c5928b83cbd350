"""What the diary shows on pages that compose several apps (the patient chart)."""

from typing import Any

from django.utils import timezone

from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment

UPCOMING = 20


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:  # noqa: ARG001 - every section's signature
    """The patient's next appointments that still hold a slot."""
    appointments = (
        Appointment.objects.filter(
            patient=patient, starts_at__gte=timezone.now(), status__in=HOLDS_SLOT
        )
        .select_related("site", "practitioner", "room")
        .order_by("starts_at")[:UPCOMING]
    )
    return {"appointments": appointments}
