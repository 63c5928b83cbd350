"""Closing a portal account at the patient's request (issue 16).

The patient asks (an optional reason); an owner closes it: the account's `User` is
deactivated as `accounts.services.set_active` deactivates a colleague, so it signs in no
more and its open sessions stop working. The clinical record stays, as the law requires.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.accounts.services import set_active
from mesoclinic.audit.log import Action, record
from mesoclinic.portal.models import ClosureRequest, PortalAccount

REFUSAL = "Only the clinic's owner closes a patient's portal account."


def pending_for(account: PortalAccount) -> ClosureRequest | None:
    return ClosureRequest.objects.filter(account=account, closed_at__isnull=True).first()


def ask(user: User, account: PortalAccount, reason: str) -> ClosureRequest:
    """The patient's request; asking again while one is pending returns that one."""
    if account.user_id != user.pk:
        raise PermissionDenied("A patient asks to close only their own account.")
    try:
        with transaction.atomic():
            asked = ClosureRequest.objects.create(account=account, reason=reason.strip())
    except IntegrityError:  # a request already pending (two tabs, a double submit)
        found = pending_for(account)
        assert found is not None
        return found
    record(user, Action.CREATE, asked, detail="portal: asked to close the account")
    return asked


def pending() -> QuerySet[ClosureRequest]:
    return (
        ClosureRequest.objects.filter(closed_at__isnull=True)
        .select_related("account__patient", "account__user")
        .order_by("requested_at")
    )


def recently_closed(limit: int = 20) -> list[ClosureRequest]:
    return list(
        ClosureRequest.objects.filter(closed_at__isnull=False)
        .select_related("account__patient", "closed_by")
        .order_by("-closed_at")[:limit]
    )


@transaction.atomic
def close(user: User, request: ClosureRequest) -> bool:
    """Deactivate the patient's account and mark the request done; False if someone
    closed it already."""
    roles.check(user, roles.MANAGE_STAFF, REFUSAL)
    locked = ClosureRequest.objects.select_for_update().get(pk=request.pk)
    if locked.closed_at is not None:
        return False
    patient_user = User.objects.get(pk=locked.account.user_id)
    set_active(patient_user, False)
    locked.closed_at, locked.closed_by = timezone.now(), user
    locked.save(update_fields=["closed_at", "closed_by"])
    record(user, Action.CHANGE, patient_user, fields=["is_active"], detail="portal account closed")
    record(user, Action.CHANGE, locked, fields=["closed_at"], detail="closure request done")
    request.closed_at, request.closed_by = locked.closed_at, user
    return True
