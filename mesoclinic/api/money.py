"""Invoices, payments and a patient's balance: what the desk's money pages show, and
taking a payment through `payments.services.take_payment` (its rules, its audit).

Whoever bills (roles.BILLING: owners, practitioners, reception) reads and pays; invoice
lines name treatments and areas, never doses or notes, so nothing here is clinical.
"""

from typing import Any, Literal
from uuid import UUID

from django.http import Http404
from ninja import Header, Query, Router, Status

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import NO_KEY, body_doc, parse, refused, submission_key
from mesoclinic.audit.log import Action, record
from mesoclinic.billing.models import Invoice, InvoiceKind, InvoiceLine
from mesoclinic.patients.access import get_patient
from mesoclinic.payments import invoices, ledger, services
from mesoclinic.payments.access import get_payment
from mesoclinic.payments.models import PackageSale, Payment
from mesoclinic.scheduling.access import get_site

invoices_router = Router(tags=["invoices"])
payments_router = Router(tags=["payments"])

INVOICE_SORTS = {"newest": ("-created_at", "-pk"), "oldest": ("created_at", "pk")}
PAYMENT_SORTS = {"newest": ("-taken_at", "-pk"), "oldest": ("taken_at", "pk")}


class InvoiceParams(cursor.PageParams):
    status: d.InvoiceStatusName | None = None
    kind: d.InvoiceKindName | None = None
    patient: UUID | None = None
    sort: Literal["newest", "oldest"] = "newest"


class PaymentParams(cursor.PageParams):
    patient: UUID
    invoice: UUID | None = None
    sort: Literal["newest", "oldest"] = "newest"


def get_invoice(public_id: UUID) -> Invoice:
    """An invoice or credit note of the caller's organization, with its dues, or 404."""
    rows = invoices.with_dues(Invoice.objects.select_related("patient", "site", "credits"))
    found = rows.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


def _summary(invoice: Invoice) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": invoice.public_id,
        "patient": invoice.patient.public_id,
        "description": invoice.description,
        "kind": invoice.kind,
        "status": invoice.status,
        "number": invoice.number,
        "issued_at": invoice.issued_at,
        "currency": invoice.currency,
        "total_net": invoice.total_net,
        "total_tax": invoice.total_tax,
        "total_gross": invoice.total_gross,
        "paid": None,
        "due": None,
    }
    if invoice.is_issued:
        due = invoices.due_of(invoice)
        data["paid"] = due.paid
        if due.is_invoice:
            data.update(due=due.due, state=due.state)
    return data


def _line(line: InvoiceLine) -> dict[str, Any]:
    fields = ("position", "kind", "description", "quantity", "unit_price", "tax_rate")
    money = ("discount", "discount_reason", "net", "tax", "gross")
    return {name: getattr(line, name) for name in (*fields, *money)}


def _payment(payment: Payment, refunds: list[Any]) -> dict[str, Any]:
    return {
        "id": payment.public_id,
        "patient": payment.patient.public_id,
        "site": payment.site.public_id,
        "invoice": payment.invoice.public_id if payment.invoice else None,
        "method": payment.method,
        "amount": payment.amount,
        "currency": payment.currency,
        "reference": payment.reference,
        "taken_by": payment.taken_by.full_name,
        "taken_at": payment.taken_at,
        "refunded": getattr(payment, "refunded", None) or sum(r.amount for r in refunds),
        "refunds": [
            {
                "id": r.public_id,
                "method": r.method,
                "amount": r.amount,
                "reference": r.reference,
                "reason": r.reason,
                "refunded_at": r.refunded_at,
            }
            for r in refunds
        ],
    }


def _with_refunds(rows: Any) -> Any:
    """Payments with what each shows: two queries however many payments and refunds."""
    return rows.select_related("patient", "site", "invoice", "taken_by").prefetch_related("refunds")


def _payments(found: Any) -> list[dict[str, Any]]:
    return [_payment(p, sorted(p.refunds.all(), key=lambda r: r.refunded_at)) for p in found]


