"""Treatment days: product lots and stock, sessions charted against a plan, amendments,
adverse events and follow-up tasks.

A signed session is never changed: corrections are `SessionAmendment` rows and a
mistaken session is voided with a reason. Database triggers (migration 0003)
refuse UPDATE of a signed session's clinical columns and of its charted areas; on
PostgreSQL another (0093) refuses sign-off past the session's grade-A dose caps.
"""

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from mesoclinic.integrity import violates
from mesoclinic.records import ClinicalRecord, VoidableRecord
from mesoclinic.tenancy import OrgOwned
from mesoclinic.treatments import vocab


class Lot(ClinicalRecord):
    """A delivery of one catalogue product with one lot number, kept at one site.

    Stock is counted in vials: an opened vial is never carried to another session,
    because infections have been traced to multi-dose vials (clinical-reference §6).

    A recall (`recalled_*`) is not a void: the lot was real and was used, and the
    recall search needs it; it only stops further use.
    """

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=60, choices=vocab.product_choices)
    lot_number = models.CharField(max_length=60)
    expires_on = models.DateField()
    supplier = models.CharField(max_length=200, blank=True)
    invoice_number = models.CharField(max_length=60, blank=True)
    # What the clinic paid for one vial, in the catalogue's currency: the stock value.
    unit_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    received_on = models.DateField()
    vials_received = models.PositiveIntegerField()
    vials_used = models.PositiveIntegerField(default=0)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recalled_at = models.DateTimeField(null=True, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recall_reason = models.CharField(max_length=500, blank=True)
    # When the vial in use was opened: a multi-dose vial is refused past its in-use period.
    opened_at = models.DateTimeField(null=True, blank=True)

    product_name: str  # the catalogue name, set for display by `inventory.label`

    class Meta:
        indexes = [
            models.Index(fields=["organization", "lot_number"], name="lot_number"),
            models.Index(fields=["organization", "site", "expires_on"], name="lot_site_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(vials_received__gt=0), name="lot_received_positive"),
            models.CheckConstraint(
                condition=Q(vials_used__lte=F("vials_received")), name="lot_not_overdrawn"
            ),
            models.UniqueConstraint(
                fields=["organization", "site", "product", "lot_number"], name="lot_unique_per_site"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot_number} ({self.product})"

    @property
    def vials_left(self) -> int:
        return self.vials_received - self.vials_used

    def state(self, on_date: date) -> str:
        """ "recalled", "expired", "used-up" or "usable" on that day, in that precedence."""
        if self.recalled_at is not None:
            return "recalled"
        if self.expires_on < on_date:
            return "expired"
        if self.vials_left <= 0:
            return "used-up"
        return "usable"

    def unusable_reason(self, on_date: date) -> str | None:
        """Why this lot cannot be charted on that day, or None."""
        return {
            "recalled": f"Lot {self.lot_number} was recalled: {self.recall_reason}",
            "expired": f"Lot {self.lot_number} expired on {self.expires_on:%d %b %Y}",
            "used-up": f"Lot {self.lot_number} is used up",
        }.get(self.state(on_date))


class StockLevel(OrgOwned):
    """The owner's reorder level for one product at one site: the product is "low" there
    when the vials left in its usable lots (in date, not recalled) are this many or fewer."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    product = models.CharField(max_length=60, choices=vocab.product_choices)
    low_at = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    product_name: str  # the catalogue name, set for display by `stock.levels`

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "site", "product"], name="stock_level_once_per_site"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product} at site {self.site_id}: low at {self.low_at}"


class DigestState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Failed"


class StockDigest(OrgOwned):
    """The owners' daily stock email: one row per organization and day. The unique
    constraint, not the scheduler, stops a second email that day; a worker claims the
    row (pending -> sending) before it sends, as reminders are claimed."""

    day = models.DateField()
    status = models.CharField(max_length=10, choices=DigestState.choices, default="pending")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(default=0)
    # Why it was not sent, in words an owner understands; empty once sent.
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="stock_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Stock digest of {self.day} ({self.get_status_display()})"


class StockCount(OrgOwned):
    """A site's usable lots counted by hand and signed by who counted: kept as written
    (treatments migration 0014 refuses UPDATE and DELETE in the database). Each lot's
    difference from the records moved its stock through `inventory.move_vials`."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    lots_counted = models.PositiveIntegerField()
    differences = models.PositiveIntegerField()
    # Generated when the form is rendered: a resubmitted form finds the count it made.
    submission_key = models.UUIDField(editable=False)

    class Meta:
        indexes = [models.Index(fields=["organization", "site", "-signed_at"], name="count_last")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "submission_key"], name="stock_count_submitted_once"
            )
        ]

    def __str__(self) -> str:
        return f"Stock count at site {self.site_id} on {self.signed_at:%Y-%m-%d}"


class StockCountLine(OrgOwned):
    """One lot of a count: what the records expected, what was counted, and why they
    differ (required when they do, by the form and by the database)."""

    count = models.ForeignKey(StockCount, on_delete=models.PROTECT, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    expected = models.PositiveIntegerField()
    counted = models.PositiveIntegerField()
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["count", "lot"], name="stock_count_line_once"),
            models.CheckConstraint(
                condition=Q(expected=F("counted")) | ~Q(reason=""),
                name="stock_count_difference_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Lot {self.lot_id}: {self.expected} expected, {self.counted} counted"

    @property
    def difference(self) -> int:
        return self.counted - self.expected


class SessionStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SIGNED = "signed", "Signed"
    VOIDED = "voided", "Voided"


OPEN_SESSION_CONSTRAINT = "session_one_open_per_patient"


def one_open_session_violation(error: BaseException) -> bool:
    """Whether an IntegrityError is the patient already having a session in progress."""
    return violates(error, OPEN_SESSION_CONSTRAINT, "treatments_treatmentsession.patient_id")


DOSE_CAP_CONSTRAINT = "treatments_session_dose_caps"


def dose_cap_violation(error: BaseException) -> bool:
    """Whether a DatabaseError is PostgreSQL refusing a sign-off past a grade-A dose cap."""
    return violates(error, DOSE_CAP_CONSTRAINT)


class TreatmentSession(VoidableRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan_version = models.ForeignKey(
        "plans.PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        "plans.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adhoc_reason = models.CharField(max_length=500, blank=True)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.IN_PROGRESS
    )
    # Pre-treatment check as asked on the day: pregnancy, infection, weight, numbing.
    precheck = models.JSONField(default=dict)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supervised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lock_version = models.PositiveIntegerField(default=0)
    # Grade-B/C stops passed with a recorded reason: code, ingredient, area, reason, by, at.
    overrides = models.JSONField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    aftercare = models.JSONField(default=list, blank=True)
    # The grade-A caps fixed at session start, each {"ingredient": slug, "products":
    # [slugs whose content counts], "mg": cap}. PostgreSQL refuses sign-off past one
    # (migration 0093), whatever code path signs.
    dose_caps = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-started_at"], name="session_patient"),
            # The reminder scan's window of sessions signed three weeks ago, every minute.
            models.Index(fields=["organization", "signed_at"], name="session_signed"),
        ]
        constraints = [
            # One patient is treated in one session at a time, however many desks start one.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="in_progress"),
                name=OPEN_SESSION_CONSTRAINT,
            ),
            models.CheckConstraint(
                condition=Q(plan__isnull=False) | ~Q(adhoc_reason=""), name="session_plan_or_reason"
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0, weight_kg__lte=400),
                name="session_weight_plausible",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_at__isnull=False),
                name="session_signed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.public_id}"

    @property
    def pregnancy_answer(self) -> str:
        """The day's pregnancy answer as people read it."""
        answer = self.precheck.get("pregnancy") or ""
        labels = dict(vocab.PregnancyAnswer.choices)
        return labels.get(answer, "not recorded")

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def duration_minutes(self) -> int | None:
        """From the start of the session to its sign-off."""
        if self.ended_at is None:
            return None
        return max(0, round((self.ended_at - self.started_at).total_seconds() / 60))


class ProductContent(models.Model):
    """mg (or mL) of an ingredient per mL of a catalogue product, for the database's own
    sign-off check. A copy of `rules.load_reference().products[*].contents`, rewritten
    after every migrate (`treatments.contents.sync`): the TOML data stays the source."""

    product = models.CharField(max_length=60)
    ingredient = models.CharField(max_length=60)
    mg_per_ml = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "ingredient"], name="productcontent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.ingredient} {self.mg_per_ml}/mL"


