"""Taking a payment and giving money back: the only code that writes payments and refunds.

Each function takes the acting user and checks the role itself, so a page, the API or a
command meet the same rules; each writes its audit event in the same transaction. A form
sent twice carries one `submission_key`: the second finds the first's row and writes
nothing (the unique column decides when two arrive at once).
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.billing.models import Invoice, InvoiceKind, InvoiceStatus
from mesoclinic.integrity import second_submission
from mesoclinic.patients.models import Patient
from mesoclinic.payments import invoices, ledger, policy
from mesoclinic.payments.models import REFERENCE_LABEL, Method, PackageSale, Payment, Refund
from mesoclinic.payments.money import ZERO, cents, format_amount, looks_like_card_number

CARD_NUMBER = (
    "This looks like a card number. Never write a card number here: "
    "enter the reference printed by the card terminal instead."
)
NOT_YOURS = "Only staff who handle billing take payments."


class PaymentRefused(Exception):
    """A payment or refund that cannot be recorded as given; `field` names the input."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Taken:
    """What a form's submission recorded: the row, and False when it was a resubmission."""

    row: Payment | Refund
    created: bool


def check_free_text(value: str, field: str) -> None:
    if looks_like_card_number(value):
        raise PaymentRefused(CARD_NUMBER, field=field)


def _check_amount(amount: Decimal) -> Decimal:
    if cents(amount) != amount or amount <= ZERO:
        raise PaymentRefused("Enter an amount above zero, to the cent.", field="amount")
    return amount


def _check_reference(method: str, reference: str) -> None:
    label = REFERENCE_LABEL.get(Method(method))
    if label and not reference.strip():
        raise PaymentRefused(f"Enter the {label.lower()}.", field="reference")
    check_free_text(reference, "reference")


def _check_package(
    patient: Patient, method: str, package: PackageSale | None, amount: Decimal
) -> None:
    if method != Method.PACKAGE_CREDIT:
        if package is not None:
            raise PaymentRefused("Only a package credit payment names a package.", "package")
        return
    if package is None or package.patient_id != patient.pk:
        raise PaymentRefused("Choose one of the patient's packages.", field="package")
    left = ledger.package_money_left(package)
    if amount > left:
        raise PaymentRefused(
            f"Only {format_amount(left, package.currency)} is left on this package.",
            field="amount",
        )


def _check_invoice(patient: Patient, invoice: Invoice | None, amount: Decimal) -> None:
    if invoice is None:
        return
    if (
        invoice.patient_id != patient.pk
        or invoice.status != InvoiceStatus.ISSUED
        or invoice.kind != InvoiceKind.INVOICE
    ):
        raise PaymentRefused("Choose one of the patient's issued invoices.", field="invoice")
    due = invoices.due_now(invoice).due
    if amount > due:
        raise PaymentRefused(
            f"Only {format_amount(due, invoice.currency)} is due on {invoice.description}; "
            "take the rest without choosing an invoice.",
            field="amount",
        )


def _currency(patient: Patient, invoice: Invoice | None, package: PackageSale | None) -> str:
    """The invoice's currency when it pays one, else the package's, else the clinic's."""
    if invoice is not None:
        return invoice.currency
    if package is not None:
        return package.currency
    return patient.organization.currency


def take_payment(
    user: User,
    patient: Patient,
    *,
    site: Site,
    method: str,
    amount: Decimal,
    reference: str = "",
    invoice: Invoice | None = None,
    package: PackageSale | None = None,
    submission_key: uuid.UUID,
) -> Taken:
    """Record money received from `patient` at `site`, once per `submission_key`,
    against one of their issued invoices if `invoice` is given (never more than is due
    on it)."""
    if not policy.takes_payments(user):
        raise PermissionDenied(NOT_YOURS)
    if (existing := Payment.objects.filter(submission_key=submission_key).first()) is not None:
        return Taken(existing, created=False)
    _check_amount(amount)
    _check_reference(method, reference)
    reference = " ".join(reference.split())
    try:
        with transaction.atomic():
            # Two desks paying one invoice or spending one package wait for each other.
            if invoice is not None:
                invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
            if package is not None:
                package = PackageSale.objects.select_for_update().get(pk=package.pk)
            _check_invoice(patient, invoice, amount)
            _check_package(patient, method, package, amount)
            payment = Payment.objects.create(
                patient=patient,
                site=site,
                method=method,
                amount=amount,
                currency=_currency(patient, invoice, package),
                reference=reference,
                invoice=invoice,
                package=package,
                taken_by=user,
                taken_at=timezone.now(),
                submission_key=submission_key,
                changed_by=user,
            )
            record(user, Action.CREATE, payment, fields=["amount", "method"], detail=method)
    except IntegrityError as error:
        if not second_submission(error, "payments_payment"):
            raise
        return Taken(Payment.objects.get(submission_key=submission_key), created=False)
    return Taken(payment, created=True)


def refund(
    user: User,
    payment: Payment,
    *,
    site: Site,
    method: str,
    amount: Decimal,
    reason: str,
    reference: str = "",
    submission_key: uuid.UUID,
) -> Taken:
    """Give back part or all of what remains of `payment`, once per `submission_key`."""
    if not policy.takes_payments(user):
        raise PermissionDenied(NOT_YOURS)
    if (existing := Refund.objects.filter(submission_key=submission_key).first()) is not None:
        return Taken(existing, created=False)
    _check_amount(amount)
    reason = " ".join(reason.split())
    if not reason:
        raise PaymentRefused("Say why the money is given back.", field="reason")
    check_free_text(reason, "reason")
    check_free_text(reference, "reference")
    try:
        with transaction.atomic():
            # Two refunds of one payment at once: the second waits, then sees the first.
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            left = locked.amount - refunded(locked)
            if amount > left:
                raise PaymentRefused(
                    f"At most {format_amount(left, locked.currency)} of this payment "
                    "remains to refund.",
                    field="amount",
                )
            row = Refund.objects.create(
                payment=locked,
                site=site,
                method=method,
                amount=amount,
                reference=" ".join(reference.split()),
                reason=reason[:300],
                refunded_by=user,
                refunded_at=timezone.now(),
                submission_key=submission_key,
                changed_by=user,
            )
            record(user, Action.CREATE, row, fields=["amount", "method", "reason"], detail=method)
    except IntegrityError as error:
        if not second_submission(error, "payments_refund"):
            raise
        return Taken(Refund.objects.get(submission_key=submission_key), created=False)
    return Taken(row, created=True)


def refunded(payment: Payment) -> Decimal:
    total = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"]
    return total or ZERO
