"""An owner's export of the whole organization: one row per request, the file on disk."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from mesoclinic.tenancy import OrgOwned

KEEP_FOR = timedelta(days=7)


class Status(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Being prepared"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "File deleted"


class ExportJob(OrgOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # The form's one-time key: a second submit of the same form finds this job.
    submission_key = models.UUIDField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=120, blank=True)
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    # Relative to the data directory.
    path = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["organization", "-requested_at"], name="export_org")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="export_status_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Export of {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def in_progress(self) -> bool:
        return self.status in (Status.QUEUED, Status.RUNNING)

    @property
    def downloadable(self) -> bool:
        return (
            self.status == Status.DONE
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def percent(self) -> int:
        if not self.steps_total:
            return 0
        return round(100 * self.steps_done / self.steps_total)

    @property
    def size_label(self) -> str:
        """The file's size as people say it: 820 KB, 14 MB, 2.3 GB."""
        size = self.size or 0
        for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20)):
            if size >= scale:
                value = size / scale
                return f"{value:.1f} {unit}" if value < 10 else f"{round(value)} {unit}"
        return f"{max(1, round(size / 1024))} KB"
