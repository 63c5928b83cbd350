"""Recording and amending outcome assessments; the rules of when a score may be taken.

Scoring is the rules engine's (`rules.outcomes`): a value outside the instrument's range
is refused there, by the database's range check, and named next to its field here.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission
from mesoclinic.outcomes.models import Assessment, Rater, Side, Timepoint
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan
from mesoclinic.records import void_once
from mesoclinic.rules import RulesInputError, outcomes
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

MIN_REASON_WORDS = 3


class AssessmentRefused(Exception):
    """A score that cannot be recorded as given; ``field`` names the input to fix."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Entry:
    """What is being scored, before the answers: the instrument, when, for which course."""

    instrument: str
    timepoint: str
    plan: Plan | None = None
    session: TreatmentSession | None = None
    protocol: str = ""
    area: str = ""
    side: str = ""
    taken_at: datetime | None = None
    late_reason: str = ""


def _real_reason(text: str, field: str) -> str:
    reason = " ".join(text.split())
    if len(reason.split()) < MIN_REASON_WORDS:
        raise AssessmentRefused(
            "Give the reason as a sentence of at least three words.", field=field
        )
    return reason


def first_signed_session(plan: Plan | None) -> TreatmentSession | None:
    if plan is None:
        return None
    return (
        TreatmentSession.objects.filter(plan=plan, status=SessionStatus.SIGNED)
        .order_by("signed_at")
        .first()
    )


def _check_entry(patient: Patient, entry: Entry) -> outcomes.Instrument:
    try:
        instrument = outcomes.instrument(entry.instrument)
    except RulesInputError:
        raise AssessmentRefused("Choose an outcome scale.", field="instrument") from None
    if entry.timepoint not in Timepoint.values:
        raise AssessmentRefused("Choose when this score was taken.", field="timepoint")
    if entry.side not in Side.values:
        raise AssessmentRefused("Choose left, right or not sided.", field="side")
    if entry.side and not instrument.sided:
        raise AssessmentRefused(
            f"{instrument.name} is scored for the patient as a whole, not per side.",
            field="side",
        )
    if entry.plan is not None and entry.plan.patient_id != patient.pk:
        raise AssessmentRefused("That plan is not this patient's.", field="plan")
    if entry.session is not None and entry.session.patient_id != patient.pk:
        raise AssessmentRefused("That session is not this patient's.", field="session")
    if entry.protocol:
        _check_protocol(instrument, entry.protocol)
    if entry.taken_at is not None and entry.taken_at > timezone.now():
        raise AssessmentRefused("A score cannot be taken in the future.", field="taken_at")
    return instrument


def _check_protocol(instrument: outcomes.Instrument, protocol: str) -> None:
    try:
        measured = outcomes.protocol_outcomes(protocol).instruments
    except RulesInputError:
        raise AssessmentRefused("Unknown protocol.", field="protocol") from None
    if instrument.slug not in measured:
        raise AssessmentRefused(
            f"{instrument.name} is not an outcome of this protocol.", field="instrument"
        )


def _late_reason(entry: Entry) -> str:
    """A baseline is taken before the first session is signed; after it, only marked late."""
    if entry.timepoint != Timepoint.BASELINE:
        return ""
    first = first_signed_session(entry.plan)
    if first is None:
        return ""
    if not entry.late_reason.strip():
        signed = timezone.localtime(first.signed_at)
        raise AssessmentRefused(
            f"The first session of this course was signed on {signed:%-d %b %Y}: a baseline "
            "now is late. Say why it is entered late (for example, copied from the paper "
            "form taken before the session).",
            field="late_reason",
        )
    return _real_reason(entry.late_reason, "late_reason")


def score(entry: Entry, answers: dict[str, Any]) -> outcomes.Score:
    """The score of these answers, or the refusal next to the item that is wrong."""
    instrument = outcomes.instrument(entry.instrument)
    try:
        return outcomes.score(instrument, answers)
    except RulesInputError as error:
        item = error.field.split(".", 1)[1] if "." in error.field else outcomes.ANSWER
        raise AssessmentRefused(error.message, field=item) from None


