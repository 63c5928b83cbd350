"""Outcome assessments: one instrument's answers for one patient at one moment.

Close to FHIR so the interoperability work can export them unchanged: an `Assessment`
is a QuestionnaireResponse (its `answers`, item by item, of the Questionnaire named by
`instrument` and `instrument_version`) whose score is an Observation (`total`, `code`,
`band`; `taken_at` is the effective time, `created_by` the performer, `rater` whether
the clinician or the patient rated it).

An assessment is a signed record: nothing in it changes after it is written, and the
database refuses (outcomes migration 0002). A wrong score is amended: the correction is
a new assessment naming the one it `amends`, with the reason, and the first is voided
with the same reason in the same transaction.
"""

from django.db import models
from django.db.models import Q

from mesoclinic.records import VoidableRecord


class Timepoint(models.TextChoices):
    BASELINE = "baseline", "Baseline (before the first session)"
    SESSION = "each-session", "At a session"
    END = "end", "End of course"
    MONTHS_3 = "3-months", "3-month follow-up"
    MONTHS_6 = "6-months", "6-month follow-up"


class Rater(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    PATIENT = "patient", "Patient"


class Side(models.TextChoices):
    NONE = "", "Not sided"
    LEFT = "left", "Left"
    RIGHT = "right", "Right"


class Assessment(VoidableRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    protocol = models.CharField(max_length=64, blank=True)
    area = models.CharField(max_length=64, blank=True)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True, default="")
    instrument = models.CharField(max_length=64)
    instrument_version = models.PositiveIntegerField()
    timepoint = models.CharField(max_length=16, choices=Timepoint.choices)
    rater = models.CharField(max_length=10, choices=Rater.choices)
    answers = models.JSONField()
    total = models.DecimalField(max_digits=8, decimal_places=2)
    code = models.CharField(max_length=40, blank=True)
    band = models.CharField(max_length=40, blank=True)
    display = models.CharField(max_length=120)
    taken_at = models.DateTimeField()
    # A baseline entered after the first session was signed says so, with why.
    late_reason = models.CharField(max_length=500, blank=True)
    amends = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amend_reason = models.CharField(max_length=500, blank=True)
    submission_key = models.UUIDField(unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "instrument", "taken_at"], name="assessment_patient"),
            models.Index(fields=["organization", "protocol", "instrument"], name="assessment_org"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(timepoint__in=[t.value for t in Timepoint]),
                name="assessment_timepoint_valid",
            ),
            models.CheckConstraint(
                condition=Q(rater__in=[r.value for r in Rater]), name="assessment_rater_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=[s.value for s in Side]), name="assessment_side_valid"
            ),
            # No instrument of clinical-reference.md §5 scores below 0 or above 1,000.
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=1000), name="assessment_total_range"
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True) | ~Q(amend_reason=""),
                name="assessment_amendment_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} {self.timepoint} ({self.display})"

    @property
    def is_late(self) -> bool:
        return bool(self.late_reason)
