"""Schemas of the desk's resources: appointments, outcomes, photos, lots and money.

Money is a decimal string ("120.00") in the document's currency, never a float; ids are
the records' public ids; choice fields list their values exactly (`Literal`), so the
OpenAPI document says what a client may send and receives.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

Money = Decimal  # serialized as a string: "120.00"


class FieldErrors(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="Messages per input field, when one is at fault."
    )


# --- money ------------------------------------------------------------------------------

InvoiceStatusName = Literal["draft", "issued"]
InvoiceKindName = Literal["invoice", "credit_note"]
PaidState = Literal["paid", "part-paid", "unpaid"]
MethodName = Literal["cash", "card", "bank_transfer", "package_credit", "voucher"]


class InvoiceSummary(Schema):
    id: UUID
    patient: UUID
    description: str = Field(description='"Invoice 42", "Credit note 43" or "Draft invoice".')
    kind: InvoiceKindName
    status: InvoiceStatusName
    number: int | None
    issued_at: datetime | None
    currency: str
    total_net: Money
    total_tax: Money
    total_gross: Money
    paid: Money | None = Field(description="Paid against it less refunds; null for a draft.")
    due: Money | None = Field(description="Still due; null for a draft or a credit note.")
    state: PaidState | None = None


class InvoiceLineOut(Schema):
    position: int
    kind: Literal[
        "treatment", "product", "numbing", "consultation", "package", "deposit", "discount", "other"
    ]
    description: str = Field(description="Treatment and area names; never doses or notes.")
    quantity: Decimal
    unit_price: Money
    tax_rate: Decimal = Field(description="Percent.")
    discount: Money
    discount_reason: str
    net: Money
    tax: Money
    gross: Money


class RefundOut(Schema):
    id: UUID
    method: MethodName
    amount: Money
    reference: str
    reason: str
    refunded_at: datetime


class PaymentOut(Schema):
    id: UUID
    patient: UUID
    site: UUID
    invoice: UUID | None
    method: MethodName
    amount: Money
    currency: str
    reference: str
    taken_by: str
    taken_at: datetime
    refunded: Money
    refunds: list[RefundOut]


class InvoiceDetail(InvoiceSummary):
    site: UUID
    note: str
    credits: UUID | None = Field(description="The invoice a credit note credits.")
    lines: list[InvoiceLineOut]
    payments: list[PaymentOut]


class InvoiceDrafted(InvoiceDetail):
    unpriced: list[str] = Field(
        default_factory=list,
        description="What the price list has no price for yet: add a line by hand.",
    )


class InvoiceDraftIn(Schema):
    session: UUID | None = Field(None, description="A signed session: drafted from it.")
    patient: UUID | None = Field(None, description="Without a session: an empty draft.")
    site: UUID | None = Field(None, description="With `patient`: the patient's usual one.")


ManualLineKind = Literal["consultation", "deposit", "other", "numbing"]


class LineIn(Schema):
    kind: ManualLineKind
    description: str = Field(max_length=200, description="As the patient reads it.")
    quantity: Decimal = Field(Decimal("1"), max_digits=9, decimal_places=2)
    unit_price: Decimal = Field(max_digits=12, decimal_places=2)
    discount: Decimal = Field(Decimal("0"), max_digits=12, decimal_places=2)
    discount_reason: str = Field("", max_length=200)
    line_count: int = Field(
        ge=0, description="The draft's lines as read: one added since is a 409."
    )


class CreditIn(Schema):
    reason: str = Field(max_length=2000, description="Why the invoice is corrected.")
    lines: list[int] | None = Field(
        None, description="Positions of the lines to credit; none: every line."
    )


class InvoicePage(Schema):
    results: list[InvoiceSummary]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class PaymentPage(Schema):
    results: list[PaymentOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class BalanceOut(Schema):
    patient: UUID
    currency: str
    invoiced: Money
    credited: Money
    paid: Money
    refunded: Money
    owed: Money = Field(description="Positive: the patient owes it; negative: held for them.")


class PaymentIn(Schema):
    patient: UUID
    site: UUID
    method: MethodName
    amount: Decimal = Field(
        max_digits=12, decimal_places=2, description='Above zero, to the cent: "80.00".'
    )
    reference: str = Field(
        "", max_length=60, description="Terminal or bank reference, voucher code."
    )
    invoice: UUID | None = Field(None, description="An issued invoice of the patient it pays.")
    package: UUID | None = Field(None, description="The patient's package (package credit only).")


class RefundIn(Schema):
    site: UUID = Field(description="Where the money is handed back.")
    method: MethodName
    amount: Decimal = Field(
        max_digits=12, decimal_places=2, description="Above zero, at most what is left of it."
    )
    reason: str = Field(max_length=300, description="For example: treatment cancelled.")
    reference: str = Field("", max_length=60)


class Named(Schema):
    id: UUID
    name: str


# --- the price list and course packages --------------------------------------------


class PricedArea(Schema):
    area: str = Field(description="The area's code, as plans name it.")
    area_name: str
    treatment_type: Named | None = Field(description="Null: any treatment of the area.")
    amount: Money = Field(description="Per session.")


class PricedProduct(Schema):
    product: str = Field(description="The product's code, as sessions name it.")
    product_name: str
    amount: Money = Field(description="Per unit (vial, ampoule, tube) opened.")


class PackageOffer(Schema):
    index: int = Field(description="Send it, with the list's version, to sell the package.")
    name: str
    protocol: str = Field(description="The protocol's code; its sessions draw the package.")
    protocol_name: str
    sessions: int
    amount: Money = Field(description="For the whole course.")


class PriceListOut(Schema):
    version: int | None = Field(
        description="The version in force (a new save makes N + 1); null before the first."
    )
    currency: str
    saved_at: datetime | None
    saved_by: str | None
    consultation: Money | None = Field(description="Per visit; null: no price yet.")
    numbing: Money | None = Field(description="Per session that used it; null: no price yet.")
    areas: list[PricedArea]
    products: list[PricedProduct]
    packages: list[PackageOffer]


class AreaPriceIn(Schema):
    area: str = Field(description="An area's code.")
    treatment_type: UUID | None = Field(None, description="None: any treatment of the area.")
    amount: Decimal = Field(max_digits=12, decimal_places=2, description="Per session.")


class ProductPriceIn(Schema):
    product: str = Field(description="A product's code.")
    amount: Decimal = Field(max_digits=12, decimal_places=2, description="Per unit opened.")


class PackageIn(Schema):
    name: str = Field(max_length=120)
    protocol: str = Field(description="The protocol's code.")
    sessions: int = Field(ge=1, le=50)
    amount: Decimal = Field(max_digits=12, decimal_places=2, description="The whole course.")


class PriceListIn(Schema):
    """A whole new version: what is left out has no price in it."""

    version: int | None = Field(
        description="The version in force as read (null before the first): saved since is a 409."
    )
    currency: str = Field(max_length=3, description="ISO 4217: USD, EUR...")
    consultation: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    numbing: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    areas: list[AreaPriceIn] = Field(default_factory=list)
    products: list[ProductPriceIn] = Field(default_factory=list)
    packages: list[PackageIn] = Field(default_factory=list, max_length=50)


class PackageOut(Schema):
    id: UUID
    patient: UUID
    site: UUID
    invoice: UUID | None = Field(description="The invoice that charges it.")
    name: str
    protocol: str
    protocol_name: str
    sessions: int
    sessions_used: int = Field(description="Signed sessions drawn; a voided one gives it back.")
    sessions_left: int
    price: Money
    currency: str
    unused_value: Money = Field(description="The price less package credit payments from it.")
    sold_by: str
    sold_at: datetime


class PackagePage(Schema):
    results: list[PackageOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class PackageSaleIn(Schema):
    patient: UUID
    site: UUID = Field(description="Where it is sold.")
    price_list_version: int = Field(
        ge=1, description="As read from /price-list: a list saved since is a 409."
    )
    package: int = Field(ge=0, description="The package's index in that version.")
    invoice: UUID | None = Field(
        None, description="An issued invoice that already charges it; none: one is issued."
    )


class RecallRow(Schema):
    """One charted area that used a lot with the number: who received it, and how to
    reach them."""

    lot_number: str
    product: str
    lot_site: str
    patient_id: UUID
    patient_name: str
    date_of_birth: date
    phone: str
    email: str
    session_id: UUID
    session_date: date
    session_status: str
    site: str
    area: str
    side: str
    volume_ml: Decimal
    injections: int | None


class RecallPage(Schema):
    results: list[RecallRow]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


# --- appointments -----------------------------------------------------------------------

AppointmentStatus = Literal["proposed", "booked", "confirmed", "cancelled", "no_show", "completed"]


class AppointmentOut(Schema):
    id: UUID
    site: Named
    room: Named | None
    practitioner: Named
    patient: Named
    treatment: Named | None
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    arrived_at: datetime | None
    cancel_reason: str
    lock_version: int = Field(description="Send it back to move the appointment.")
    plan: UUID | None = Field(None, description="Clinical callers only.")
    course_session: int | None = Field(None, description="Clinical callers only.")
    course_areas: list[str] | None = Field(None, description="Clinical callers only.")


class AppointmentPage(Schema):
    results: list[AppointmentOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class BookIn(Schema):
    patient: UUID
    site: UUID
    practitioner: UUID
    starts_at: datetime = Field(description="With its UTC offset: 2026-03-02T10:00:00+00:00.")
    treatment: UUID | None = Field(None, description="Its length and room need, if given.")
    minutes: int = Field(45, ge=5, le=480, description="Length without a treatment type.")
    room: UUID | None = Field(None, description="A free room is chosen if none is given.")


class MoveIn(Schema):
    starts_at: datetime
    lock_version: int = Field(description="As read: a change made meanwhile is a 409.")
    room: UUID | None = None
    practitioner: UUID | None = None
    reason: str = Field("", max_length=500, description="Why a course interval is shortened.")
    shift_rest: bool = Field(False, description="Move the course's later sessions as well.")


class CancelIn(Schema):
    reason: str = Field(max_length=300)


# --- lots and stock ---------------------------------------------------------------------

LotState = Literal["usable", "expired", "recalled", "used-up"]


class LotOut(Schema):
    id: UUID
    site: Named
    product: str = Field(description="The catalogue's product key.")
    product_name: str
    lot_number: str
    expires_on: date
    received_on: date
    supplier: str
    vials_received: int
    vials_left: int = Field(description="Quantity on hand, in vials.")
    state: LotState = Field(description="Today, in this precedence.")
    recalled_at: datetime | None
    recall_reason: str


class LotIn(Schema):
    site: UUID
    product: str = Field(description="The catalogue's product key (as LotOut.product).")
    lot_number: str
    expires_on: date
    received_on: date
    vials_received: int = Field(description="At least 1.")
    supplier: str = ""
    invoice_number: str = ""
    unit_cost: Decimal | None = Field(None, description="What one vial cost the clinic.")


class CountLineIn(Schema):
    lot: UUID
    expected: int = Field(description="The lot's vials_left as the counter was shown it.")
    counted: int = Field(ge=0, description="Vials on the shelf.")
    reason: str = Field("", max_length=300, description="Why the count differs, if it does.")


class StockCountIn(Schema):
    site: UUID
    lines: list[CountLineIn] = Field(description="One line per usable lot of the site.")


class StockCountOut(Schema):
    id: UUID
    site: Named
    signed_at: datetime
    counted_by: str
    lots_counted: int
    differences: int


class LotPage(Schema):
    results: list[LotOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class StockOut(Schema):
    site: Named
    product: str
    product_name: str
    vials_left: int = Field(description="In the site's usable lots (in date, not recalled).")
    low_at: int | None = Field(description="The owner's reorder level; null if none is set.")
    low: bool


class StockList(Schema):
    results: list[StockOut]


# --- photos -----------------------------------------------------------------------------


class PhotoOut(Schema):
    id: UUID
    patient: UUID
    view: str = Field(description="The standard view's key, e.g. face-front.")
    view_label: str
    area: str
    side: Literal["", "left", "right"]
    taken_at: datetime
    taken_by: str
    device: str
    session: UUID | None
    width: int
    height: int
    voided: bool
    voided_at: datetime | None
    void_reason: str


class PhotoPage(Schema):
    results: list[PhotoOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class PhotoConsentOut(Schema):
    id: UUID
    scope: Literal["clinical", "teaching", "marketing"]
    meaning: str
    how: Literal["paper", "tablet", "verbal"]
    given_at: datetime
    recorded_by: str
    live: bool = Field(description="False once the patient revoked it.")
    revoked_at: datetime | None
    revoke_reason: str


class PhotoConsentIn(Schema):
    scope: Literal["clinical", "teaching", "marketing"]
    how: Literal["paper", "tablet", "verbal"] = Field(description="How the patient gave it.")
    note: str = Field("", max_length=300, description="A form's reference, a witness.")


class ReasonIn(Schema):
    reason: str = Field(max_length=500, description="Why, in words: at least 3 characters.")


class PhotoConsentList(Schema):
    results: list[PhotoConsentOut]


# --- outcomes ---------------------------------------------------------------------------

TimepointName = Literal["baseline", "each-session", "end", "3-months", "6-months"]


class AssessmentOut(Schema):
    id: UUID
    patient: UUID
    instrument: str = Field(description="The outcome scale's key, e.g. hexsel-css.")
    instrument_name: str
    instrument_version: int
    timepoint: TimepointName
    rater: Literal["clinician", "patient"]
    answers: dict[str, Any]
    total: Decimal
    band: str
    display: str = Field(description="The score as a person reads it.")
    taken_at: datetime
    recorded_by: str
    plan: UUID | None
    protocol: str
    area: str
    side: Literal["", "left", "right"]
    session: UUID | None
    late_reason: str
    amends: UUID | None
    voided: bool
    voided_at: datetime | None
    void_reason: str


class AssessmentPage(Schema):
    results: list[AssessmentOut]
    next: str | None = Field(description="Cursor of the next page; null on the last page.")


class AssessmentIn(Schema):
    patient: UUID
    instrument: str = Field(max_length=64)
    timepoint: TimepointName
    answers: dict[str, Any] = Field(description='As the scale\'s items: {"value": 3}, ...')
    plan: UUID | None = Field(None, description="The patient's plan whose course it scores.")
    protocol: str = Field("", max_length=64)
    area: str = Field("", max_length=64)
    side: Literal["", "left", "right"] = ""
    session: UUID | None = Field(None, description="The patient's session it was taken at.")
    taken_at: datetime | None = Field(None, description="Now if not given; never later.")
    late_reason: str = Field("", max_length=500)
