import secrets
from collections.abc import Callable
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Invitation, User, hash_token

INVITATION_DAYS = 7


def invite(user: User, email: str, role: str, *, absolute_url: Callable[[str], str]) -> Invitation:
    """Invite `email` to the user's organization; `absolute_url` turns a path into the
    link the email carries (a view passes `request.build_absolute_uri`)."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization_id=user.organization_id,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=user,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    link = absolute_url(reverse("accept_invitation", args=[token]))
    org = user.organization
    send_mail(
        subject=f"You are invited to {org.name} on mesoclinic",
        message=(
            f"{user.full_name} invited you to join {org.name} as "
            f"{invitation.get_role_display()}.\n\nSet your password here (valid "
            f"{INVITATION_DAYS} days, usable once):\n{link}\n"
        ),
        from_email=None,
        recipient_list=[email],
    )
    return invitation


def find_invitation(token: str) -> Invitation | None:
    invitation = (
        # The invitee has no organization yet: the token alone finds the invitation.
        Invitation.all_orgs.select_related("organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return invitation if invitation and invitation.is_usable else None


@transaction.atomic
def accept(invitation: Invitation, full_name: str, password: str) -> User:
    # Lock the row so that a double-submitted form cannot create two accounts.
    invitation = Invitation.all_orgs.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValueError("This invitation has already been used or has expired.")
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=full_name,
        organization=invitation.organization,
        role=invitation.role,
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


def set_active(user: User, active: bool) -> None:
    user.is_active = active
    user.deactivated_at = None if active else timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    # No session clean-up needed: the backend (ModelBackend) refuses inactive users,
    # so a deactivated colleague's open sessions stop working on the next request.