def submitted(submission_key: uuid.UUID) -> Assessment | None:
    return Assessment.objects.filter(submission_key=submission_key).first()


@transaction.atomic
def record_assessment(
    user: User,
    patient: Patient,
    entry: Entry,
    answers: dict[str, Any],
    submission_key: uuid.UUID,
    *,
    amends: Assessment | None = None,
    amend_reason: str = "",
) -> Assessment:
    """Score and save one assessment. A form submitted twice carries one key: the second
    submission gets the assessment the first one made, and nothing is written."""
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff record outcome scores.")
    return _record(user, patient, entry, answers, submission_key, amends, amend_reason)


def record_patient_reported(
    user: User, patient: Patient, entry: Entry, answers: dict[str, Any], submission_key: uuid.UUID
) -> Assessment:
    """A patient's own rating, sent from the portal: only for an instrument the patient
    rates (patient GAIS, PR-SMFRS, pain, satisfaction), never a late baseline (that needs
    a clinician's reason). The portal passes the patient of the user's own account."""
    if getattr(user, "role", "") != roles.Role.PATIENT:
        raise AssessmentRefused("Only the patient sends their own rating.")
    try:
        instrument = outcomes.instrument(entry.instrument)
    except RulesInputError:
        raise AssessmentRefused("Choose an outcome scale.", field="instrument") from None
    if instrument.rater != Rater.PATIENT:
        raise AssessmentRefused(f"{instrument.name} is rated by the practitioner.")
    if entry.late_reason:
        raise AssessmentRefused("A late baseline is entered by the clinic.")
    return _record(user, patient, entry, answers, submission_key, None, "")


def _record(
    user: User,
    patient: Patient,
    entry: Entry,
    answers: dict[str, Any],
    submission_key: uuid.UUID,
    amends: Assessment | None,
    amend_reason: str,
) -> Assessment:
    if (existing := submitted(submission_key)) is not None:
        return existing
    instrument = _check_entry(patient, entry)
    late = _late_reason(entry) if amends is None else amends.late_reason
    scored = score(entry, answers)
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                patient=patient,
                plan=entry.plan,
                session=entry.session,
                protocol=entry.protocol,
                area=entry.area,
                side=entry.side,
                instrument=instrument.slug,
                instrument_version=instrument.version,
                timepoint=entry.timepoint,
                rater=Rater(instrument.rater),
                answers=dict(scored.answers),
                total=scored.total,
                code=scored.code or "",
                band=scored.band or "",
                display=scored.display,
                taken_at=entry.taken_at or timezone.now(),
                late_reason=late,
                amends=amends,
                amend_reason=amend_reason,
                submission_key=submission_key,
                changed_by=user,
            )
    except IntegrityError as error:
        if not second_submission(error, "outcomes_assessment"):
            raise
        return Assessment.objects.get(submission_key=submission_key)
    if amends is None:
        record(user, Action.CREATE, assessment, fields=["answers", "total"])
    return assessment


@transaction.atomic
def amend(
    user: User,
    assessment: Assessment,
    answers: dict[str, Any],
    reason: str,
    submission_key: uuid.UUID,
) -> Assessment:
    """Correct a score: a new assessment names the one it amends, and that one is voided
    with the reason. Nothing recorded is edited."""
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff amend outcome scores.")
    if (existing := submitted(submission_key)) is not None:
        return existing
    reason = _real_reason(reason, "reason")
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.voided_at is not None:
        raise AssessmentRefused(
            "This score was already amended or voided: amend the current one.", field="reason"
        )
    entry = Entry(
        instrument=locked.instrument,
        timepoint=locked.timepoint,
        plan=locked.plan,
        session=locked.session,
        protocol=locked.protocol,
        area=locked.area,
        side=locked.side,
        taken_at=locked.taken_at,
    )
    corrected = record_assessment(
        user,
        locked.patient,
        entry,
        answers,
        submission_key,
        amends=locked,
        amend_reason=reason,
    )
    void_once(locked, user, f"Amended: {reason}"[:500])
    record(user, Action.CHANGE, locked, fields=["answers", "total"], detail=f"amended: {reason}")
    return corrected
