"""What the treatments app shows on pages that compose several apps (the patient chart)."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from mesoclinic.patients.models import Patient
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

RECENT_SESSIONS = 50
_STATUS_LABELS = dict(SessionStatus.choices)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One line of the chart's session list: only the columns it shows (a session's
    pre-check and aftercare are wide JSON the chart never reads)."""

    public_id: uuid.UUID
    started_at: dt.datetime
    site_name: str
    status: str

    @property
    def status_label(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)


def recent_sessions(patient: Patient) -> list[SessionRow]:
    rows = (
        TreatmentSession.objects.filter(patient=patient)
        .order_by("-started_at")
        .values_list("public_id", "started_at", "site__name", "status")[:RECENT_SESSIONS]
    )
    return [SessionRow(*row) for row in rows]


def chart_section(patient: Patient, *, clinical: bool) -> dict[str, Any]:
    """Sessions for everyone who may open the chart; adverse events for clinical roles only."""
    return {
        "treatment_sessions": recent_sessions(patient),
        "adverse_events": safety.events_for_patient(patient) if clinical else [],
    }
