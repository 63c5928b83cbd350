"""What the outcomes app shows on pages that compose several apps (the patient chart)."""

from typing import Any

from mesoclinic.outcomes import courses
from mesoclinic.patients.models import Patient


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:
    """The outcome scores due for the patient's courses, and whether any is recorded
    (the chart then loads their plots): clinical roles only."""
    if not clinical:
        return {"outcomes_due": [], "outcomes_scored": False}
    found = courses.courses_for(patient)
    return {
        "outcomes_due": courses.due_for(found),
        "outcomes_scored": any(c.recorded for c in found),
    }
