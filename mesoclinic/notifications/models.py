"""Reminder emails and private calendar feeds.

A `Reminder` row exists at most once per (appointment, kind), or per (session,
kind) for the advice sent after a treatment: the unique constraints, not the
scheduler, are what stop a second email. A worker claims a row with a
conditional UPDATE (pending -> sending) before it sends, so two workers, or a
worker and a retried task, never both send it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.accounts.models import Site
from mesoclinic.patients.models import Patient
from mesoclinic.scheduling.models import Appointment
from mesoclinic.tenancy import OrgOwned
from mesoclinic.treatments.models import TreatmentSession


class Kind(models.TextChoices):
    REMINDER = "reminder", "Reminder before the appointment"
    CHECK_IN = "check_in", "Day-after check-in"
    # Atypical mycobacterial infections appear 1-12 weeks after treatment (§6).
    LATE_INFECTION = "late_infection", "Aftercare advice, 3 weeks after treatment"


# The kinds about a treatment session rather than an appointment.
SESSION_KINDS = (Kind.LATE_INFECTION,)


class State(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Failed"


class Reminder(OrgOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    due_at = models.DateTimeField()
    # When the scheduler last handed it to the task queue; a row queued long ago
    # and still pending (its task lost) is queued again.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The appointment time the sent email announced: if the appointment is moved
    # afterwards, the reminder is sent again for the new time (once per time).
    announced_starts_at = models.DateTimeField(null=True, blank=True)
    # Why it was not sent or failed, in words a receptionist understands.
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"], name="reminder_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="reminder_once_per_kind"),
            models.UniqueConstraint(
                fields=["session", "kind"], name="reminder_once_per_session_kind"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in Kind]), name="reminder_kind_valid"
            ),
            # A session kind is about a session only; every other kind about an appointment.
            models.CheckConstraint(
                condition=(
                    Q(kind__in=SESSION_KINDS, session__isnull=False, appointment__isnull=True)
                    | (
                        ~Q(kind__in=SESSION_KINDS)
                        & Q(appointment__isnull=False, session__isnull=True)
                    )
                ),
                name="reminder_target_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]

    # Set for display on the reminders page, in the site's zone (annotations only).
    due_local: str
    start_local: str

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def patient(self) -> Patient:
        return self.about.patient

    @property
    def site(self) -> Site:
        return self.about.site

    @property
    def about(self) -> Appointment | TreatmentSession:
        """The appointment or session the reminder is for (the database requires one)."""
        about = self.appointment or self.session
        assert about is not None
        return about


class CalendarFeed(OrgOwned):
    """A practitioner's private iCalendar URL. Only the token's SHA-256 is stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="calendar_feed_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class MessageKind(models.TextChoices):
    REMINDER = Kind.REMINDER.value, "Reminder before the appointment"
    CHECK_IN = Kind.CHECK_IN.value, "Day-after check-in"
    LATE_INFECTION = Kind.LATE_INFECTION.value, "Aftercare advice, 3 weeks after treatment"
    AFTERCARE = "aftercare", "Aftercare instructions"
    PORTAL_INVITATION = "portal_invitation", "Portal invitation"
    PORTAL_SIGN_IN = "portal_sign_in", "Portal sign-in link"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent"


class Message(OrgOwned):
    """One email or text message to a patient, as tried: the log the clinic reads.

    The address is kept as used; pages show it masked (`masked_to`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    reminder = models.ForeignKey(
        Reminder, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    to = models.CharField(max_length=254, blank=True)
    status = models.CharField(
        max_length=6, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    provider_id = models.CharField(max_length=200, blank=True)
    # Why it was not sent, in words a receptionist understands.
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="message_recent"),
            models.Index(fields=["organization", "patient", "-created_at"], name="message_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]), name="message_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in MessageStatus]),
                name="message_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_kind_display()} ({self.status})"

    @property
    def masked_to(self) -> str:
        """Enough to recognise the address, not to read it off a screen."""
        if not self.to:
            return "none"
        if self.channel == Channel.EMAIL and "@" in self.to:
            name, domain = self.to.split("@", 1)
            return f"{name[:1]}•••@{domain}"
        return f"•••{self.to[-3:]}" if len(self.to) > 3 else "•••"
