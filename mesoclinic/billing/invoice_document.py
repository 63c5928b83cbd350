"""An invoice or credit note as a PDF, for its page and the organization's export."""

from django.template.loader import render_to_string

from mesoclinic.accounts.letterhead import letterhead
from mesoclinic.accounts.models import Organization
from mesoclinic.billing import invoicing
from mesoclinic.billing.models import Invoice, InvoiceKind, InvoiceLine
from mesoclinic.billing.money import plain


def pdf(invoice: Invoice, organization: Organization) -> bytes:
    from weasyprint import HTML

    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
    context = {
        "invoice": invoice,
        "lines": lines,
        "money": plain,
        "draft_totals": invoicing.draft_totals(lines) if not invoice.is_issued else None,
        "credit_notes": list(invoice.credit_notes.order_by("number"))
        if invoice.kind == InvoiceKind.INVOICE
        else [],
        "organization": organization,
        "letterhead": letterhead(organization),
    }
    html = render_to_string("billing/invoice_document.html", context)
    return bytes(HTML(string=html).write_pdf())
