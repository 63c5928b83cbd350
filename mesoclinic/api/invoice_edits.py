"""Drafting, completing, issuing and correcting invoices, and their PDF: the invoice
page's acts through its forms and `billing.invoicing` (its rules, its numbering, its
audit), for whoever bills. Issued invoices are never changed: a credit note corrects
them, and a line is credited once."""

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils import timezone
from ninja import Status

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require
from mesoclinic.api.models import Scope
from mesoclinic.api.money import get_invoice, invoice_out, invoices_router
from mesoclinic.api.refusals import as_form_data, body_doc, form_refused, read_body, refused
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import invoice_document, invoicing
from mesoclinic.billing import invoice_forms as forms
from mesoclinic.billing.models import Invoice, InvoiceLine, InvoiceStatus
from mesoclinic.patients.access import get_patient
from mesoclinic.scheduling.access import get_site
from mesoclinic.treatments.access import get_session

# The list's own router: ninja answers one path from one router, and POST /invoices
# shares its path with the list.
router = invoices_router

WRITE = {400: d.FieldErrors, 403: s.Error, 404: s.Error, 409: d.FieldErrors}
# An empty draft asked for again by its caller this soon is the one already made.
RETRY_WINDOW = timedelta(minutes=10)
PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The invoice or credit note as printed; never cached.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def _writer(request: AuthedRequest) -> None:
    require(request, roles.BILLING, Scope.WRITE)


def _refused(refusal: invoicing.InvoiceRefused) -> Status[Any]:
    return refused(refusal.message, refusal.field, status=409 if refusal.conflict else 400)


def _out(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    return {**invoice_out(get_invoice(invoice.public_id)), **extra}


def _empty_draft_of(request: AuthedRequest, patient: Any) -> Invoice | None:
    return (
        Invoice.objects.filter(
            patient=patient,
            status=InvoiceStatus.DRAFT,
            session__isnull=True,
            created_by=request.user,
            created_at__gte=timezone.now() - RETRY_WINDOW,
        )
        .exclude(lines__isnull=False)
        .order_by("-created_at")
        .first()
    )


@router.post(
    "",
    response={200: d.InvoiceDrafted, 201: d.InvoiceDrafted, **WRITE},
    summary="Draft an invoice",
    openapi_extra=body_doc(d.InvoiceDraftIn),
)
def draft_invoice(request: AuthedRequest) -> Any:
    """From a signed session, priced from the price list as the session's "Invoice"
    button does (a session has one invoice: asked again, it answers 200 with it); or an
    empty draft for a patient, to add lines by hand (asked again by its caller within
    ten minutes, the empty draft already made)."""
    _writer(request)
    body = read_body(request, d.InvoiceDraftIn)
    if (body.session is None) == (body.patient is None):
        return refused("Send either a session or a patient.", "session")
    if body.session is not None:
        try:
            drafted = invoicing.draft_for_session(request.user, get_session(body.session))
        except invoicing.InvoiceRefused as refusal:
            return _refused(refusal)
        out = _out(drafted.invoice, unpriced=drafted.unpriced)
        return Status(201 if drafted.made_now else 200, out)
    assert body.patient is not None
    patient = get_patient(body.patient)
    if (again := _empty_draft_of(request, patient)) is not None:
        return Status(200, _out(again))
    site = get_site(body.site) if body.site else patient.usual_site(request.user)
    site = site or Site.objects.order_by("name").first()
    if site is None:
        return refused("The clinic has no site yet.", "site")
    return Status(201, _out(invoicing.draft_for_patient(request.user, patient, site)))


@router.post(
    "/{uuid:invoice_id}/lines",
    response={201: d.InvoiceDetail, **WRITE},
    summary="Add a line to a draft",
    openapi_extra=body_doc(d.LineIn),
)
def add_line(request: AuthedRequest, invoice_id: UUID) -> Any:
    """A line added by hand, as on the invoice page: a discount needs its reason and
    keeps the line at or above zero. Send the number of lines the draft had when read."""
    _writer(request)
    invoice = get_invoice(invoice_id)
    body = read_body(request, d.LineIn)
    form = forms.LineForm(as_form_data(body.dict(exclude={"line_count"})))
    if not form.is_valid():
        return form_refused(form)
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
            expected_lines=body.line_count,
        )
    except invoicing.InvoiceRefused as refusal:
        return _refused(refusal)
    return Status(201, _out(invoice))


@router.post(
    "/{uuid:invoice_id}/issue",
    response={200: d.InvoiceDetail, **WRITE},
    summary="Issue a draft",
)
def issue_invoice(request: AuthedRequest, invoice_id: UUID) -> Any:
    """Give the draft the clinic's next number and freeze it; issuing it again changes
    nothing."""
    _writer(request)
    invoice = get_invoice(invoice_id)
    try:
        invoicing.issue(request.user, invoice)
    except invoicing.InvoiceRefused as refusal:
        return _refused(refusal)
    return Status(200, _out(invoice))


@router.post(
    "/{uuid:invoice_id}/credit-notes",
    response={201: d.InvoiceDetail, **WRITE},
    summary="Correct an issued invoice with a credit note",
    openapi_extra=body_doc(d.CreditIn),
)
def credit_invoice(request: AuthedRequest, invoice_id: UUID) -> Any:
    """A credit note for the chosen lines (by position; default every line), issued at
    once. A line already credited is a 409 naming the note that credits it."""
    _writer(request)
    invoice = get_invoice(invoice_id)
    body = read_body(request, d.CreditIn)
    form = forms.CreditForm(as_form_data({"reason": body.reason}))
    if not form.is_valid():
        return form_refused(form)
    chosen = None
    if body.lines is not None:
        positions = dict(InvoiceLine.objects.filter(invoice=invoice).values_list("position", "pk"))
        unknown = sorted(set(body.lines) - set(positions))
        if unknown:
            return refused(f"{invoice.description} has no line {unknown[0]}.", "lines")
        chosen = [positions[p] for p in body.lines]
    try:
        note = invoicing.credit(request.user, invoice, form.cleaned_data["reason"], chosen)
    except invoicing.InvoiceRefused as refusal:
        return _refused(refusal)
    return Status(201, _out(note))


@router.get(
    "/{uuid:invoice_id}/pdf",
    response={403: s.Error, 404: s.Error},
    openapi_extra=PDF_RESPONSE,
    summary="An invoice's PDF",
)
def invoice_pdf(request: AuthedRequest, invoice_id: UUID) -> Any:
    require(request, roles.BILLING)
    invoice = get_invoice(invoice_id)
    pdf = invoice_document.pdf(invoice, request.user.organization)
    record(request.user, Action.EXPORT, invoice, detail=f"api {invoice.description} PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = invoice.description.lower().replace(" ", "-")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
