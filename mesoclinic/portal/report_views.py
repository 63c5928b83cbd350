"""The patient's check-in (portal) and the clinic's triage queue of patients' reports.

The patient's side shows the instruction where they are looking: the page after
sending says, for a red flag, to call the clinic now (with the number), and for an
emergency, emergency services if the clinic cannot be reached.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.portal import forms, pages, reports
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.models import PortalAccount, SymptomReport
from mesoclinic.rules import checkin
from mesoclinic.treatments.models import AdverseEvent


def _sessions(account: PortalAccount) -> list[tuple[str, str]]:
    return [
        (str(s.public_id), f"Treatment of {s.signed_at:%-d %B %Y}")
        for s in pages.signed_sessions(account)[:10]
    ]


@require_http_methods(["GET", "POST"])
@patient_view
def checkin_form(request: AuthedRequest, account: PortalAccount) -> HttpResponse:
    sessions = _sessions(account)
    form = forms.CheckinForm(request.POST or None, sessions=sessions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session = None
        if data["session"]:
            session = next(
                (s for s in pages.signed_sessions(account) if str(s.public_id) == data["session"]),
                None,
            )
        try:
            sent = reports.report(
                request.user,
                account,
                feeling=data["feeling"],
                symptoms=data["symptoms"],
                where=data["where"],
                severity=data["severity"],
                started_on=data["started_on"],
                note=data["note"],
                session=session,
                submission_key=data["submission_key"],
            )
        except reports.ReportRefused as refused:
            form.add_error(refused.field or None, refused.message)
        else:
            return redirect("portal_report", public_id=sent.report.public_id)
    if request.method == "GET":
        record(request.user, Action.VIEW, account.patient, detail="portal check-in form")
    status = 400 if form.errors else 200
    return render(
        request, "portal/checkin.html", {"form": form, "patient": account.patient}, status=status
    )


@require_GET
@patient_view
def report_sent(
    request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID
) -> HttpResponse:
    kept = SymptomReport.objects.filter(patient=account.patient, public_id=public_id).first()
    if kept is None:
        raise Http404
    record(request.user, Action.VIEW, kept, detail="portal report")
    context = {
        "report": kept,
        "labels": reports.symptom_labels(kept),
        "triage": checkin.triage(kept.symptoms, kept.severity),
        "site": pages.clinic_site(account),
        "organization": account.patient.organization,
        "patient": account.patient,
    }
    return render(request, "portal/report_sent.html", context)


# --- the clinic's side ---


@require_GET
@require(roles.VIEW_CLINICAL)
def report_queue(request: AuthedRequest) -> HttpResponse:
    waiting = list(reports.queue()[: reports.QUEUE_ROWS])
    reviewed = list(reports.queue(reviewed=True)[:20])
    record(
        request.user,
        Action.VIEW,
        object_type="report queue",
        object_id=str(request.user.organization.public_id),
        detail=f"{len(waiting)} patients' reports waiting",
    )
    context = {"waiting": [_row(r) for r in waiting], "reviewed": [_row(r) for r in reviewed]}
    return render(request, "portal/queue.html", context)


def _row(kept: SymptomReport) -> dict[str, Any]:
    return {"report": kept, "labels": reports.symptom_labels(kept)}


def _review_context(kept: SymptomReport, form: forms.ReviewForm | None = None) -> dict[str, Any]:
    events = AdverseEvent.objects.filter(patient=kept.patient, voided_at__isnull=True).order_by(
        "-onset_on"
    )[:20]
    choices = [
        (str(e.public_id), f"{e.get_event_type_display()}, {e.onset_on:%-d %b %Y}") for e in events
    ]
    return {
        "report": kept,
        "labels": reports.symptom_labels(kept),
        "form": form or forms.ReviewForm(events=choices),
        "events": choices,
    }


@require_GET
@require(roles.VIEW_CLINICAL)
def report_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    kept = get_object_or_404(
        SymptomReport.objects.select_related("patient", "session", "reviewed_by", "adverse_event"),
        public_id=public_id,
    )
    record(request.user, Action.VIEW, kept, detail="patient's report")
    return render(request, "portal/report_review.html", _review_context(kept))


@require_POST
@require(roles.SIGN_CLINICAL)
def report_review(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    kept = get_object_or_404(SymptomReport.objects.select_related("patient"), public_id=public_id)
    context = _review_context(kept)
    form = forms.ReviewForm(request.POST, events=context["events"])
    if form.is_valid():
        data = form.cleaned_data
        event = None
        if data["adverse_event"]:
            event = AdverseEvent.objects.filter(
                patient=kept.patient, public_id=data["adverse_event"]
            ).first()
        try:
            done = reports.review(
                request.user, kept, outcome=data["outcome"], note=data["note"], adverse_event=event
            )
        except reports.ReportRefused as refused:
            form.add_error(refused.field or None, refused.message)
        else:
            if done:
                messages.success(request, "Report reviewed.")
            else:
                messages.info(request, "Someone reviewed this report already.")
            return redirect("report_queue")
    context["form"] = form
    return render(request, "portal/report_review.html", context, status=400)