@invoices_router.get("", response={200: d.InvoicePage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_invoices(request: AuthedRequest, params: Query[InvoiceParams]) -> dict[str, Any]:
    require(request, roles.BILLING)
    rows = invoices.with_dues(Invoice.objects.select_related("patient"))
    if params.patient is not None:
        rows = rows.filter(patient=get_patient(params.patient))
    if params.status:
        rows = rows.filter(status=params.status)
    if params.kind:
        rows = rows.filter(kind=params.kind)
    found, after = cursor.page(rows, INVOICE_SORTS[params.sort], params)
    record(
        request.user,
        Action.SEARCH,
        object_type="invoice",
        detail=f"api{', next page' if params.cursor else ''}",
    )
    return {"results": [_summary(i) for i in found], "next": after}


@invoices_router.get(
    "/{uuid:invoice_id}", response={200: d.InvoiceDetail, 403: s.Error, 404: s.Error}
)
def invoice_detail(request: AuthedRequest, invoice_id: UUID) -> dict[str, Any]:
    require(request, roles.BILLING)
    invoice = get_invoice(invoice_id)
    record(request.user, Action.VIEW, invoice, detail=f"api {invoice.description}")
    return invoice_out(invoice)


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    """An invoice with its lines and payments, as `GET /invoices/{id}` answers it."""
    lines = InvoiceLine.objects.filter(invoice=invoice).order_by("position")
    paid = Payment.objects.filter(invoice=invoice).order_by("taken_at", "pk")
    return {
        **_summary(invoice),
        "site": invoice.site.public_id,
        "note": invoice.note,
        "credits": invoice.credits.public_id if invoice.credits else None,
        "lines": [_line(line) for line in lines],
        "payments": _payments(_with_refunds(paid)) if invoice.kind == InvoiceKind.INVOICE else [],
    }


@payments_router.get("", response={200: d.PaymentPage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_payments(request: AuthedRequest, params: Query[PaymentParams]) -> dict[str, Any]:
    """A patient's payments (required: `patient`), each with its refunds."""
    require(request, roles.BILLING)
    patient = get_patient(params.patient)
    rows = _with_refunds(Payment.objects.filter(patient=patient))
    if params.invoice is not None:
        rows = rows.filter(invoice=invoices.get_issued_invoice(params.invoice))
    found, after = cursor.page(rows, PAYMENT_SORTS[params.sort], params)
    record(request.user, Action.VIEW, patient, fields=["account"], detail="api payments")
    return {"results": _payments(found), "next": after}


@payments_router.get(
    "/balance/{uuid:patient_id}",
    response={200: d.BalanceOut, 403: s.Error, 404: s.Error},
)
def patient_balance(request: AuthedRequest, patient_id: UUID) -> dict[str, Any]:
    require(request, roles.BILLING)
    patient = get_patient(patient_id)
    balance = ledger.balance(patient)
    record(request.user, Action.VIEW, patient, fields=["account"], detail="api balance")
    return {
        "patient": patient.public_id,
        "currency": patient.organization.currency,
        "invoiced": balance.invoiced,
        "credited": balance.credited,
        "paid": balance.paid,
        "refunded": balance.refunded,
        "owed": balance.owed,
    }


def _package(patient: Any, public_id: UUID | None) -> PackageSale | None:
    if public_id is None:
        return None
    found = PackageSale.objects.filter(patient=patient, public_id=public_id).first()
    if found is None:
        raise services.PaymentRefused("Choose one of the patient's packages.", field="package")
    return found


def _invoice(patient: Any, public_id: UUID | None) -> Invoice | None:
    if public_id is None:
        return None
    found = invoices.payable(patient).filter(public_id=public_id).first()
    if found is None:
        raise services.PaymentRefused("Choose one of the patient's issued invoices.", "invoice")
    return found


@payments_router.post(
    "",
    response={
        200: d.PaymentOut,
        201: d.PaymentOut,
        400: d.FieldErrors,
        403: s.Error,
        404: s.Error,
    },
    summary="Take a payment",
    openapi_extra=body_doc(d.PaymentIn),
)
def take_payment(
    request: AuthedRequest,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Status[Any]:
    """Record money received, once per Idempotency-Key: the same key again answers 200
    with the payment first recorded (201) and records nothing."""
    require(request, roles.BILLING, Scope.WRITE)
    body = parse(request, d.PaymentIn)
    if isinstance(body, Status):
        return body
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    patient = get_patient(body.patient)
    site = get_site(body.site)
    try:
        taken = services.take_payment(
            request.user,
            patient,
            site=site,
            method=body.method,
            amount=body.amount,
            reference=body.reference,
            invoice=_invoice(patient, body.invoice),
            package=_package(patient, body.package),
            submission_key=key,
        )
    except services.PaymentRefused as refusal:
        return refused(refusal.message, refusal.field or None)
    payment = _with_refunds(Payment.objects.filter(pk=taken.row.pk))
    return Status(201 if taken.created else 200, _payments(payment)[0])


@payments_router.post(
    "/{uuid:payment_id}/refunds",
    response={200: d.PaymentOut, 201: d.PaymentOut, 400: d.FieldErrors, 403: s.Error, 404: s.Error},
    summary="Refund a payment",
    openapi_extra=body_doc(d.RefundIn),
)
def refund_payment(
    request: AuthedRequest,
    payment_id: UUID,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Status[Any]:
    """Hand money back against a payment, as the refund page does (never more than is
    left of it), once per Idempotency-Key: the same key again answers 200 and refunds
    nothing more. The answer is the payment with all its refunds."""
    require(request, roles.BILLING, Scope.WRITE)
    payment = get_payment(payment_id)
    body = parse(request, d.RefundIn)
    if isinstance(body, Status):
        return body
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    try:
        taken = services.refund(
            request.user,
            payment,
            site=get_site(body.site),
            method=body.method,
            amount=body.amount,
            reason=body.reason,
            reference=body.reference,
            submission_key=key,
        )
    except services.PaymentRefused as refusal:
        return refused(refusal.message, refusal.field or None)
    rows = _payments(_with_refunds(Payment.objects.filter(pk=payment.pk)))
    return Status(201 if taken.created else 200, rows[0])
