import uuid

from django.db import models


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    SEARCH = "search", "Searched"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    VOID = "void", "Voided"
    EXPORT = "export", "Exported"
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logged out"


class AuditEvent(models.Model):
    """Append-only: no code path updates or deletes these rows.

    Database triggers (see the migrations) refuse UPDATE on every backend and
    DELETE on PostgreSQL. Values are never stored, only the names of the fields
    that changed, so the log itself holds no health data (previous values are in the
    records' history tables). Every void of a clinical record is `Action.VOID`, with
    the reason given in `detail`.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=list, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-at"], name="audit_org_at"),
            models.Index(fields=["organization", "object_type", "object_id"], name="audit_obj"),
            models.Index(fields=["organization", "actor", "-at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
