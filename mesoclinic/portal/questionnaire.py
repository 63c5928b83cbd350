"""The medical history questionnaire: what the patient answers at home becomes pending
entries, each shaped as the chart's own history entry, and a practitioner adds each to
the chart (as given or corrected) or records why not.

An answer is checked with the clinic's own form for that kind of entry
(patients.forms.HISTORY_FORMS) when it is sent, so the patient meets the same rules as
the staff (no allergy without a substance, no pregnancy status for a patient recorded
as male...), with the message next to their own field; and again when it is added.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission
from mesoclinic.patients import forms as history_forms
from mesoclinic.patients import services as history
from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import EntryReview, PortalAccount, Questionnaire, ReportedEntry


class AnswerRefused(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class Proposal:
    """One answer as a chart entry would hold it; `field` is the patient's form field
    that a refusal is shown next to."""

    kind: str
    data: dict[str, Any]
    field: str


def staff_form(
    kind: str, patient: Patient, data: dict[str, Any] | None, prefix: str = ""
) -> history_forms.HistoryEntryForm:
    """The clinic's own form for `kind`, bound to `data` (today as the recorded date)."""
    form_class = history_forms.HISTORY_FORMS[kind]
    if data is None:
        return form_class(patient=patient, prefix=prefix or None)
    bound = {"recorded_on": timezone.localdate().isoformat()} | data
    if prefix:
        bound = {f"{prefix}-{k}": v for k, v in bound.items()}
    return form_class(bound, patient=patient, prefix=prefix or None)


def check(patient: Patient, proposals: list[Proposal]) -> list[tuple[str, str]]:
    """(patient field, message) for each answer the clinic's form would refuse."""
    refusals = []
    for proposal in proposals:
        form = staff_form(proposal.kind, patient, proposal.data)
        if not form.is_valid():
            messages = [str(m) for errors in form.errors.values() for m in errors]
            refusals.append((proposal.field, " ".join(messages)))
    return refusals


def submit(
    user: User, account: PortalAccount, proposals: list[Proposal], submission_key: uuid.UUID
) -> Questionnaire:
    if account.user_id != user.pk:
        raise AnswerRefused("Only the patient answers through their own portal.")
    existing = Questionnaire.objects.filter(submission_key=submission_key).first()
    if existing is not None:
        return existing
    if not proposals:
        raise AnswerRefused("Answer at least one question before sending.")
    refusals = check(account.patient, proposals)
    if refusals:
        field, message = refusals[0]
        raise AnswerRefused(message, field=field)
    try:
        with transaction.atomic():
            sent = Questionnaire.objects.create(
                organization_id=account.organization_id,
                patient_id=account.patient_id,
                submitted_by=user,
                submitted_at=timezone.now(),
                submission_key=submission_key,
            )
            ReportedEntry.objects.bulk_create(
                ReportedEntry(
                    organization_id=account.organization_id,
                    questionnaire=sent,
                    patient_id=account.patient_id,
                    kind=p.kind,
                    data=p.data,
                    position=i,
                )
                for i, p in enumerate(proposals)
            )
            record(user, Action.CREATE, sent, fields=sorted({p.kind for p in proposals}))
    except IntegrityError as error:
        if not second_submission(error, "portal_questionnaire"):
            raise
        sent = Questionnaire.objects.get(submission_key=submission_key)
    return sent


def pending(patient: Patient) -> list[ReportedEntry]:
    return list(
        ReportedEntry.objects.filter(patient=patient, status=EntryReview.PENDING)
        .select_related("questionnaire")
        .order_by("questionnaire_id", "position")
    )


def pending_count(patient: Patient) -> int:
    return ReportedEntry.objects.filter(patient=patient, status=EntryReview.PENDING).count()


def _mark(user: User, answer: ReportedEntry, status: str, reason: str, entry_id: str) -> bool:
    updated = ReportedEntry.objects.filter(pk=answer.pk, status=EntryReview.PENDING).update(
        status=status,
        reviewed_by=user,
        reviewed_at=timezone.now(),
        review_reason=reason[:500],
        entry_id=entry_id,
    )
    if updated:
        record(user, Action.CHANGE, answer, fields=["status"], detail=EntryReview(status).label)
    return bool(updated)


@transaction.atomic
def add_to_chart(user: User, answer: ReportedEntry, form: history_forms.HistoryEntryForm) -> bool:
    """Add the answer to the chart through the clinic's form (as the patient gave it, or
    as the practitioner corrected it); False if someone reviewed it already."""
    roles.check(user, roles.SIGN_CLINICAL, "Only a practitioner adds the patient's answers.")
    locked = ReportedEntry.objects.select_for_update().get(pk=answer.pk)
    if locked.status != EntryReview.PENDING:
        return False
    patient = Patient.objects.get(pk=locked.patient_id)
    entry = history.add_entry(user, patient, form)
    given = staff_form(locked.kind, patient, locked.data)
    given.is_valid()
    changed = any(
        given.cleaned_data.get(name) != form.cleaned_data.get(name)
        for name in form.cleaned_data
        if name != "recorded_on"
    )
    status = EntryReview.CORRECTED if changed else EntryReview.ADDED
    return _mark(user, locked, status, "", str(entry.public_id))


def not_recorded(user: User, answer: ReportedEntry, reason: str) -> bool:
    roles.check(user, roles.SIGN_CLINICAL, "Only a practitioner reviews the patient's answers.")
    if "\x00" in reason:  # as a form's text field says; PostgreSQL cannot store it
        raise AnswerRefused("Null characters are not allowed.", field="reason")
    reason = " ".join(reason.split())
    if len(reason) < 3:
        raise AnswerRefused("Say why this answer is not recorded.", field="reason")
    return _mark(user, answer, EntryReview.NOT_RECORDED, reason, "")
