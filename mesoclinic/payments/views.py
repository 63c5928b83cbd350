"""A patient's account, taking a payment and giving money back (issue 17)."""

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import prices
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.payments import forms, invoices, ledger, packages, services
from mesoclinic.payments.access import get_payment, takes_payments
from mesoclinic.payments.models import Payment
from mesoclinic.payments.money import format_amount


def account_context(patient: Patient) -> dict[str, Any]:
    """What the account page shows, in a fixed number of queries whatever the history."""
    return {
        "patient": patient,
        "balance": ledger.balance(patient),
        "invoices": invoices.of_patient(patient),
        "payments": list(ledger.payments_of(patient)),
        "refunds": list(ledger.refunds_of(patient)),
        "packages": list(ledger.packages_of(patient)),
        "currency": patient.organization.currency,
        "money": format_amount,
    }


@require_GET
@takes_payments
def account(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    context = account_context(patient)
    record(request.user, Action.VIEW, patient, fields=["account"], detail="account")
    return render(request, "payments/account.html", context)


def _refused(form: Any, refusal: services.PaymentRefused) -> None:
    field = refusal.field if refusal.field in form.fields else None
    form.add_error(field, refusal.message)


@require_http_methods(["GET", "POST"])
@takes_payments
def take(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    initial = _take_initial(request, patient) if request.method == "GET" else None
    form = forms.PaymentForm(
        request.POST or None,
        patient=patient,
        site=patient.usual_site(request.user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            taken = services.take_payment(
                request.user,
                patient,
                site=data["site"],
                method=data["method"],
                amount=data["amount"],
                reference=data["reference"],
                invoice=data["invoice"],
                package=data.get("package"),
                submission_key=data["submission_key"],
            )
        except services.PaymentRefused as refusal:
            _refused(form, refusal)
        else:
            _tell(request, taken, "Payment")
            return redirect("payment_account", patient.public_id)
    record(request.user, Action.VIEW, patient, fields=["account"], detail="take payment")
    context = {"patient": patient, "form": form, "currency": patient.organization.currency}
    status = 400 if form.errors else 200
    return render(request, "payments/take.html", context, status=status)


def _take_initial(request: AuthedRequest, patient: Patient) -> dict[str, Any]:
    """From an invoice's "Take payment" link: that invoice, and what is due on it."""
    try:
        chosen = uuid.UUID(request.GET.get("invoice", ""))
    except ValueError:
        return {}
    invoice = invoices.payable(patient).filter(public_id=chosen).first()
    if invoice is None:
        return {}
    return {"invoice": invoice.public_id, "amount": invoices.due_now(invoice).due}


def _tell(request: AuthedRequest, taken: services.Taken, what: str) -> None:
    amount = format_amount(taken.row.amount, request.user.organization.currency)
    if taken.created:
        messages.success(request, f"{what} of {amount} recorded.")
    else:
        messages.info(request, f"This {what.lower()} of {amount} was already recorded.")


@require_http_methods(["GET", "POST"])
@takes_payments
def refund(request: AuthedRequest, payment_id: uuid.UUID) -> HttpResponse:
    payment = get_payment(payment_id)
    form = forms.RefundForm(
        request.POST or None,
        site=payment.site,
        initial={"method": payment.method, "amount": _left(payment)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            taken = services.refund(
                request.user,
                payment,
                site=data["site"],
                method=data["method"],
                amount=data["amount"],
                reason=data["reason"],
                reference=data["reference"],
                submission_key=data["submission_key"],
            )
        except services.PaymentRefused as refusal:
            _refused(form, refusal)
        else:
            _tell(request, taken, "Refund")
            return redirect("payment_account", payment.patient.public_id)
    record(request.user, Action.VIEW, payment, fields=["refunds"], detail="refund")
    context = {"payment": payment, "left": _left(payment), "form": form, "money": format_amount}
    status = 400 if form.errors else 200
    return render(request, "payments/refund.html", context, status=status)


def _left(payment: Payment) -> Any:
    return payment.amount - services.refunded(payment)


@require_GET
@takes_payments
def invoice_panel(request: AuthedRequest, invoice_id: uuid.UUID) -> HttpResponse:
    """The invoice page's payment panel (an HTMX partial): paid, due, and its payments."""
    invoice = invoices.get_issued_invoice(invoice_id)
    context = {
        "invoice": invoice,
        "due": invoices.due_now(invoice),
        "payments": list(ledger.payments_of(invoice.patient).filter(invoice=invoice)),
        "money": format_amount,
    }
    record(request.user, Action.VIEW, invoice, fields=["payments"], detail="payments")
    return render(request, "payments/_invoice_panel.html", context)


@require_http_methods(["GET", "POST"])
@takes_payments
def sell_package(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    form = forms.SellPackageForm(
        request.POST or None,
        patient=patient,
        book=prices.current(),
        site=patient.usual_site(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = data["package"]
        package = packages.sell(
            request.user,
            patient,
            site=data["site"],
            name=chosen.name,
            protocol=chosen.protocol,
            sessions=chosen.sessions,
            price=chosen.amount,
            invoice=data["invoice"],
            bill=True,
            submission_key=data["submission_key"],
        )
        billed = f"; {package.invoice.description} charges it" if package.invoice else ""
        messages.success(request, f"{package.name} sold: {package.sessions} sessions{billed}.")
        return redirect("payment_account", patient.public_id)
    record(request.user, Action.VIEW, patient, fields=["packages"], detail="sell package")
    context = {"patient": patient, "form": form}
    status = 400 if form.errors else 200
    return render(request, "payments/sell_package.html", context, status=status)
