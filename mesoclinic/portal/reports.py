"""Symptom reports: a patient's check-in after a treatment, and the staff's triage.

The patient says how they are, which symptoms (rules.checkin's list), where, how bad
(0-10) and since when. `rules.checkin.triage` decides at once how urgent it is: a red
flag tells the patient, on the page they are looking at, to call the clinic (now, or
emergency services, for an emergency) with the number; every report lands in the
staff's queue, red flags first. A practitioner reviews each once: recorded as an
adverse event of the patient, or closed with a note.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission
from mesoclinic.portal.models import (
    Feeling,
    PortalAccount,
    ReviewOutcome,
    SymptomReport,
    Urgency,
)
from mesoclinic.rules import checkin
from mesoclinic.treatments.models import AdverseEvent, SessionStatus, TreatmentSession

NOTE_MAX = 2000
QUEUE_ROWS = 50


class ReportRefused(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Sent:
    report: SymptomReport
    triage: checkin.Triage


def report(
    user: User,
    account: PortalAccount,
    *,
    feeling: str,
    symptoms: list[str],
    where: str = "",
    severity: int | None = None,
    started_on: dt.date | None = None,
    note: str = "",
    session: TreatmentSession | None = None,
    submission_key: uuid.UUID,
) -> Sent:
    """Keep the patient's report and say how urgent it is. Sent twice (the same key),
    the first report is returned and nothing more is written."""
    if account.user_id != user.pk:
        raise ReportRefused("Only the patient reports through their own portal.")
    existing = SymptomReport.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return Sent(existing, checkin.triage(existing.symptoms, existing.severity))
    if feeling not in Feeling.values:
        raise ReportRefused("Choose how you are.", field="feeling")
    if feeling != Feeling.WELL and not symptoms:
        raise ReportRefused("Tick what you notice, or “Something else”.", field="symptoms")
    try:
        found = checkin.triage(symptoms, severity)
    except rules.RulesInputError as refusal:
        field = "severity" if refusal.field == "severity" else "symptoms"
        raise ReportRefused(_plain(refusal.field), field=field) from None
    today = timezone.localdate()
    if started_on is not None and started_on > today:
        raise ReportRefused("That day is still to come: when did it start?", field="started_on")
    if session is not None and (
        session.patient_id != account.patient_id or session.status != SessionStatus.SIGNED
    ):
        raise ReportRefused("Choose one of your treatments.", field="session")
    try:
        with transaction.atomic():
            kept = SymptomReport.objects.create(
                organization_id=account.organization_id,
                patient_id=account.patient_id,
                session=session,
                reported_by=user,
                reported_at=timezone.now(),
                feeling=feeling,
                symptoms=list(dict.fromkeys(symptoms)),
                where=" ".join(where.split())[:200],
                severity=severity,
                started_on=started_on,
                note=note.strip()[:NOTE_MAX],
                urgency=found.urgency,
                checkin_version=checkin.load_checkin().version,
                submission_key=submission_key,
            )
            record(
                user, Action.CREATE, kept, fields=["symptoms"], detail=f"urgency {found.urgency}"
            )
    except IntegrityError as error:
        if not second_submission(error, "portal_symptomreport"):
            raise
        kept = SymptomReport.objects.get(submission_key=submission_key)
    return Sent(kept, found)


def _plain(field: str) -> str:
    if field == "severity":
        return f"Rate it from 0 (none) to {checkin.SEVERITY_MAX} (the worst you can imagine)."
    return "Choose from the list."


def queue(*, reviewed: bool = False) -> QuerySet[SymptomReport]:
    """The clinic's reports to review, red flags first (emergency, then today), the
    newest first within each."""
    rank = Case(
        When(urgency=Urgency.EMERGENCY, then=Value(0)),
        When(urgency=Urgency.TODAY, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    found = SymptomReport.objects.filter(reviewed_at__isnull=not reviewed).select_related(
        "patient", "session", "reviewed_by", "adverse_event"
    )
    if reviewed:
        return found.order_by("-reviewed_at")
    return found.annotate(rank=rank).order_by("rank", "-reported_at")


def waiting_counts() -> tuple[int, int]:
    """(reports waiting for review, of which red flags): for the staff home page."""
    waiting = SymptomReport.objects.filter(reviewed_at__isnull=True)
    rows = list(waiting.values_list("urgency", flat=True)[:1000])
    return len(rows), sum(1 for u in rows if u != Urgency.ROUTINE)


def waiting_by_patient(patient_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(reports waiting for review, of which red flags) by patient, for these patients
    only: the day's "unresolved report" for each patient on it. One query."""
    found: dict[int, tuple[int, int]] = {}
    rows = SymptomReport.objects.filter(patient_id__in=list(patient_ids), reviewed_at__isnull=True)
    for patient_id, urgency in rows.values_list("patient_id", "urgency"):
        count, red = found.get(patient_id, (0, 0))
        found[patient_id] = (count + 1, red + (urgency != Urgency.ROUTINE))
    return found


@transaction.atomic
def review(
    user: User,
    kept: SymptomReport,
    *,
    outcome: str,
    note: str,
    adverse_event: AdverseEvent | None = None,
) -> bool:
    """Record a practitioner's review, once (False when someone reviewed it already)."""
    roles.check(user, roles.SIGN_CLINICAL, "Only a practitioner reviews patients' reports.")
    note = note.strip()
    if outcome not in ReviewOutcome.values:
        raise ReportRefused("Choose what was done with the report.", field="outcome")
    if outcome == ReviewOutcome.ADVERSE_EVENT:
        if adverse_event is None:
            raise ReportRefused(
                "Choose the adverse event you recorded for this report.", field="adverse_event"
            )
        if adverse_event.patient_id != kept.patient_id or adverse_event.is_voided:
            raise ReportRefused(
                "Choose one of this patient's adverse events.", field="adverse_event"
            )
    elif len(note) < 3:
        raise ReportRefused("Say why the report is closed without an adverse event.", field="note")
    now = timezone.now()
    updated = SymptomReport.objects.filter(pk=kept.pk, reviewed_at__isnull=True).update(
        reviewed_at=now,
        reviewed_by=user,
        review_outcome=outcome,
        review_note=note[:NOTE_MAX],
        adverse_event=adverse_event if outcome == ReviewOutcome.ADVERSE_EVENT else None,
    )
    if not updated:
        return False
    kept.refresh_from_db()
    record(
        user, Action.CHANGE, kept, fields=["review_outcome"], detail=ReviewOutcome(outcome).label
    )
    return True


def symptom_labels(kept: SymptomReport) -> list[str]:
    known = checkin.load_checkin().symptoms
    return [
        known[s].label if s in known else "A symptom no longer on the list" for s in kept.symptoms
    ]
