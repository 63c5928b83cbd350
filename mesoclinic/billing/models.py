"""Invoices and credit notes, their lines, and each organization's number sequence.

Money is `Decimal`, two places. A line's net, tax and gross are computed once, rounded
half up to the cent per line (`billing.money`), and an invoice's totals are the sums of
its lines, stored when it is issued.

Numbering: one gapless sequence per organization shared by invoices and credit notes
(a credit note is the next number after the invoice before it, whatever its kind), so an
auditor sees every document the clinic issued in one unbroken run. `InvoiceCounter`
holds the last number given; issuing takes the next one inside the issuing transaction,
so a failed issue gives its number back. Issued documents and their lines refuse UPDATE
and DELETE in the database (migration 0002).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from mesoclinic.records import ClinicalRecord
from mesoclinic.tenancy import OrgOwned

ONE_INVOICE_PER_SESSION = "invoice_one_per_session"
NUMBER_UNIQUE = "invoice_number_unique"

ZERO = Decimal("0.00")


def money_field(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"


class Invoice(ClinicalRecord):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(
        max_length=8, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    # Set at issue from the organization's one sequence (invoices and credit notes).
    number = models.PositiveIntegerField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(max_length=3)
    # A credit note's invoice.
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    plan = models.ForeignKey(
        "plans.Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A credit note's reason, or the invoice's note to the patient.
    note = models.TextField(blank=True)
    total_net = money_field(default=ZERO)
    total_tax = money_field(default=ZERO)
    total_gross = money_field(default=ZERO)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="invoice_list"),
            models.Index(fields=["patient", "-created_at"], name="invoice_patient"),
        ]
        constraints = [
            # One invoice (draft or issued) per signed session; credit notes point at it.
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(kind="invoice", session__isnull=False),
                name=ONE_INVOICE_PER_SESSION,
            ),
            models.UniqueConstraint(
                fields=["organization", "number"],
                condition=Q(number__isnull=False),
                name=NUMBER_UNIQUE,
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False, issued_at__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", credits__isnull=True)
                | Q(kind="credit_note", credits__isnull=False),
                name="invoice_credit_note_credits",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def is_issued(self) -> bool:
        return self.status == InvoiceStatus.ISSUED

    @property
    def description(self) -> str:
        """ "Invoice 42", "Credit note 43", or "Draft invoice" before it has a number."""
        label = InvoiceKind(self.kind).label
        if self.number is None:
            return f"Draft {label.lower()}"
        return f"{label} {self.number}"


class LineKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PRODUCT = "product", "Product"
    NUMBING = "numbing", "Numbing"
    CONSULTATION = "consultation", "Consultation"
    PACKAGE = "package", "Package"
    DEPOSIT = "deposit", "Deposit"
    DISCOUNT = "discount", "Discount"
    OTHER = "other", "Other"


class InvoiceLine(OrgOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=LineKind.choices)
    # What reception may see: treatment and area names, never doses or clinical notes.
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("1"))
    unit_price = money_field()
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)  # percent
    discount = money_field(default=ZERO)
    discount_reason = models.CharField(max_length=200, blank=True)
    net = money_field(default=ZERO)
    tax = money_field(default=ZERO)
    gross = money_field(default=ZERO)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="invoiceline_discount"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="invoiceline_tax_rate"
            ),
            models.CheckConstraint(
                condition=Q(discount=0) | ~Q(discount_reason=""),
                name="invoiceline_discount_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class InvoiceCounter(OrgOwned):
    """The last number issued in the organization's one sequence (invoices and credit
    notes). Updated inside the issuing transaction: a row lock on PostgreSQL, the write
    lock on SQLite, so two issues get consecutive numbers and a rollback gives it back."""

    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="invoicecounter_one_per_org")
        ]

    def __str__(self) -> str:
        return f"Last invoice number {self.last_number}"
