"""The owners' daily stock email: products low at a site, lots expiring within 30 and
within 60 days.

Once per organization per day, whatever the number of scans or workers: the scan
creates at most one `StockDigest` row per (organization, day) (unique constraint,
conflicts ignored), and a worker claims a row with a conditional UPDATE (pending ->
sending) before it sends, so a task queued twice sends once. As with reminders,
delivery is at most once: a worker that dies between claim and "sent" leaves the row
failed after `STALE_CLAIM`, not sent again. A day with nothing to report sends
nothing. It goes out at the first scan from `DIGEST_HOUR`, in the clinic's time zone
(settings.TIME_ZONE). Every outcome writes an audit event with no actor.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import PEOPLE, Organization, User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record_system
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import stock
from mesoclinic.treatments.models import DigestState, Lot, StockDigest

DIGEST_HOUR = time(7, 0)
STALE_CLAIM = timedelta(minutes=10)
REQUEUE_AFTER = timedelta(minutes=10)
BATCH = 500


def scan(now: datetime | None = None) -> list[int]:
    """Make today's row for each organization that has none, and return the ids of
    the rows to send (marked queued)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    day = local.date()
    if local.time() >= DIGEST_HOUR:
        todays = StockDigest.all_orgs.filter(organization=OuterRef("pk"), day=day)
        missing = Organization.objects.filter(~Exists(todays)).values_list("pk", flat=True)
        StockDigest.all_orgs.bulk_create(
            [StockDigest(organization_id=pk, day=day) for pk in missing[:BATCH]],
            ignore_conflicts=True,
        )
    _fail_stale_claims(now)
    queued = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER)
    ids = list(
        StockDigest.all_orgs.filter(queued, status=DigestState.PENDING, day=day).values_list(
            "pk", flat=True
        )[:BATCH]
    )
    StockDigest.all_orgs.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def send(digest_id: int, now: datetime | None = None) -> str:
    """Claim one day's row and email the owners. Returns the row's final status."""
    now = now or timezone.now()
    claimed = StockDigest.all_orgs.filter(pk=digest_id, status=DigestState.PENDING).update(
        status=DigestState.SENDING, claimed_at=now
    )
    if not claimed:
        return "not claimed"
    digest = StockDigest.all_orgs.select_related("organization").get(pk=digest_id)
    with acting_for(digest.organization_id):
        return _deliver(digest, now)


def _deliver(digest: StockDigest, now: datetime) -> str:
    alerts = stock.alerts(digest.day)
    if not alerts:
        return _finish(digest, DigestState.SKIPPED, "nothing low or expiring within 60 days")
    owners = list(
        User.objects.filter(
            PEOPLE, organization_id=digest.organization_id, role=Role.OWNER, is_active=True
        )
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not owners:
        return _finish(digest, DigestState.SKIPPED, "no owner with an email address")
    try:
        send_mail(
            subject=subject(alerts, digest.organization.name),
            message=body(alerts, digest.organization.name, digest.day),
            from_email=None,
            recipient_list=owners,
        )
    except Exception as exc:  # the mail server refused or was unreachable
        return _finish(digest, DigestState.FAILED, f"mail server refused ({type(exc).__name__})")
    return _finish(digest, DigestState.SENT, "", sent_at=now, recipients=len(owners))


def subject(alerts: stock.StockAlerts, clinic: str) -> str:
    parts = []
    if alerts.low:
        parts.append(f"{len(alerts.low)} low")
    expiring = len(alerts.expiring_soon) + len(alerts.expiring_ahead)
    if expiring:
        parts.append(f"{expiring} lot{'s' if expiring != 1 else ''} expiring within 60 days")
    return f"Stock at {clinic}: {', '.join(parts)}"


def body(alerts: stock.StockAlerts, clinic: str, day: date) -> str:
    link = settings.PUBLIC_URL + reverse("lot_list") if settings.PUBLIC_URL else ""
    context = {
        "alerts": alerts,
        "clinic": clinic,
        "day": human_date(day),
        "expires": {lot.pk: human_date(lot.expires_on) for lot in _lots(alerts)},
        "link": link,
    }
    return render_to_string("treatments/email_stock_digest.txt", context)


def human_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _lots(alerts: stock.StockAlerts) -> list[Lot]:
    return [*alerts.expiring_soon, *alerts.expiring_ahead]


def _finish(digest: StockDigest, status: str, reason: str, **more: object) -> str:
    StockDigest.all_orgs.filter(pk=digest.pk, status=DigestState.SENDING).update(
        status=status, reason=reason[:200], **more
    )
    action = Action.EXPORT if status == DigestState.SENT else Action.CHANGE
    detail = "stock digest emailed to the owners" if status == DigestState.SENT else reason
    record_system(
        digest.organization_id,
        action,
        object_type="stock digest",
        object_id=digest.day.isoformat(),
        detail=detail,
    )
    return status


def _fail_stale_claims(now: datetime) -> None:
    stale = StockDigest.all_orgs.filter(
        status=DigestState.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).select_related("organization")[:BATCH]
    for digest in stale:
        _finish(digest, DigestState.FAILED, "interrupted while sending; not sent again")