class SessionArea(ClinicalRecord):
    """What went in where and from which vial: the row a recall searches."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=40)
    side = models.CharField(max_length=5, blank=True)
    technique = models.CharField(max_length=40, choices=vocab.technique_choices)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    volume_ml = models.DecimalField(max_digits=6, decimal_places=2)
    depth_mm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    needle_length_mm = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    needle_angle_deg = models.PositiveSmallIntegerField(null=True, blank=True)
    injections = models.PositiveIntegerField(default=0)
    points = models.JSONField(default=list, blank=True)

    # Set for display by the session page (session_views._context).
    depth_reached: float | None
    product_name: str
    area_name: str

    class Meta:
        indexes = [
            # Organization and session too: a recall counts a lot's rows from the index alone.
            models.Index(fields=["lot", "organization", "session"], name="sessionarea_lot_org"),
            models.Index(fields=["session"], name="sessionarea_session"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(volume_ml__gt=0, volume_ml__lte=100), name="area_volume_range"
            ),
            # The seeds bound injection depth to 1-10 mm (clinical-reference §2).
            models.CheckConstraint(
                condition=Q(depth_mm__isnull=True) | Q(depth_mm__gte=1, depth_mm__lte=10),
                name="area_depth_range",
            ),
            models.CheckConstraint(
                condition=Q(needle_angle_deg__isnull=True)
                | Q(needle_angle_deg__gte=1, needle_angle_deg__lte=90),
                name="area_angle_range",
            ),
            models.CheckConstraint(
                condition=Q(needle_length_mm__isnull=True)
                | Q(needle_length_mm__gt=0, needle_length_mm__lte=50),
                name="area_needle_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.side}".strip()


class SessionAmendment(ClinicalRecord):
    """A correction to a signed session: the original stays, shown beside this."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    reason = models.CharField(max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Amendment {self.public_id}"


