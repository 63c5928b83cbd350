"""The owner's export of photos for teaching or marketing (rules in `photos/export.py`).

GET shows what an export for the chosen purpose and view would hold, and how many photos
are left out for lack of consent; POST downloads it. Only counts are shown before the
download, so the page reads no patient's data; the download is the audited read.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.photos import catalogue, export, forms


@require_http_methods(["GET", "POST"])
@require(roles.EXPORT_PHOTOS)
@never_cache
def photo_export(request: AuthedRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = forms.ExportForm(data or None)
    selection = None
    if form.is_valid():
        purpose, view = form.cleaned_data["purpose"], form.cleaned_data["view"]
        try:
            if request.method == "POST":
                return _download(request, purpose, view)
            selection = export.select(request.user, purpose, view)
        except export.ExportRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
    context = {
        "form": form,
        "selection": selection,
        "view_label": catalogue.label(selection.view) if selection and selection.view else "",
        "max_photos": export.MAX_PHOTOS,
    }
    status = 400 if form.errors else 200
    return render(request, "photos/export.html", context, status=status)


def _download(request: AuthedRequest, purpose: str, view: str) -> HttpResponse:
    data, _selection = export.archive(request.user, purpose, view)
    response = HttpResponse(data, content_type="application/zip")
    name = f"photos-{purpose}-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
