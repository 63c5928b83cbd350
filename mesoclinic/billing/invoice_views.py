"""Invoice pages: the list, one invoice with its lines and payments, its PDF, and the
acts on it (draft from a session or by hand, add a line, issue, credit). Access: the
BILLING capability (owners, practitioners, reception); another organization's invoice
is not found. Every read and change is audited."""

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import invoice_document, invoicing
from mesoclinic.billing import invoice_forms as forms
from mesoclinic.billing.models import Invoice, InvoiceKind, InvoiceLine
from mesoclinic.billing.money import plain
from mesoclinic.patients.access import get_patient
from mesoclinic.treatments.access import get_session

PAGE_SIZE = 50


def get_invoice(public_id: uuid.UUID) -> Invoice:
    """An invoice or credit note of the organization, or 404."""
    rows = Invoice.objects.select_related("patient", "site", "issued_by", "credits", "session")
    return get_object_or_404(rows, public_id=public_id)


def _context(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
    return {
        "invoice": invoice,
        "lines": lines,
        "money": plain,
        "draft_totals": invoicing.draft_totals(lines) if not invoice.is_issued else None,
        "credit_notes": list(invoice.credit_notes.order_by("number"))
        if invoice.kind == InvoiceKind.INVOICE
        else [],
        "line_form": extra.pop("line_form", None) or forms.LineForm(),
        "credit_form": extra.pop("credit_form", None) or forms.CreditForm(),
        **extra,
    }


@require_GET
@require(roles.BILLING)
def invoice_list(request: AuthedRequest) -> HttpResponse:
    form = forms.ListFilter(request.GET or None)
    rows = Invoice.objects.select_related("patient", "site").order_by("-created_at", "-pk")
    if form.is_valid():
        if status := form.cleaned_data["status"]:
            rows = rows.filter(status=status)
        if kind := form.cleaned_data["kind"]:
            rows = rows.filter(kind=kind)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    record(request.user, Action.SEARCH, object_type="invoice", detail=f"page {page.number}")
    context = {"form": form, "page": page, "money": plain}
    return render(request, "billing/invoice_list.html", context)


@require_GET
@require(roles.BILLING)
def invoice_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = get_invoice(public_id)
    record(request.user, Action.VIEW, invoice, detail=invoice.description)
    return render(request, "billing/invoice_detail.html", _context(invoice))


@require_POST
@require(roles.BILLING)
def session_invoice(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    try:
        drafted = invoicing.draft_for_session(request.user, session)
    except invoicing.InvoiceRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("session_detail", public_id=session.public_id)
    if drafted.unpriced:
        messages.warning(
            request,
            "No price yet for " + ", ".join(drafted.unpriced) + ": add a line by hand or "
            "ask the owner to price it.",
        )
    return redirect("invoice_detail", public_id=drafted.invoice.public_id)


@require_POST
@require(roles.BILLING)
def patient_invoice_new(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    site = patient.usual_site(request.user) or Site.objects.order_by("name").first()
    if site is None:
        raise Http404
    invoice = invoicing.draft_for_patient(request.user, patient, site)
    return redirect("invoice_detail", public_id=invoice.public_id)


@require_POST
@require(roles.BILLING)
def invoice_line_add(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = get_invoice(public_id)
    form = forms.LineForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invoicing.add_line(
                request.user,
                invoice,
                kind=data["kind"],
                description=data["description"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                discount=data["discount"] or Decimal(0),
                discount_reason=data["discount_reason"],
            )
        except invoicing.InvoiceRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            return redirect("invoice_detail", public_id=invoice.public_id)
    record(request.user, Action.VIEW, invoice, detail=invoice.description)
    return render(
        request, "billing/invoice_detail.html", _context(invoice, line_form=form), status=400
    )


@require_POST
@require(roles.BILLING)
def invoice_issue(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = get_invoice(public_id)
    try:
        issued = invoicing.issue(request.user, invoice)
    except invoicing.InvoiceRefused as refusal:
        record(request.user, Action.VIEW, invoice, detail=invoice.description)
        context = _context(invoice, refusal=refusal.message)
        return render(request, "billing/invoice_detail.html", context, status=400)
    messages.success(request, f"Issued as {issued.description}.")
    return redirect("invoice_detail", public_id=invoice.public_id)


@require_POST
@require(roles.BILLING)
def invoice_credit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = get_invoice(public_id)
    form = forms.CreditForm(request.POST)
    if form.is_valid():
        try:
            chosen = [int(x) for x in request.POST.getlist("line") if x.isdigit()]
            note = invoicing.credit(
                request.user, invoice, form.cleaned_data["reason"], chosen or None
            )
        except invoicing.InvoiceRefused as refusal:
            form.add_error("reason" if refusal.field == "reason" else None, refusal.message)
        else:
            messages.success(request, f"{note.description} issued for {invoice.description}.")
            return redirect("invoice_detail", public_id=note.public_id)
    record(request.user, Action.VIEW, invoice, detail=invoice.description)
    return render(
        request, "billing/invoice_detail.html", _context(invoice, credit_form=form), status=400
    )


@require_GET
@require(roles.BILLING)
def invoice_pdf(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    invoice = get_invoice(public_id)
    pdf = invoice_document.pdf(invoice, request.user.organization)
    record(request.user, Action.EXPORT, invoice, detail=f"{invoice.description} PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = invoice.description.lower().replace(" ", "-")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response
