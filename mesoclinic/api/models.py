"""Personal access tokens for the JSON API.

A token acts as the colleague who made it, with their role, narrowed by its scopes:
``read`` (GET), ``write`` (changes, through the same services as the pages) and
``clinical`` (clinical data; without it a token sees what reception sees). Only a hash is
stored: the token is shown once, when it is made. Tokens expire, and are revoked, never
deleted, so the audit trail keeps naming them.

An organization's integration token (made by an owner) belongs to the clinic, not a
person: it acts as its own system account (`user`, named "Integration: ..."), made for
it with the staff role it acts as and no password, so tenancy, roles, audit events and
every `created_by` treat it like any colleague and name the integration.
`organization` is set only on integration tokens.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    CLINICAL = "clinical", "Clinical data"


class ApiToken(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What it is for, e.g. 'Accounting export'")
    # The first characters of the token, shown in lists so a person can tell tokens apart.
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="integration_tokens",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="apitoken_user_recent"),
            models.Index(fields=["organization", "-created_at"], name="apitoken_org_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_labels(self) -> str:
        return ", ".join(scope.label for scope in Scope if scope.value in self.scopes)

    @property
    def is_integration(self) -> bool:
        return self.organization_id is not None

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
