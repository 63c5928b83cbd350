"""A clinical photograph: one standard view of one patient, at one moment.

A photo is a signed record: what it shows and who took it never change, and the database
refuses (photos migration 0002). A photo taken in error is voided with a reason; its
images are then served no more, and the record stays. The image files themselves are in
the photo storage (`photos/storage.py`), encrypted; the row names them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.outcomes.models import Side
from mesoclinic.photos import catalogue
from mesoclinic.records import VoidableRecord


class Kind(models.TextChoices):
    ORIGINAL = "original", "Original"
    SCREEN = "screen", "Screen"
    THUMB = "thumb", "Thumbnail"


class Photo(VoidableRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assessment = models.ForeignKey(
        "outcomes.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.CharField(max_length=64, blank=True)
    view = models.CharField(max_length=32)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True, default="")
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    device = models.CharField(max_length=100, blank=True)
    # Names in the photo storage; the original's type, the three images' sizes in pixels.
    original_name = models.CharField(max_length=255)
    screen_name = models.CharField(max_length=255)
    thumb_name = models.CharField(max_length=255)
    mime = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    screen_width = models.PositiveIntegerField()
    screen_height = models.PositiveIntegerField()
    thumb_width = models.PositiveIntegerField()
    thumb_height = models.PositiveIntegerField()
    # Of the file as uploaded, before its metadata was removed.
    sha256 = models.CharField(max_length=64)
    submission_key = models.UUIDField(unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "view", "taken_at"], name="photo_patient_view"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(view__in=list(catalogue.SLUGS)), name="photo_view_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=[s.value for s in Side]), name="photo_side_valid"
            ),
            models.CheckConstraint(
                condition=Q(mime__in=["image/jpeg", "image/png"]), name="photo_mime_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.view_label} ({self.taken_at:%Y-%m-%d})"

    @property
    def view_label(self) -> str:
        return catalogue.label(self.view)

    def stored_name(self, kind: str) -> str:
        return {
            Kind.ORIGINAL: self.original_name,
            Kind.SCREEN: self.screen_name,
            Kind.THUMB: self.thumb_name,
        }[Kind(kind)]

    def mime_of(self, kind: str) -> str:
        return self.mime if kind == Kind.ORIGINAL else "image/jpeg"
