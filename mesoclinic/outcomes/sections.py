"""What the outcomes app shows on pages that compose several apps (the patient chart)."""

from typing import Any

from mesoclinic.outcomes import courses
from mesoclinic.patients.models import Patient


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:
    """The outcome scores due for the patient's courses: clinical roles only."""
    if not clinical:
        return {"outcomes_due": []}
    return {"outcomes_due": courses.due_for(courses.courses_for(patient))}
