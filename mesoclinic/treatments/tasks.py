"""Work of the treatment day that does not belong in the request (`mesoclinic worker`)."""

from datetime import datetime

from django.core.mail import send_mail
from django_tasks import task

from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import aftercare, stock_digest
from mesoclinic.treatments.models import TreatmentSession


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
        send_mail(
            subject="Your aftercare instructions",
            message=aftercare.email_text(session, aftercare.SEEK_CARE),
            from_email=None,
            recipient_list=[session.patient.email],
        )


@task()
def send_stock_digest(digest_id: int) -> str:
    return stock_digest.send(digest_id)


def enqueue_stock_digests(now: datetime | None = None) -> int:
    """Make today's stock digest rows (once per organization per day) and queue a task each."""
    ids = stock_digest.scan(now)
    for digest_id in ids:
        send_stock_digest.enqueue(digest_id)
    return len(ids)
