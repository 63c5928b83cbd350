"""The clinic diary: rooms, opening and working hours, leave, treatment types, appointments.

Contract for code built on these models (reminders, the worker, calendar feeds)
------------------------------------------------------------------------------
``Appointment`` (OrgOwned; ``public_id`` UUID in URLs and feeds, never the pk):

- ``site``, ``room`` (nullable), ``practitioner`` (a ``User``), ``patient``,
  ``treatment_type`` (nullable).
- ``plan`` / ``plan_version`` (nullable: an appointment may be outside a
  course), ``course_session`` (1-based number of the session in the plan's
  schedule), ``course_areas`` (the engine's area labels for that session, e.g.
  ``["submental"]``; clinical: never put them in a feed or an email),
  ``ideal_date`` (the engine's date for the session).
- ``follow_up``: "" for a treatment visit, or one of ``FollowUp`` below for a visit
  that takes a course's outcome scores 3 or 6 months after it ended (proposed by
  ``outcomes.follow_ups``; no ``course_session``, ``ideal_date`` is the date it falls
  due). One slot-holding follow-up of each kind per plan; the database refuses more.
- ``starts_at`` / ``ends_at``: aware datetimes stored in UTC. Show them in
  ``appointment.site.zone`` (from the IANA name ``site.time_zone``), or
  call ``appointment.local_start()`` / ``local_end()``.
- ``status``: one of ``Status`` below. ``lock_version`` increases on every change
  (optimistic locking); ``changed_at`` too, so a job can notice a moved
  appointment by comparing ``starts_at`` with what it scheduled against.
- ``arrived_at``: when reception checked the patient in (today's booked or confirmed
  appointments only); ``session``: the treatment session started from the appointment,
  if any. Signing that session completes the appointment (``visits``, through
  ``treatments.sign_hooks``); voiding it leaves the appointment as it was, and it may be
  started again. A session without an appointment (a walk-in) is allowed.
- ``cancel_reason``, ``cancelled_at``, ``cancelled_by``; ``interval_override_reason``
  and ``overridden_by`` when a practitioner shortened a grade-B/C interval.

Statuses: ``proposed`` (made by "book the course", awaiting reception's
confirmation; it holds its slot), ``booked``, ``confirmed`` (patient confirmed),
``cancelled``, ``no_show``, ``completed``.

- ``HOLDS_SLOT``: statuses that occupy the practitioner, room and patient (every
  status but cancelled and no-show); the database refuses overlaps among them.
- ``REMINDABLE`` = booked and confirmed: the only statuses that get a reminder
  before the appointment. Never remind a proposed, cancelled, no-show or
  completed appointment. ``services.active_appointments()`` returns exactly these
  (``all_orgs=True`` for a worker that runs outside any request).
- ``CHECK_IN_AFTER`` = booked, confirmed, completed: appointments whose day-after
  check-in may be sent once they have ended (a no-show or cancelled one never).
- A reminder job must re-read the status at send time: an appointment cancelled
  after the job was queued must not be reminded.
- Proposed appointments that reception discards are deleted (an audit event
  stays); every other appointment is kept, cancelled or not. Changes go through
  ``services`` (``book``, ``reschedule``, ``confirm``, ``cancel``, ...) or ``course``
  (``move``, ``propose_course``, ``confirm_course``), never through ``save()`` elsewhere.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from mesoclinic.records import ClinicalRecord
from mesoclinic.tenancy import OrgOwned


class Status(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    COMPLETED = "completed", "Completed"


FREES_SLOT = (Status.CANCELLED, Status.NO_SHOW)
HOLDS_SLOT = tuple(s for s in Status if s not in FREES_SLOT)
REMINDABLE = (Status.BOOKED, Status.CONFIRMED)

# services._check_time keeps an appointment within one local day; 25 h covers a DST day.
LONGEST = dt.timedelta(hours=25)


def overlapping(start: dt.datetime, end: dt.datetime) -> Q:
    """Appointments overlapping [start, end), bounded on both sides of starts_at so that
    an index on (…, starts_at) reads only that range, not the whole history before it."""
    return Q(starts_at__lt=end, starts_at__gt=start - LONGEST, ends_at__gt=start)


CHECK_IN_AFTER = (Status.BOOKED, Status.CONFIRMED, Status.COMPLETED)


class FollowUp(models.TextChoices):
    """The outcome follow-ups a visit may be for; the values are the outcomes app's
    timepoints (``outcomes.models.Timepoint``), which the diary may not import."""

    MONTHS_3 = "3-months", "3-month follow-up"
    MONTHS_6 = "6-months", "6-month follow-up"


def follow_up_label(value: str) -> str:
    """What a diary shows for a follow-up visit, e.g. "3-month follow-up: outcome scores"."""
    return f"{FollowUp(value).label}: outcome scores" if value else ""


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Room(OrgOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="room_name_unique")]

    def __str__(self) -> str:
        return self.name


class SiteHours(OrgOwned):
    """Opening hours, in the site's local time; several rows a weekday make a split day."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="site_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="site_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class SiteClosure(OrgOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "date"], name="site_closure_unique")]

    def __str__(self) -> str:
        return f"closed {self.date}"


