"""The patient's side (issue 16): a patient's own account, and the invitation to it.

A portal account is a `User` of role patient (no staff capability, kept under /portal/
by `accounts.middleware.PortalBoundaryMiddleware`) tied here to exactly one patient of
the same organization: everything the portal shows is found from this row, never from
an address, so a patient reaches no one else's record.
"""

import uuid

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


class Feeling(models.TextChoices):
    WELL = "well", "Well"
    DISCOMFORT = "discomfort", "Some discomfort"
    UNWELL = "unwell", "Unwell"


class Urgency(models.TextChoices):
    """rules.checkin.URGENCIES, most urgent first."""

    EMERGENCY = "emergency", "Emergency"
    TODAY = "today", "Call today"
    ROUTINE = "routine", "Routine"


class ReviewOutcome(models.TextChoices):
    ADVERSE_EVENT = "adverse-event", "Recorded as an adverse event"
    CLOSED = "closed", "Closed with a note"


class SymptomReport(OrgOwned):
    """What a patient said after a treatment (the portal's check-in), as they said it:
    never changed once sent (the database refuses, portal migration 0003). A
    practitioner reviews it once: recorded as an adverse event, or closed with a note.
    `urgency` is what rules.checkin said when it was sent, so the queue sorts by it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField()
    feeling = models.CharField(max_length=12, choices=Feeling.choices)
    symptoms = models.JSONField(default=list)
    where = models.CharField(max_length=200, blank=True)
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    checkin_version = models.PositiveIntegerField()
    submission_key = models.UUIDField(unique=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_outcome = models.CharField(max_length=16, choices=ReviewOutcome.choices, blank=True)
    review_note = models.TextField(blank=True)
    adverse_event = models.ForeignKey(
        "treatments.AdverseEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["organization", "reviewed_at", "urgency"], name="report_queue"),
            models.Index(fields=["patient", "-reported_at"], name="report_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__isnull=True) | models.Q(severity__lte=10),
                name="report_severity_0_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(urgency__in=[u.value for u in Urgency]),
                name="report_urgency_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(feeling__in=[f.value for f in Feeling]),
                name="report_feeling_valid",
            ),
            # Reviewed means by whom, with an outcome; an adverse event outcome names it.
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True)
                | (
                    models.Q(reviewed_by__isnull=False)
                    & ~models.Q(review_outcome="")
                    & (
                        ~models.Q(review_outcome="adverse-event")
                        | models.Q(adverse_event__isnull=False)
                    )
                ),
                name="report_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Report by {self.patient} on {self.reported_at:%Y-%m-%d}"

    @property
    def is_red_flag(self) -> bool:
        return self.urgency != Urgency.ROUTINE


class ClosureRequest(OrgOwned):
    """A patient asking the clinic to close their portal account, with an optional reason.
    Closing deactivates the account's `User` (nobody signs in with it again); the clinical
    record itself is kept, as the law requires. One request pending per account."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(PortalAccount, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "closed_at"], name="closure_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(closed_at__isnull=True),
                name="closure_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | models.Q(closed_by__isnull=False),
                name="closure_closed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Closure request {self.public_id}"


class SignInLink(OrgOwned):
    """An emailed link that signs a patient in once, for LINK_MINUTES (portal.signin_links).
    Only the token's hash is stored, as for `PortalInvitation`; the rows also count the
    requests for an address in the last hour, which is the throttle."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["email", "-created_at"], name="signin_link_email")]

    def __str__(self) -> str:
        return f"Sign-in link for {self.email}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class Questionnaire(OrgOwned):
    """The medical history questionnaire a patient sent from the portal. Its answers
    are `ReportedEntry` rows, each pending until a practitioner adds it to the chart
    (as given or corrected) or records why not: nothing the patient wrote becomes the
    clinical record by itself."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    submission_key = models.UUIDField(unique=True)

    def __str__(self) -> str:
        return f"Questionnaire of {self.patient} ({self.submitted_at:%Y-%m-%d})"


class EntryReview(models.TextChoices):
    PENDING = "pending", "Waiting for review"
    ADDED = "added", "Added to the chart"
    CORRECTED = "corrected", "Corrected and added to the chart"
    NOT_RECORDED = "not-recorded", "Not recorded"


class ReportedEntry(OrgOwned):
    """One answer of a questionnaire, shaped as the chart's history entry of `kind`
    (patients.forms.HISTORY_FORMS) would be: kept as the patient wrote it (portal
    migration 0007 refuses changes), its review set once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30)
    data = models.JSONField()
    position = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=16, choices=EntryReview.choices, default=EntryReview.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=500, blank=True)
    entry_id = models.CharField(max_length=64, blank=True)  # the chart entry's public id

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="reported_entry_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in EntryReview]),
                name="reported_entry_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | models.Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="reported_entry_review_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reported by {self.patient}"


class ConsentMessage(OrgOwned):
    """A question the patient asks the clinic about a plan's consent, from the portal, or
    the clinic's answer to one (`answers`): the plan's thread, kept as written (the
    database refuses UPDATE and DELETE, portal migration 0004). A patient question no
    answer points to is open, on the plan's consent page."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField()
    answers = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    body = models.TextField()
    written_at = models.DateTimeField()
    submission_key = models.UUIDField(unique=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "written_at"], name="consent_message_plan")]
        constraints = [
            # The patient asks; the clinic answers a question.
            models.CheckConstraint(
                condition=models.Q(from_patient=True, answers__isnull=True)
                | models.Q(from_patient=False, answers__isnull=False),
                name="consent_message_asks_or_answers",
            ),
            models.CheckConstraint(condition=~models.Q(body=""), name="consent_message_said"),
        ]

    def __str__(self) -> str:
        return f"{'Question' if self.from_patient else 'Answer'} on {self.written_at:%Y-%m-%d}"
