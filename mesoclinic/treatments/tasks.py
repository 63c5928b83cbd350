"""Work of the treatment day that does not belong in the request (`mesoclinic worker`)."""

from collections.abc import Callable
from datetime import datetime

from django.core.mail import send_mail
from django_tasks import task

from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import aftercare, stock_digest
from mesoclinic.treatments.models import TreatmentSession

# How an email to a patient is sent: (organization id, patient id, kind, to, subject, body).
# notifications, above this app, registers the sender that logs each message it sends.
Mailer = Callable[[int, int, str, str, str, str], None]
_mailers: list[Mailer] = []


def register_mailer(mailer: Mailer) -> None:
    """The sender patient emails go through; registering it again changes nothing."""
    _mailers[:] = [mailer]


def _mail_patient(session: TreatmentSession, kind: str, subject: str, body: str) -> None:
    to = session.patient.email
    if _mailers:
        _mailers[0](session.organization_id, session.patient_id, kind, to, subject, body)
    else:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[to])


@task()
def send_aftercare(session_id: int) -> None:
    """Email the signed aftercare sheet, with the site's phone, address and out-of-hours
    advice: queued when the session is signed, sent by the worker, not in the request."""
    session = TreatmentSession.all_orgs.select_related("patient", "site", "organization").get(
        pk=session_id
    )
    if not session.patient.email:
        return
    with acting_for(session.organization_id):
        body = aftercare.email_text(session, aftercare.SEEK_CARE)
        _mail_patient(session, "aftercare", "Your aftercare instructions", body)


@task()
def send_stock_digest(digest_id: int) -> str:
    return stock_digest.send(digest_id)


def enqueue_stock_digests(now: datetime | None = None) -> int:
    """Make today's stock digest rows (once per organization per day) and queue a task each."""
    ids = stock_digest.scan(now)
    for digest_id in ids:
        send_stock_digest.enqueue(digest_id)
    return len(ids)
