"""Billing's issued invoices as the desk pays them (issue 17): what each charged, what its
credit notes gave back, what was paid against it and what is still due.

Billing sits below payments and never reads payments: the figures are summed here, in
one query per list (correlated sums), whatever the number of invoices or payments.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Sum
from django.db.models.functions import Abs
from django.shortcuts import get_object_or_404

from mesoclinic.billing.models import Invoice, InvoiceKind, InvoiceStatus
from mesoclinic.patients.models import Patient
from mesoclinic.payments.models import Payment, Refund
from mesoclinic.payments.money import ZERO, cents
from mesoclinic.payments.sums import summed

STATES = {"paid": "Paid", "part-paid": "Part paid", "unpaid": "Unpaid"}


@dataclass(frozen=True)
class InvoiceDue:
    public_id: uuid.UUID
    label: str
    kind: str
    issued_at: datetime | None
    total: Decimal
    credited: Decimal
    paid: Decimal  # payments against it less their refunds

    @property
    def is_invoice(self) -> bool:
        return self.kind == InvoiceKind.INVOICE

    @property
    def due(self) -> Decimal:
        return max(ZERO, cents(self.total - self.credited - self.paid))

    @property
    def state(self) -> str:
        if self.due == ZERO:
            return "paid"
        return "part-paid" if self.paid > ZERO or self.credited > ZERO else "unpaid"

    @property
    def state_label(self) -> str:
        return STATES[self.state]


def issued() -> QuerySet[Invoice]:
    return Invoice.objects.filter(status=InvoiceStatus.ISSUED)


def with_dues(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice with what was paid against it, refunded of that, and credited."""
    return invoices.annotate(
        paid_in=summed(Payment.objects.filter(invoice=OuterRef("pk"))),
        paid_back=summed(Refund.objects.filter(payment__invoice=OuterRef("pk"))),
        credited=summed(issued().filter(credits=OuterRef("pk")), "total_gross"),
    )


def due_of(invoice: Invoice) -> InvoiceDue:
    """`invoice` as annotated by `with_dues`."""
    credited = abs(getattr(invoice, "credited", ZERO))
    paid = getattr(invoice, "paid_in", ZERO) - getattr(invoice, "paid_back", ZERO)
    return InvoiceDue(
        public_id=invoice.public_id,
        label=invoice.description,
        kind=invoice.kind,
        issued_at=invoice.issued_at,
        total=abs(invoice.total_gross),
        credited=credited,
        paid=cents(paid),
    )


def of_patient(patient: Patient) -> list[InvoiceDue]:
    """The patient's issued invoices and credit notes, newest first."""
    rows = with_dues(issued().filter(patient=patient)).order_by("-issued_at", "-pk")
    return [due_of(invoice) for invoice in rows]


def payable(patient: Patient) -> QuerySet[Invoice]:
    """The patient's issued invoices a payment may be allocated to."""
    return issued().filter(patient=patient, kind=InvoiceKind.INVOICE).order_by("-issued_at")


def due_now(invoice: Invoice) -> InvoiceDue:
    return due_of(with_dues(Invoice.objects.filter(pk=invoice.pk)).get())


def get_issued_invoice(public_id: uuid.UUID) -> Invoice:
    """An issued invoice of the user's organization, with its patient, or 404."""
    return get_object_or_404(
        issued().filter(kind=InvoiceKind.INVOICE).select_related("patient"),
        public_id=public_id,
    )


def issued_totals(patient: Patient) -> tuple[Decimal, Decimal]:
    """What the patient's issued invoices charged and their issued credit notes gave back
    (a credit note counts by its size, whichever sign billing stores it with)."""
    rows = (
        issued()
        .filter(patient=patient)
        .values("kind")
        .annotate(total=Sum(Abs("total_gross")))
        .order_by()
    )
    totals = {row["kind"]: row["total"] for row in rows}
    return (
        cents(totals.get(InvoiceKind.INVOICE) or ZERO),
        cents(totals.get(InvoiceKind.CREDIT_NOTE) or ZERO),
    )
