"""The comparison sheet (photos/sheet.py) as a page and as a PDF for the consultation.

The PDF embeds the photos' screen images read from the encrypted store through a
fetcher that knows only the sheet's own photos: WeasyPrint fetches nothing else, from
the network or the disk.
"""

import uuid
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.patients.access import get_patient
from mesoclinic.photos import catalogue, sheet
from mesoclinic.photos.storage import photo_storage

PHOTO_SCHEME = "sheet-photo:"


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def photo_sheet(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    view = request.GET.get("view", "").strip()
    try:
        found = sheet.build(request.user, patient, view)
    except sheet.SheetRefused as refused:
        context = {"patient": patient, "refusal": str(refused), "views": catalogue.VIEWS}
        return render(request, "photos/sheet.html", context, status=400)
    return render(request, "photos/sheet.html", _context(found, view))


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def photo_sheet_pdf(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    from weasyprint import HTML

    patient = get_patient(patient_id)
    view = request.GET.get("view", "").strip()
    try:
        found = sheet.build(request.user, patient, view, export=True)
    except sheet.SheetRefused as refused:
        context = {"patient": patient, "refusal": str(refused), "views": catalogue.VIEWS}
        return render(request, "photos/sheet.html", context, status=400)
    extra = {"pdf": True, "photo_scheme": PHOTO_SCHEME, "made_at": timezone.now()}
    html = render_to_string("photos/sheet_document.html", _context(found, view) | extra)
    pdf = HTML(string=html, url_fetcher=_fetcher(found)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="photos-{patient.public_id}.pdf"'
    return response


def _context(found: sheet.Sheet, view: str) -> dict[str, Any]:
    return {"patient": found.patient, "sheet": found, "view": view, "views": catalogue.VIEWS}


def _fetcher(found: sheet.Sheet) -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    names = {f"{PHOTO_SCHEME}{p.public_id}": p.screen_name for p in found.photos}

    class SheetPhotos(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:  # noqa: ARG002
            if url not in names:
                raise ValueError("The sheet embeds its own photos only.")
            body = photo_storage().read(names[url])
            return URLFetcherResponse(url, body, headers={"Content-Type": "image/jpeg"})

    return SheetPhotos()
