"""A signed session's aftercare sheet, for the clinic's session page and the patient's
portal: its page context and its PDF."""

from typing import Any

from django.template.loader import render_to_string

from mesoclinic.accounts.letterhead import letterhead
from mesoclinic.treatments.models import TreatmentSession


def context(session: TreatmentSession) -> dict[str, Any]:
    """Only a signed session issues aftercare; callers refuse the others first."""
    assert session.is_signed
    return {"session": session, "patient": session.patient, "site": session.site}


def pdf(session: TreatmentSession) -> bytes:
    from weasyprint import HTML

    page = context(session) | {"letterhead": letterhead(session.site.organization)}
    html = render_to_string("treatments/aftercare_document.html", page)
    return bytes(HTML(string=html).write_pdf())