class WorkingHours(OrgOwned):
    """When a member of staff works at a site, in that site's local time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        indexes = [models.Index(fields=["site", "weekday"], name="workhours_site")]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="working_hours_order"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="working_hours_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Leave(OrgOwned):
    """Days off, both dates included."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "start_date"], name="leave_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="leave_dates_order"
            )
        ]

    def __str__(self) -> str:
        return f"leave {self.start_date}-{self.end_date}"


class TreatmentType(OrgOwned):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    # Roles (accounts.roles.Role values) that may perform it.
    roles = models.JSONField(default=list)
    needs_room = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="treatment_type_name"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="treatment_type_duration",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Appointment(ClinicalRecord):
    """A booking. Cancelling one is a status (CANCELLED, with `cancel_reason`,
    `cancelled_at`, `cancelled_by`), not a void: the appointment was made and its
    slot freed, and the diary shows it as cancelled."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    treatment_type = models.ForeignKey(
        TreatmentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan_version = models.ForeignKey(
        "plans.PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    course_session = models.PositiveSmallIntegerField(null=True, blank=True)
    course_areas = models.JSONField(default=list, blank=True)
    # The database default too, so rows written below the application (seed-scale) get it.
    follow_up = models.CharField(
        max_length=16, choices=FollowUp.choices, blank=True, default="", db_default=""
    )
    ideal_date = models.DateField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    interval_override_reason = models.CharField(max_length=500, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When reception checked the patient in (``visits.check_in``); None until they arrive.
    arrived_at = models.DateTimeField(null=True, blank=True)
    # The session started from this appointment (``visits.link_session``). A plain foreign
    # key, kept unique among set values by a partial index: a nullable column without a
    # default lets SQLite add it in place (see records.py).
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lock_version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["site", "starts_at"], name="appt_site_start"),
            models.Index(fields=["practitioner", "starts_at"], name="appt_practitioner_start"),
            models.Index(fields=["room", "starts_at"], name="appt_room_start"),
            models.Index(fields=["patient", "starts_at"], name="appt_patient_start"),
            models.Index(fields=["plan", "course_session"], name="appt_plan_session"),
            models.Index(fields=["status", "starts_at"], name="appt_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appt_order"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="appt_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CANCELLED) | ~Q(cancel_reason=""),
                name="appt_cancel_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(follow_up="") | Q(follow_up__in=FollowUp.values),
                name="appt_follow_up_valid",
            ),
            # A follow-up is a visit of a plan's course, never one of its sessions.
            models.CheckConstraint(
                condition=Q(follow_up="") | Q(plan__isnull=False, course_session__isnull=True),
                name="appt_follow_up_of_a_plan",
            ),
            models.UniqueConstraint(
                fields=["plan", "follow_up"],
                condition=~Q(follow_up="") & Q(status__in=HOLDS_SLOT),
                name="appt_one_follow_up_per_plan",
            ),
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(session__isnull=False),
                name="appt_one_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment {self.public_id}"

    def local_start(self) -> dt.datetime:
        return self.starts_at.astimezone(self.site.zone)

    def local_end(self) -> dt.datetime:
        return self.ends_at.astimezone(self.site.zone)

    @property
    def holds_slot(self) -> bool:
        return self.status in HOLDS_SLOT

    @property
    def follow_up_label(self) -> str:
        return follow_up_label(self.follow_up)
