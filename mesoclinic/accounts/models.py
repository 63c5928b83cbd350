import hashlib
import uuid
import zoneinfo
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from mesoclinic.accounts.roles import Role
from mesoclinic.records import VoidableRecord
from mesoclinic.tenancy import OrgManager

# Jurisdiction-neutral: a clinic writes its own (NHS 111, a doctor on call, ...).
DEFAULT_OUT_OF_HOURS = (
    "Out of hours, or if the clinic cannot be reached, call your local emergency number."
)


class Organization(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Bumped by the database when a name every chart may show changes (a site, room,
    # colleague or lot); part of the cached chart's key with Patient.chart_version.
    chart_epoch = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="Percent added to quotes"
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
        help_text="Patients with an email address are reminded this many hours before "
        "each appointment (1 to 336).",
    )
    # How long before an appointment a patient may still cancel or move it from the portal;
    # closer to the start, the portal asks them to call (the clinic can refill the slot).
    cancel_notice_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(336)],
        help_text="Patients may cancel or move an appointment from their portal until this "
        "many hours before it starts; later, they are asked to call (0 to 336).",
    )
    # Some clinics, or their regulator, want a patient to sleep on a signed consent before
    # the first needle: the first session of a plan is refused until this has passed.
    cooling_off_hours = models.PositiveSmallIntegerField(
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(720)],
        help_text="Hours the patient has between signing a consent and the plan's first "
        "session (0 to 720; 0 for none).",
    )
    # On every aftercare sheet, page and email beside the site's phone and address.
    out_of_hours = models.CharField(
        max_length=300,
        default=DEFAULT_OUT_OF_HOURS,
        help_text="Printed on every aftercare sheet and email, below the site's phone number "
        "and address. Left empty, the current one is kept.",
    )
    # Where the clinic practises, as an ISO 3166-2 code: some rules are law in one place
    # only (cosmetic filler below 18 is illegal in England, GB-ENG; clinical-reference §7).
    jurisdiction = models.CharField(
        max_length=10,
        blank=True,
        choices=[("", "Elsewhere / not set"), ("GB-ENG", "England"), ("GB-SCT", "Scotland"),
                 ("GB-WLS", "Wales"), ("GB-NIR", "Northern Ireland")],
        help_text="Rules that are law in one place only follow it.",
    )  # fmt: skip
    # The letterhead of invoices, consents and aftercare sheets (accounts/letterhead.py).
    legal_name = models.CharField(
        max_length=200, blank=True, help_text="As registered; the clinic's name if empty."
    )
    postal_address = models.TextField(blank=True)
    tax_number = models.CharField(max_length=40, blank=True)
    # A name in the "letterheads" storage: a PNG or JPEG checked by its content.
    logo = models.CharField(max_length=200, blank=True, editable=False)
    prices_include_tax = models.BooleanField(
        default=False,
        help_text="Tick when the price list's prices already include tax; otherwise tax is "
        "added to them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100), name="org_tax_rate_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(out_of_hours=""), name="org_out_of_hours_set"
            ),
            models.CheckConstraint(
                condition=models.Q(cancel_notice_hours__lte=336), name="org_cancel_notice_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """A stored time zone name as a zone, or UTC if this machine does not know it."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class Site(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")

    # `Site.objects` is scoped like clinical rows: the current organization's sites only.
    # Django's own uses (a model form's default choices, built when the form class is
    # defined, before any request) take the default manager, unscoped; a site of another
    # organization picked through one is still refused when a clinical row is saved.
    objects = OrgManager()
    all_orgs = models.Manager()  # noqa: DJ012 - ruff reads this manager as a field

    class Meta:
        default_manager_name = "all_orgs"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="site_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """Where the site's clocks are: appointments are stored in UTC, shown in this."""
        return zone_named(self.time_zone)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        raise NotImplementedError("mesoclinic has no superusers; create an organization owner")


# The system account an organization's integration token acts as (api.tokens) has an
# address here: it is no person, so it is never offered as a clinician or mailed.
INTEGRATION_DOMAIN = "@integrations.invalid"
PEOPLE = ~models.Q(email__endswith=INTEGRATION_DOMAIN)


class User(AbstractBaseUser, PermissionsMixin):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    sites = models.ManyToManyField(Site, blank=True, related_name="staff")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    # Authentication (login, django-axes, password reset) finds a user before any
    # organization is known: the default manager stays unscoped. Code that lists or
    # looks up colleagues uses `in_org`, scoped like clinical rows.
    objects = UserManager()
    in_org = OrgManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    # Set for display on the staff page (annotations only, no columns).
    licence_rows: list["ClinicalLicence"]
    can_practise: bool

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        # Django's admin is not used for clinic data; nobody gets into it.
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    # Only the hash is stored: a database leak must not yield usable invitation links.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Scoped like clinical rows; accepting one (before any login) uses `all_orgs`.
    objects = OrgManager()
    all_orgs = models.Manager()  # noqa: DJ012 - ruff reads this manager as a field

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class LicenceType(models.TextChoices):
    PHYSICIAN = "physician", "Physician"
    NURSE_PRESCRIBER = "nurse_prescriber", "Nurse prescriber"
    NURSE = "nurse", "Nurse"
    AESTHETICIAN = "aesthetician", "Aesthetician"


# Types that allow prescribing: the clinical reference (§7) lets only these chart
# prescription ingredients, supervise, and sign off a session.
PRESCRIBING = frozenset({LicenceType.PHYSICIAN, LicenceType.NURSE_PRESCRIBER})


class ClinicalLicence(VoidableRecord):
    """A registration a colleague holds, as the owner recorded it from the register.

    Never deleted: one recorded in error is voided with a reason, and an expired one
    stays on the staff page as a warning.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="licences")
    licence_type = models.CharField(max_length=20, choices=LicenceType.choices)
    number = models.CharField(max_length=60)
    jurisdiction = models.CharField(max_length=100, help_text="Who issued it, e.g. GMC (UK)")
    expires_on = models.DateField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-expires_on"], name="licence_user_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(licence_type__in=[t.value for t in LicenceType]),
                name="licence_type_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_licence_type_display()} {self.number} ({self.jurisdiction})"

    @property
    def is_prescribing(self) -> bool:
        return self.licence_type in PRESCRIBING

    def is_valid_on(self, on_date: date) -> bool:
        return self.voided_at is None and self.expires_on >= on_date
