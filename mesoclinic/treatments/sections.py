"""What the treatments app shows on pages that compose several apps (the patient chart, the day)."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.patients.models import Patient
from mesoclinic.treatments import safety, stock
from mesoclinic.treatments.models import FollowUpTask, SessionStatus, TreatmentSession

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


# --- the day (web/today.py) ----------------------------------------------------------

UNSIGNED_SHOWN = 20


@dataclass(frozen=True)
class Unsigned:
    """Sessions in progress: the first `UNSIGNED_SHOWN`, oldest first, and how many in all."""

    sessions: list[TreatmentSession]
    total: int


def unsigned(
    *, performed_by: User | None = None, started_before: dt.datetime | None = None
) -> Unsigned:
    """Sessions started and not signed (nor voided), oldest first: the clinician's own
    (any day), or the clinic's started before a time. Two queries."""
    found = TreatmentSession.objects.filter(status=SessionStatus.IN_PROGRESS)
    if performed_by is not None:
        found = found.filter(performed_by=performed_by)
    if started_before is not None:
        found = found.filter(started_at__lt=started_before)
    shown = list(
        found.select_related("patient", "site", "performed_by").order_by("started_at", "pk")[
            :UNSIGNED_SHOWN
        ]
    )
    total = len(shown) if len(shown) < UNSIGNED_SHOWN else found.count()
    return Unsigned(shown, total)


def follow_ups_due(patient_ids: list[int], today: dt.date) -> dict[int, int]:
    """Open follow-up tasks due by today, counted by patient, of these patients: one query."""
    rows = (
        FollowUpTask.objects.filter(
            patient_id__in=patient_ids, done_at__isnull=True, due_on__lte=today
        )
        .values("patient_id")
        .annotate(n=Count("id"))
    )
    return {r["patient_id"]: r["n"] for r in rows}


@dataclass(frozen=True)
class ClinicAlerts:
    """What an owner's day watches besides the diary."""

    serious_open: int
    stock: stock.StockAlerts
    stale: Unsigned


STALE_AFTER = dt.timedelta(days=1)


def clinic_alerts(today: dt.date) -> ClinicAlerts:
    """Serious adverse events still open (the safety list), low and expiring stock, and
    sessions left unsigned for more than a day."""
    return ClinicAlerts(
        serious_open=safety.safety_events(status="open").count(),
        stock=stock.alerts(today),
        stale=unsigned(started_before=timezone.now() - STALE_AFTER),
    )
