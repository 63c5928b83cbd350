"""Signing in with an emailed link, for patients who would rather not keep a password
(issue 16).

Anyone may ask for a link to an address, and always hears the same answer, so the page
tells nobody which addresses have an account. Only an active patient account gets a
link: valid LINK_MINUTES, usable once, its token stored as a hash. At most
LINKS_PER_HOUR links go to one address in an hour: the rows of the last hour count.
"""

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import User, hash_token
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.notifications import delivery
from mesoclinic.notifications.models import MessageKind
from mesoclinic.portal.models import PortalAccount, SignInLink

LINK_MINUTES = 15
LINKS_PER_HOUR = 5


def _patient_account(email: str) -> User | None:
    user = (
        User.objects.select_related("organization")
        .filter(email__iexact=email, role=Role.PATIENT, is_active=True)
        .first()
    )
    if user is None or not PortalAccount.all_orgs.filter(user=user).exists():
        return None
    return user


def send(email: str, *, absolute_url: Callable[[str], str]) -> SignInLink | None:
    """Email a sign-in link if `email` is an active patient's and the hour's quota is not
    spent; None otherwise (the caller answers the same either way)."""
    email = email.strip().lower()
    user = _patient_account(email)
    if user is None:
        return None
    now = timezone.now()
    recent = SignInLink.all_orgs.filter(email=email, created_at__gte=now - timedelta(hours=1))
    if recent.count() >= LINKS_PER_HOUR:
        return None
    token = secrets.token_urlsafe(32)
    link = SignInLink.all_orgs.create(
        organization_id=user.organization_id,
        user=user,
        email=email,
        token_hash=hash_token(token),
        expires_at=now + timedelta(minutes=LINK_MINUTES),
    )
    url = absolute_url(reverse("portal_signin", args=[token]))
    clinic = user.organization.name
    patient_id = PortalAccount.all_orgs.values_list("patient_id", flat=True).get(user=user)
    transaction.on_commit(
        lambda: delivery.email_requested(
            user.organization_id,
            patient_id,
            MessageKind.PORTAL_SIGN_IN,
            user.email,
            subject=f"Your sign-in link for {clinic}",
            body=(
                f"Hello,\n\nHere is your link to sign in to your patient portal at {clinic}. "
                f"It works once, for {LINK_MINUTES} minutes:\n{url}\n\n"
                "If you did not ask for it, ignore this email: nobody can sign in without it."
            ),
        )
    )
    return link


def find(token: str) -> SignInLink | None:
    found = SignInLink.all_orgs.select_related("user").filter(token_hash=hash_token(token)).first()
    return found if found and found.is_usable and found.user.is_active else None


def use(token: str) -> User | None:
    """The link's patient, once: a second use, an expired link or a closed account is None."""
    link = find(token)
    if link is None:
        return None
    now = timezone.now()
    taken = SignInLink.all_orgs.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not taken:
        return None
    record(link.user, Action.LOGIN, link, detail="portal: signed in with an emailed link")
    return link.user
