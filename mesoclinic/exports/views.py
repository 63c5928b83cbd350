"""The owner's export pages: the list with a new-export form, each job's progress (an
HTMX partial polled every 2 s while it runs), the download and the file's deletion.
Owners only (MANAGE_STAFF); another organization's job is not found."""

import uuid

from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, HttpResponseGone
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.exports import services
from mesoclinic.exports.forms import NewExportForm
from mesoclinic.exports.models import ExportJob

LISTED = 50


def get_job(public_id: uuid.UUID) -> ExportJob:
    """A job of the organization (the scoped manager), or 404."""
    return get_object_or_404(ExportJob.objects.select_related("requested_by"), public_id=public_id)


@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def export_list(request: AuthedRequest) -> HttpResponse:
    form = NewExportForm(request.POST) if request.method == "POST" else NewExportForm.fresh()
    if request.method == "POST" and form.is_valid():
        services.request_export(
            request.user, form.cleaned_data["passphrase"], form.cleaned_data["submission_key"]
        )
        return redirect("export_list")
    jobs = ExportJob.objects.select_related("requested_by").order_by("-requested_at", "-pk")
    context = {"form": form, "jobs": list(jobs[:LISTED])}
    return render(request, "exports/list.html", context, status=400 if form.errors else 200)


@require_GET
@require(roles.MANAGE_STAFF)
def export_progress(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return render(request, "exports/_job.html", {"job": get_job(public_id)})


@require_GET
@require(roles.MANAGE_STAFF)
def export_download(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponseBase:
    job = get_job(public_id)
    if not job.downloadable:
        raise Http404
    if not services.file_of(job).is_file():
        return HttpResponseGone("This export's file is no longer on the server: start a new one.")
    path = services.downloaded(request.user, job)
    name = f"mesoclinic-export-{job.requested_at:%Y-%m-%d}.zip.enc"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name)
    response["Content-Type"] = "application/octet-stream"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@require(roles.MANAGE_STAFF)
def export_delete(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    services.delete_file(request.user, get_job(public_id))
    return redirect("export_list")