# vocab.is_serious as a database condition, for the constraint below.
_SERIOUS = (
    Q(*[Q(**{c.value: True}) for c in vocab.Seriousness], _connector=Q.OR)
    | Q(grade__gte=vocab.SERIOUS_FROM_GRADE)
    | Q(event_type__in=sorted(vocab.ALWAYS_SERIOUS))
    | Q(
        event_type=vocab.AdverseEventType.ALLERGIC_REACTION,
        grade__gte=vocab.ALLERGY_SERIOUS_FROM_GRADE,
    )
)


SUBMITTED_ONCE_CONSTRAINT = "ae_submitted_once"


def resubmitted_event_violation(error: BaseException) -> bool:
    """Whether an IntegrityError is a form submitted twice (its key already recorded)."""
    return violates(
        error,
        SUBMITTED_ONCE_CONSTRAINT,
        "treatments_adverseevent.organization_id, treatments_adverseevent.submission_key",
    )


class AdverseEvent(VoidableRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    event_type = models.CharField(max_length=30, choices=vocab.AdverseEventType.choices)
    area = models.CharField(max_length=40, blank=True)
    onset_on = models.DateField()
    grade = models.PositiveSmallIntegerField(choices=vocab.CtcaeGrade.choices)
    description = models.TextField()
    action_taken = models.TextField(blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    lots = models.ManyToManyField(Lot, blank=True, related_name="+")
    # ICH E2A seriousness criteria (vocab.Seriousness), as the reporter judged them.
    # db_default: rows written in bulk without them (scale seed) read "not met".
    death = models.BooleanField(default=False, db_default=False)
    life_threatening = models.BooleanField(default=False, db_default=False)
    hospitalisation = models.BooleanField(default=False, db_default=False)
    disability = models.BooleanField(default=False, db_default=False)
    congenital_anomaly = models.BooleanField(default=False, db_default=False)
    medically_important = models.BooleanField(default=False, db_default=False)
    serious = models.BooleanField(default=False, editable=False)
    # Generated when the form is rendered: a resubmitted form finds the event it made.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    area_name: str  # the catalogue name of `area`, set for display by `safety.label`

    class Meta:
        indexes = [
            models.Index(fields=["organization", "serious", "-onset_on"], name="ae_serious"),
            models.Index(fields=["patient", "-onset_on"], name="ae_patient"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="ae_grade_ctcae"),
            # Partial, so SQLite adds an index instead of rebuilding the table.
            models.UniqueConstraint(
                fields=["organization", "submission_key"],
                condition=Q(submission_key__isnull=False),
                name=SUBMITTED_ONCE_CONSTRAINT,
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("onset_on")),
                name="ae_resolved_after_onset",
            ),
            # CTCAE grade 5 is death: the ICH E2A "death" criterion goes with it.
            models.CheckConstraint(
                condition=Q(grade__lt=vocab.CtcaeGrade.DEATH) | Q(death=True),
                name="ae_grade_5_is_death",
            ),
            # `serious` is exactly vocab.is_serious: a row written past save() cannot
            # drop a serious event off the safety list.
            models.CheckConstraint(
                condition=(Q(serious=True) & _SERIOUS) | (Q(serious=False) & ~_SERIOUS),
                name="ae_serious_per_ich_e2a",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} (grade {self.grade})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.serious = vocab.is_serious(self.event_type, self.grade, self.criteria)
        super().save(*args, **kwargs)

    @property
    def criteria(self) -> list[str]:
        """The ICH E2A criteria met, as vocab.Seriousness values."""
        return [c.value for c in vocab.Seriousness if getattr(self, c.value)]

    def get_criteria_display(self) -> list[str]:
        return [c.label for c in vocab.Seriousness if getattr(self, c.value)]


class FollowUpTask(ClinicalRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField()
    reason = models.CharField(max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "done_at", "due_on"], name="followup_due")]

    def __str__(self) -> str:
        return f"Follow-up {self.due_on}: {self.reason}"
