"""The patient's side (issue 16): a patient's own account, and the invitation to it.

A portal account is a `User` of role patient (no staff capability, kept under /portal/
by `accounts.middleware.PortalBoundaryMiddleware`) tied here to exactly one patient of
the same organization: everything the portal shows is found from this row, never from
an address, so a patient reaches no one else's record.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from mesoclinic.tenancy import OrgOwned


class PortalAccount(OrgOwned):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portal_account"
    )
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="portal_account"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Portal account of {self.patient}"


class PortalInvitation(OrgOwned):
    """An emailed link that lets the patient set a password, once, before it expires.
    Only the token's hash is stored: a leaked table yields no usable link."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "-created_at"], name="portal_invite_patient")]

    def __str__(self) -> str:
        return f"Portal invitation for {self.email}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
