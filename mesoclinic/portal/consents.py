"""Consent from home (issue 16): the patient reads and signs their approved plan's consent
in the portal, and asks the clinic about it.

The text is `plans.consent.document_text` for the plan's latest version and the current
wording, exactly what the clinic's tablet would show; the signature goes through
`plans.consent.sign_as_read` with the patient's own account as the signer, so the consent's
`created_by` says it was signed at home and the practitioner countersigns at the visit
as for any other. Questions and answers are a thread per plan (`ConsentMessage`), kept
as written.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.integrity import second_submission
from mesoclinic.plans import consent as c
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Consent, Plan, PlanStatus
from mesoclinic.portal.models import ConsentMessage, PortalAccount

MESSAGE_MAX = 2000
SIGNED_AT_HOME = "signed by the patient in the portal"
# A plan the patient may open the consent of: approved (to sign) or consented since.
SHOWN = (PlanStatus.APPROVED, PlanStatus.CONSENTED, PlanStatus.ACTIVE, PlanStatus.COMPLETED)


class Refused(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Document:
    """What the consent page shows: the consent signed, or the text to sign and its hash."""

    plan: Plan
    consent: Consent | None
    text: str
    text_hash: str


def to_sign(account: PortalAccount) -> list[Plan]:
    """The patient's approved plans whose current version has no live consent yet."""
    approved = Plan.objects.filter(patient=account.patient, status=PlanStatus.APPROVED)
    return [
        plan
        for plan in approved.order_by("-created_at")[:10]
        if (version := plans.latest_version(plan)) and c.signed_consent(version) is None
    ]


def plan_of(account: PortalAccount, public_id: uuid.UUID) -> Plan:
    """One of the patient's own plans with a consent to read, else 404."""
    found = (
        Plan.objects.filter(patient=account.patient, public_id=public_id, status__in=SHOWN)
        .select_related("patient", "patient__organization")
        .first()
    )
    if found is None:
        raise Http404
    return found


def document(account: PortalAccount, plan: Plan) -> Document:
    """The consent of the plan's current version if signed, else the text to sign."""
    version = plans.latest_version(plan)
    signed = c.signed_consent(version) if version else None
    if signed is not None or plan.status != PlanStatus.APPROVED or version is None:
        consent = signed or c.valid_consent(plan)
        text = consent.text if consent else ""
        return Document(plan, consent, text, consent.text_hash if consent else "")
    patient = account.patient
    text = c.document_text(version, patient, c.template_for(), patient.organization)
    return Document(plan, None, text, Consent.hash_text(text))


def sign(
    user: User,
    account: PortalAccount,
    plan: Plan,
    typed_name: str,
    signature: str,
    *,
    shown_hash: str,
) -> Consent:
    """The patient signs at home: `plans.consent.sign_as_read` with their own account as signer.
    Sent twice, the first consent is returned and nothing more is written."""
    if account.user_id != user.pk or plan.patient_id != account.patient_id:
        raise Http404
    return c.sign_as_read(
        user, plan, typed_name, signature, shown_hash=shown_hash, detail=SIGNED_AT_HOME
    )


# --- Questions to the clinic ------------------------------------------------------------


def thread(plan: Plan) -> list[ConsentMessage]:
    return list(
        ConsentMessage.objects.filter(plan=plan).select_related("author").order_by("written_at")
    )


def open_questions(plan: Plan) -> QuerySet[ConsentMessage]:
    """The patient's questions on this plan that no answer points to yet, oldest first."""
    return (
        ConsentMessage.objects.filter(plan=plan, from_patient=True, replies__isnull=True)
        .select_related("author")
        .order_by("written_at")
    )


def _clean(body: str) -> str:
    text = body.strip()
    if not text:
        raise Refused("Write your message first.", field="body")
    if len(text) > MESSAGE_MAX:
        raise Refused(f"Keep it under {MESSAGE_MAX} characters.", field="body")
    return text


def _write(user: User, key: uuid.UUID, detail: str, **fields: object) -> ConsentMessage:
    """One message per submission key: a double-sent form writes it once."""
    existing = ConsentMessage.objects.filter(submission_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            message = ConsentMessage.objects.create(
                author=user, written_at=timezone.now(), submission_key=key, **fields
            )
            record(user, Action.CREATE, message, fields=["body"], detail=detail)
    except IntegrityError as error:
        if not second_submission(error, "portal_consentmessage"):
            raise
        message = ConsentMessage.objects.get(submission_key=key)
    return message


def ask(
    user: User, account: PortalAccount, plan: Plan, body: str, *, submission_key: uuid.UUID
) -> ConsentMessage:
    """The patient's question about this plan's consent, for the clinic to answer."""
    if account.user_id != user.pk or plan.patient_id != account.patient_id:
        raise Http404
    return _write(
        user,
        submission_key,
        "consent question (portal)",
        plan=plan,
        patient=account.patient,
        from_patient=True,
        body=_clean(body),
    )


def answer(
    user: User, question: ConsentMessage, body: str, *, submission_key: uuid.UUID
) -> ConsentMessage:
    """Clinical staff answer a patient's question; the patient reads it in the portal."""
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff answer consent questions.")
    if not question.from_patient:
        raise Refused("Answer the patient's question, not an answer.")
    return _write(
        user,
        submission_key,
        "answer to a consent question",
        plan_id=question.plan_id,
        patient_id=question.patient_id,
        from_patient=False,
        answers=question,
        body=_clean(body),
    )


def question_of(public_id: uuid.UUID) -> ConsentMessage:
    """A patient's question in the user's organization (the scoped manager), else 404."""
    found = (
        ConsentMessage.objects.filter(public_id=public_id, from_patient=True)
        .select_related("plan")
        .first()
    )
    if found is None:
        raise Http404
    return found
