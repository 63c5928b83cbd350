"""The owner's import of patients from a CSV file: check first, then import."""

import io
import secrets
from typing import Any

from django.contrib import messages
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic import spreadsheet
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.imports import appointments, csvfile, services
from mesoclinic.imports.forms import ConfirmForm, UploadForm
from mesoclinic.patients import vocab

# The checked file waits in the session (never on disk) until the owner imports it.
PENDING = "patient_import"
# A multipart body carries the file and a few fields: anything much larger is refused
# before it is read, so it is never spooled to a temporary file.
MAX_BODY = csvfile.MAX_BYTES + 64 * 1024
SHOWN = 200  # rows of the "will be created" table shown; the counts cover them all


def _page(request: AuthedRequest, form: UploadForm, **context: Any) -> HttpResponse:
    status = 400 if form.errors or context.get("refused_at_import") else 200
    context.setdefault("condition_example", vocab.condition_choices()[0][1])
    return render(request, "imports/import.html", {"form": form, **context}, status=status)


def _report(request: AuthedRequest, report: services.Report, **context: Any) -> HttpResponse:
    pending = request.session.get(PENDING) or {}
    context.update(report=report, shown=report.planned[:SHOWN], token=pending.get("token", ""))
    return _page(request, UploadForm(), filename=pending.get("filename", ""), **context)


@csrf_exempt  # checked by csrf_protect below, once the upload handlers are set
@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def patient_import(request: AuthedRequest) -> HttpResponse:
    # Upload handlers can only be set before anything reads the body, CSRF included.
    request.upload_handlers = [MemoryFileUploadHandler(request)]
    return _patient_import(request)


@csrf_protect
def _patient_import(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, UploadForm())
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return _page(request, UploadForm.refused("The file is larger than 2 MB."))
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form)
    report = services.preview(request.user, form.sheet)
    request.session[PENDING] = {
        "token": secrets.token_urlsafe(16),
        "text": form.text,
        "filename": form.cleaned_data["file"].name[:100],
    }
    return _report(request, report)


@require_POST
@require(roles.MANAGE_STAFF)
def import_confirm(request: AuthedRequest) -> HttpResponse:
    form = ConfirmForm(request.POST)
    pending = request.session.get(PENDING) or {}
    if not form.is_valid() or form.cleaned_data["token"] != pending.get("token"):
        messages.info(
            request,
            "Nothing to import: this file was imported already or its check has expired. "
            "Upload it again.",
        )
        return redirect("patient_import")
    # Taken before importing, so a second click of the same button imports nothing.
    del request.session[PENDING]
    request.session.save()
    sheet = csvfile.read(pending["text"])
    try:
        report = services.import_patients(request.user, sheet)
    except services.ImportRefused as refused:
        request.session[PENDING] = pending
        return _report(request, refused.report, refused_at_import=True)
    created = len(report.planned)
    skipped = f" {len(report.duplicates)} duplicates skipped." if report.duplicates else ""
    messages.success(request, f"{created} patient{'s' if created != 1 else ''} imported.{skipped}")
    return redirect(reverse("patient_list") + "?sort=recent")


@require_GET
@require(roles.MANAGE_STAFF)
def import_template(request: AuthedRequest) -> HttpResponse:  # noqa: ARG001 - a view
    out = io.StringIO()
    writer = spreadsheet.Writer(out)
    writer.writerow(csvfile.COLUMNS)
    condition = vocab.condition_choices()[0][1]
    writer.writerow(
        [
            "Anna",
            "Example",
            "1985-04-01",
            "F",
            "+1 555 0100 200",
            "anna@example.com",
            "1 High Street, Springfield",
            "64.5",
            "Lidocaine: hives; cat dander",
            "Warfarin: 5 mg daily",
            condition,
        ]
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="patients-template.csv"'
    return response


# --- appointments -------------------------------------------------------------------

PENDING_APPOINTMENTS = "appointment_import"


def _appointments_page(request: AuthedRequest, form: UploadForm, **context: Any) -> HttpResponse:
    status = 400 if form.errors or context.get("refused_at_import") else 200
    pending = request.session.get(PENDING_APPOINTMENTS) or {}
    context.setdefault("token", pending.get("token", ""))
    context.setdefault("filename", pending.get("filename", ""))
    return render(request, "imports/appointments.html", {"form": form, **context}, status=status)


@csrf_exempt  # checked by csrf_protect below, once the upload handlers are set
@require_http_methods(["GET", "POST"])
@require(roles.MANAGE_STAFF)
def appointment_import(request: AuthedRequest) -> HttpResponse:
    request.upload_handlers = [MemoryFileUploadHandler(request)]
    return _appointment_import(request)


@csrf_protect
def _appointment_import(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return _appointments_page(request, UploadForm(kind="appointments"))
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return _appointments_page(
            request, UploadForm.refused("The file is larger than 2 MB.", "appointments")
        )
    form = UploadForm(request.POST, request.FILES, kind="appointments")
    if not form.is_valid():
        return _appointments_page(request, form)
    rows, ignored = form.appointment_rows
    report = appointments.preview(request.user, rows, ignored)
    request.session[PENDING_APPOINTMENTS] = {
        "token": secrets.token_urlsafe(16),
        "text": form.text,
        "filename": form.cleaned_data["file"].name[:100],
    }
    return _appointments_page(
        request, UploadForm(kind="appointments"), report=report, shown=report.planned[:SHOWN]
    )


@require_POST
@require(roles.MANAGE_STAFF)
def appointment_import_confirm(request: AuthedRequest) -> HttpResponse:
    form = ConfirmForm(request.POST)
    pending = request.session.get(PENDING_APPOINTMENTS) or {}
    if not form.is_valid() or form.cleaned_data["token"] != pending.get("token"):
        messages.info(
            request,
            "Nothing to import: this file was imported already or its check has expired. "
            "Upload it again.",
        )
        return redirect("appointment_import")
    # Taken before importing, so a second click of the same button imports nothing.
    del request.session[PENDING_APPOINTMENTS]
    request.session.save()
    rows, _ignored = appointments.read(pending["text"])
    try:
        report = appointments.import_appointments(request.user, rows)
    except appointments.ImportRefused as refused:
        request.session[PENDING_APPOINTMENTS] = pending
        report = refused.report
        return _appointments_page(
            request,
            UploadForm(kind="appointments"),
            report=report,
            shown=[],
            refused_at_import=True,
        )
    created = len(report.planned)
    messages.success(request, f"{created} appointment{'s' if created != 1 else ''} imported.")
    return redirect("appointment_import")


@require_GET
@require(roles.MANAGE_STAFF)
def appointment_template(request: AuthedRequest) -> HttpResponse:  # noqa: ARG001 - a view
    out = io.StringIO()
    writer = spreadsheet.Writer(out)
    writer.writerow(appointments.COLUMNS)
    writer.writerow(
        ["", "Anna", "Example", "1985-04-01", "practitioner@example.com", "Main site", "Room 1",
         "", "2026-03-02 14:30", "45", "completed", ""]
    )  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="appointments-template.csv"'
    return response
