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


# Views whose landmarks may be placed: both pupils are visible. The symmetry index is
# measured on the frontal face only; the others use the pupils to line photos up.
LANDMARK_VIEWS = ("face-front", "face-45-left", "face-45-right", "submental-front")
MEASURED_VIEW = "face-front"


class Landmarks(VoidableRecord):
    """Points a practitioner placed on one photo (rules.symmetry names them), as
    fractions of the upright image's width and height, so they hold on every derivative.

    A placement is a signed record: moving a point later is a new placement that names
    the one it replaces and why (photos migration 0004 refuses any edit). The photo's
    landmarks are its newest placement that is not voided and not replaced.
    """

    photo = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    points = models.JSONField()  # {"pupil-right": [0.41, 0.38], ...}
    # A known length on the photo (a ruler in the picture): the two ends are the points
    # "ruler-a" and "ruler-b"; without it, sizes are in % of the inter-pupillary distance.
    ruler_mm = models.FloatField(null=True, blank=True)
    placed_at = models.DateTimeField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    reason = models.CharField(max_length=500, blank=True)
    submission_key = models.UUIDField(unique=True)

    class Meta:
        indexes = [models.Index(fields=["photo", "placed_at"], name="landmarks_photo")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ruler_mm__isnull=True) | Q(ruler_mm__gt=0, ruler_mm__lte=500),
                name="landmarks_ruler_valid",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""),
                name="landmarks_replacement_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"landmarks of {self.photo_id} ({self.placed_at:%Y-%m-%d})"

    def point(self, name: str, width: float, height: float) -> tuple[float, float] | None:
        """The point in pixels of an image of this size, or None if not placed."""
        found = self.points.get(name)
        return (found[0] * width, found[1] * height) if found else None


class ConsentScope(models.TextChoices):
    CLINICAL = "clinical", "Clinical record"
    TEACHING = "teaching", "Teaching"
    MARKETING = "marketing", "Marketing"


SCOPE_MEANING = {
    ConsentScope.CLINICAL: "Photos kept in the patient's record and seen by the clinical team.",
    ConsentScope.TEACHING: "Photos shown to clinicians in training, without the patient's name.",
    ConsentScope.MARKETING: (
        "Photos shown publicly by the clinic (website, social media, brochures)."
    ),
}


class ConsentHow(models.TextChoices):
    PAPER = "paper", "Signed paper form"
    TABLET = "tablet", "Signed on the tablet"
    VERBAL = "verbal", "Verbal, witnessed"


ONE_LIVE_PHOTO_CONSENT = "photo_consent_one_live"


class PhotoConsent(VoidableRecord):
    """The patient's consent to photos for one purpose, separate from treatment consent.

    A consent is a signed record (photos migration 0006 refuses any edit or delete);
    revoking it sets the void trio once (`voided_at` is when it was revoked, and
    `void_reason` the patient's reason as told). A scope is given again as a new row.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=10, choices=ConsentScope.choices)
    how = models.CharField(max_length=10, choices=ConsentHow.choices)
    note = models.CharField(max_length=300, blank=True)
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submission_key = models.UUIDField(unique=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "scope"], name="photo_consent_patient")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=ConsentScope.values), name="photo_consent_scope_valid"
            ),
            models.CheckConstraint(
                condition=Q(how__in=ConsentHow.values), name="photo_consent_how_valid"
            ),
            # Two tablets recording at once make one consent; a revoked one makes room.
            models.UniqueConstraint(
                fields=["patient", "scope"],
                condition=Q(voided_at__isnull=True),
                name=ONE_LIVE_PHOTO_CONSENT,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} photo consent ({self.given_at:%Y-%m-%d})"

    @property
    def meaning(self) -> str:
        return SCOPE_MEANING[ConsentScope(self.scope)]
