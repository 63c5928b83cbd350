"""Sending one notice to a patient by the channels they chose, each try logged.

The patient's choice (`Patient.contact_by`: email, text message, both, none) is read
when the message is sent, not when it was queued, so an opt-out in between holds.
Every channel tried leaves a `Message` row: sent with the provider's id, or not sent
with the reason (no address, no valid mobile number, the service refused).

With two channels, one delivered is enough: the other's failure is logged and not
retried, so a retry never repeats what the patient already received. When nothing
went out and a server refused, the caller retries the whole notice later.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.mail import send_mail
from django.utils import timezone

from mesoclinic.notifications import sms_backends
from mesoclinic.notifications.models import Channel, Message, MessageStatus, Reminder
from mesoclinic.patients.contact import CHANNELS, sms_number
from mesoclinic.patients.models import Patient

NO_EMAIL = "patient has no email address"
NO_NUMBER = "patient has no valid mobile number for text messages"
OPTED_OUT = "patient asked for no messages"


@dataclass(frozen=True)
class Notice:
    kind: str
    subject: str
    body: str  # the email
    text: str  # the text message: short, no clinical detail


@dataclass
class Outcome:
    sent: list[str] = field(default_factory=list)
    # Why nothing went out, in words for the clinic; `refused` when a server said no.
    why_not: list[str] = field(default_factory=list)
    refused: str = ""

    @property
    def channels(self) -> str:
        names = {"email": "email", "sms": "text message"}
        return " and ".join(names[c] for c in self.sent)


def deliver(
    patient: Patient, notice: Notice, now: datetime, reminder: Reminder | None = None
) -> Outcome:
    outcome = Outcome()
    channels = CHANNELS.get(patient.contact_by, ("email",))
    if not channels:
        outcome.why_not.append(OPTED_OUT)
        return outcome
    for channel in channels:
        sender = _email if channel == Channel.EMAIL else _sms
        sender(patient, notice, now, reminder, outcome)
    return outcome


def email_requested(
    organization_id: int, patient_id: int, kind: str, to: str, subject: str, body: str
) -> None:
    """An email the patient needs whatever they chose for reminders (a portal invitation or
    sign-in link, the aftercare sheet after a session): sent, and logged like every
    message. A refusal is logged, then raised as before (the task queue retries it)."""
    message = Message.all_orgs.create(
        organization_id=organization_id,
        patient_id=patient_id,
        channel=Channel.EMAIL,
        kind=kind,
        to=to,
    )
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])
    except Exception as exc:
        message.status, message.error = MessageStatus.FAILED, type(exc).__name__
        message.save(update_fields=["status", "error"])
        raise
    message.status, message.sent_at = MessageStatus.SENT, timezone.now()
    message.save(update_fields=["status", "sent_at"])


def _log(
    patient: Patient, notice: Notice, channel: str, to: str, reminder: Reminder | None
) -> Message:
    return Message.all_orgs.create(
        organization_id=patient.organization_id,
        patient=patient,
        reminder=reminder,
        channel=channel,
        kind=notice.kind,
        to=to,
    )


def _not_sent(message: Message, outcome: Outcome, reason: str, *, refused: bool) -> None:
    message.status, message.error = MessageStatus.FAILED, reason[:300]
    message.save(update_fields=["status", "error"])
    if refused:
        outcome.refused = reason
    else:
        outcome.why_not.append(reason)


def _sent(message: Message, outcome: Outcome, now: datetime, provider_id: str = "") -> None:
    message.status, message.sent_at, message.provider_id = MessageStatus.SENT, now, provider_id
    message.save(update_fields=["status", "sent_at", "provider_id"])
    outcome.sent.append(message.channel)


def _email(
    patient: Patient, notice: Notice, now: datetime, reminder: Reminder | None, outcome: Outcome
) -> None:
    message = _log(patient, notice, Channel.EMAIL, patient.email, reminder)
    if not patient.email:
        return _not_sent(message, outcome, NO_EMAIL, refused=False)
    try:
        send_mail(
            subject=notice.subject,
            message=notice.body,
            from_email=None,
            recipient_list=[patient.email],
        )
    except Exception as exc:  # the mail server refused or was unreachable: not accepted
        return _not_sent(message, outcome, type(exc).__name__, refused=True)
    return _sent(message, outcome, now)


def _sms(
    patient: Patient, notice: Notice, now: datetime, reminder: Reminder | None, outcome: Outcome
) -> None:
    number = sms_number(patient.phone)
    message = _log(patient, notice, Channel.SMS, number or patient.phone, reminder)
    if number is None:
        return _not_sent(message, outcome, NO_NUMBER, refused=False)
    try:
        provider_id = sms_backends.send(number, notice.text)
    except sms_backends.SmsFailed as exc:
        return _not_sent(message, outcome, str(exc), refused=True)
    except Exception as exc:  # a misconfigured or broken backend: not accepted either
        return _not_sent(
            message, outcome, f"text message service: {type(exc).__name__}", refused=True
        )
    return _sent(message, outcome, now, provider_id)
