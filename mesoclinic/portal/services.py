"""Portal accounts: inviting a patient, accepting the invitation, finding the account.

The clinic invites (anyone who edits demographics, reception included): the email goes
to the address on the patient's record, the link works once and for INVITATION_DAYS.
Accepting makes a `User` of role patient and its `PortalAccount` in one transaction, on
the invitation's locked row, so a double-submitted form makes one account.
"""

import secrets
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User, hash_token
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.log import Action, record
from mesoclinic.notifications import delivery
from mesoclinic.notifications.models import MessageKind
from mesoclinic.patients.models import Patient
from mesoclinic.portal.models import PortalAccount, PortalInvitation

INVITATION_DAYS = 7


class PortalRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def account_of(user: object) -> PortalAccount | None:
    """The portal account a signed-in patient acts through (None for anyone else)."""
    if not isinstance(user, User) or user.role != Role.PATIENT:
        return None
    # Whether a second sign-in step is on comes in the same query (portal.two_factor).
    second_step = TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
    return (
        PortalAccount.all_orgs.select_related("patient", "patient__organization", "user")
        .filter(user=user, organization_id=user.organization_id)
        .annotate(has_second_step=Exists(second_step))
        .first()
    )


def account_for_patient(patient: Patient) -> PortalAccount | None:
    return PortalAccount.objects.filter(patient=patient).select_related("user").first()


def pending_invitation(patient: Patient) -> PortalInvitation | None:
    found = PortalInvitation.objects.filter(
        patient=patient, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")
    return next((i for i in found[:1] if i.is_usable), None)


@transaction.atomic
def invite(user: User, patient: Patient, *, absolute_url: Callable[[str], str]) -> PortalInvitation:
    """Email the patient a link to set up their portal account; an earlier invitation
    still pending stops working."""
    roles.check(user, roles.EDIT_DEMOGRAPHICS, "Only clinic staff invite patients.")
    email = patient.email.strip().lower()
    if not email:
        raise PortalRefused("Add the patient's email address first: the invitation is emailed.")
    if account_for_patient(patient) is not None:
        raise PortalRefused("This patient already has a portal account.")
    if User.objects.filter(email=email).exists():
        raise PortalRefused(
            "This email address already belongs to an account: ask the patient for another."
        )
    now = timezone.now()
    PortalInvitation.objects.filter(
        patient=patient, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = PortalInvitation.objects.create(
        patient=patient,
        email=email,
        token_hash=hash_token(token),
        invited_by=user,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    record(user, Action.CREATE, patient, fields=["portal_invitation"], detail="portal invitation")
    link = absolute_url(reverse("portal_accept", args=[token]))
    org = user.organization
    transaction.on_commit(
        lambda: delivery.email_requested(
            org.pk,
            patient.pk,
            MessageKind.PORTAL_INVITATION,
            email,
            subject=f"Your patient portal at {org.name}",
            body=(
                f"Hello {patient.first_name},\n\n{org.name} invites you to your patient "
                "portal: read your consent and aftercare, tell the clinic how you are after "
                "a treatment, and see your appointments.\n\nSet your password here (valid "
                f"{INVITATION_DAYS} days, usable once):\n{link}\n"
            ),
        )
    )
    return invitation


def find_invitation(token: str) -> PortalInvitation | None:
    # The invitee is signed in to nothing yet: the token alone finds the invitation.
    found = (
        PortalInvitation.all_orgs.select_related("patient", "organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    return found if found and found.is_usable else None


@transaction.atomic
def accept(invitation: PortalInvitation, password: str) -> User:
    locked = PortalInvitation.all_orgs.select_for_update().get(pk=invitation.pk)
    if not locked.is_usable:
        raise PortalRefused("This invitation has already been used or has expired.")
    patient = Patient.all_orgs.get(pk=locked.patient_id)
    if PortalAccount.all_orgs.filter(patient=patient).exists():
        raise PortalRefused("This patient already has a portal account.")
    user = User.objects.create_user(
        email=locked.email,
        password=password,
        full_name=patient.full_name,
        organization_id=locked.organization_id,
        role=Role.PATIENT,
    )
    PortalAccount.all_orgs.create(
        organization_id=locked.organization_id, user=user, patient=patient
    )
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    record(user, Action.CREATE, patient, fields=["portal_account"], detail="portal account set up")
    return user
