"""The signed consent as a PDF, for the clinic's consent page and the patient's portal."""

from django.template.loader import render_to_string

from mesoclinic.accounts.letterhead import letterhead
from mesoclinic.accounts.models import Organization
from mesoclinic.plans import consent as c
from mesoclinic.plans.models import Consent


def pdf(consent: Consent, organization: Organization) -> bytes:
    from weasyprint import HTML

    blocks = c.parse(consent.text)
    context = {
        "consent": consent,
        "patient": consent.patient,
        "blocks": blocks,
        "organization": organization,
        "letterhead": letterhead(organization),
        "hash_ok": Consent.hash_text(consent.text) == consent.text_hash,
        "pdf": True,
        "sources": c.cited(blocks),
    }
    html = render_to_string("plans/consent_document.html", context)
    return bytes(HTML(string=html).write_pdf())
