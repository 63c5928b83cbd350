"""Money received and given back (issue 17): payments against a patient, optionally
allocated to one issued invoice; refunds against a payment; course packages sold and the
sessions drawn from them.

Payments, refunds and package sales are kept as recorded: database triggers (migration
0002) refuse UPDATE and DELETE, and a refund that would give back more than what remains
of its payment. A mistake is put right by a refund, never an edit. Every form carries a
`submission_key` (a hidden UUID, unique here), so a double click or a retried POST
records one row.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.payments.money import cents
from mesoclinic.records import ClinicalRecord
from mesoclinic.tenancy import OrgOwned


class Method(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    PACKAGE_CREDIT = "package_credit", "Package credit"
    VOUCHER = "voucher", "Gift voucher"


# What the reference field holds for each method, and whether it is required. A card
# payment keeps the terminal's reference, never the card number (forms refuse one).
REFERENCE_LABEL = {
    Method.CARD: "Terminal reference",
    Method.BANK_TRANSFER: "Bank reference",
    Method.VOUCHER: "Voucher code",
}


class Payment(ClinicalRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    # The issued invoice it settles (in part or whole), if the desk said which.
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Paid from a course package's money (method package credit only).
    package = models.ForeignKey(
        "payments.PackageSale", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=60, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField()
    submission_key = models.UUIDField(unique=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-taken_at"], name="payment_patient"),
            models.Index(fields=["organization", "site", "taken_at"], name="payment_site_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(method__in=[m.value for m in Method]), name="payment_method_valid"
            ),
            models.CheckConstraint(
                condition=~Q(method__in=list(REFERENCE_LABEL)) | ~Q(reference=""),
                name="payment_reference_given",
            ),
            models.CheckConstraint(
                condition=Q(method="package_credit", package__isnull=False)
                | (~Q(method="package_credit") & Q(package__isnull=True)),
                name="payment_package_credit_names_package",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.currency} {self.amount}"


class Refund(ClinicalRecord):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reference = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=300)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    refunded_at = models.DateTimeField()
    submission_key = models.UUIDField(unique=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "site", "refunded_at"], name="refund_site_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=~Q(reason=""), name="refund_reason_given"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount}"


class PackageSale(ClinicalRecord):
    """A course package sold to a patient: `sessions` sessions of `protocol` for `price`,
    from the price list in force, on the invoice that charged it."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200)
    protocol = models.CharField(max_length=64)
    sessions = models.PositiveSmallIntegerField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sold_at = models.DateTimeField()
    submission_key = models.UUIDField(unique=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["patient", "protocol"], name="package_patient_protocol")]
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gt=0), name="package_sessions_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def session_price(self) -> Decimal:
        return cents(self.price / self.sessions)


class PackageDraw(OrgOwned):
    """One signed session taken from a package. A session draws at most once (its row is
    unique); a voided session's draw no longer counts, so voiding gives the session back
    without a write here."""

    package = models.ForeignKey(PackageSale, on_delete=models.PROTECT, related_name="draws")
    session = models.OneToOneField(
        "treatments.TreatmentSession", on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Draw from {self.package_id}"
