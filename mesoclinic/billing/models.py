"""Price lists, quote acceptances, invoices and credit notes, their lines, and each
organization's number sequence.

A price list is never edited: saving the owner's price page makes a new version
(`PriceList.version`, 1, 2, ...); quotes and invoices record the version they used.

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

import uuid
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
    price_list = models.ForeignKey(
        "PriceList", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
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


class PriceList(OrgOwned):
    """One saved version of the organization's prices; the newest version is in force.

    Its prices are `Price` rows. A missing price is no row: quotes and invoices say so
    rather than inventing one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # Per visit; None when the clinic does not charge one (or has not priced it yet).
    consultation = money_field(null=True, blank=True)
    # Numbing cream or a local anaesthetic, per session that used it.
    numbing = money_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="pricelist_version")
        ]

    def __str__(self) -> str:
        return f"Price list version {self.version}"


class PriceKind(models.TextChoices):
    AREA = "area", "Area, per session"
    PRODUCT = "product", "Product, per unit used"
    PACKAGE = "package", "Course package"


class Price(OrgOwned):
    """One price of a price list version.

    - AREA: `area` (an engine slug) per session, for `treatment_type` or, when that is
      empty, for any treatment of the area;
    - PRODUCT: `product` (an engine slug) per unit (vial, ampoule, tube) opened, billed
      by use; a product with no price is included in the area's price;
    - PACKAGE: `name`, `sessions` sessions of `protocol` (an engine slug) for `amount`.
    """

    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="prices")
    kind = models.CharField(max_length=8, choices=PriceKind.choices)
    area = models.CharField(max_length=40, blank=True)
    treatment_type = models.ForeignKey(
        "scheduling.TreatmentType",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    product = models.CharField(max_length=60, blank=True)
    protocol = models.CharField(max_length=60, blank=True)
    sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    name = models.CharField(max_length=120, blank=True)
    amount = money_field()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="price_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="area", area__gt="")
                | Q(kind="product", product__gt="")
                | Q(kind="package", protocol__gt="", sessions__gt=0, name__gt=""),
                name="price_names_what_it_prices",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.area or self.product or self.name}: {self.amount}"


class QuoteAcceptance(ClinicalRecord):
    """A patient's acceptance of a plan's quote: who accepted (the patient in the portal,
    or reception recording it at the desk), when, on which price list version and plan
    version, for which amount (low = high unless the number of sessions is a range)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey("plans.Plan", on_delete=models.PROTECT, related_name="+")
    plan_version = models.ForeignKey(
        "plans.PlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    amount_low = money_field()
    amount_high = money_field()
    accepted_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # True when a member of staff recorded it at the desk, False when the patient did.
    at_desk = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["plan", "-accepted_at"], name="quoteacceptance_plan")]

    def __str__(self) -> str:
        return f"Quote accepted {self.accepted_at:%d %b %Y}"
