"""What the treatments app shows on pages that compose several apps (the patient chart)."""

from typing import Any

from mesoclinic.patients.models import Patient
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import TreatmentSession

RECENT_SESSIONS = 50


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:
    """Sessions for everyone who may open the chart; adverse events for clinical roles only."""
    sessions = (
        TreatmentSession.objects.filter(patient=patient)
        .select_related("site")
        .order_by("-started_at")[:RECENT_SESSIONS]
    )
    return {
        "treatment_sessions": sessions,
        "adverse_events": safety.events_for_patient(patient) if clinical else [],
    }
