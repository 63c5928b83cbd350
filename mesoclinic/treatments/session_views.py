"""Charting a session: start from a consented plan, chart areas with lots, sign, amend, void."""

import uuid
from collections.abc import Iterable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.services import alerts_for
from mesoclinic.plans.access import get_plan
from mesoclinic.treatments import (
    aftercare_document,
    charting,
    inventory,
    session_checks,
    session_diagram,
    sessions,
    sign_checks,
    start_page,
)
from mesoclinic.treatments import session_forms as forms
from mesoclinic.treatments.access import get_session, get_session_to_sign
from mesoclinic.treatments.models import SessionAmendment, SessionArea, TreatmentSession
from mesoclinic.treatments.start_page import precheck, refusal_shown


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def session_start(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    return start_page.page(request, get_plan(public_id))


@require_http_methods(["GET", "POST"])
@require(roles.SIGN_CLINICAL)
def session_start_adhoc(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(public_id)
    form = forms.AdhocStartForm(
        request.POST or None, patient=patient, initial={"site": patient.usual_site(request.user)}
    )
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = sessions.start_adhoc(
                request.user,
                patient,
                data["site"],
                precheck(data),
                data["reason"],
                [{"concern": data["concern"], "area": area} for area in data["areas"]],
                data["supervised_by"],
            )
        except sessions.SessionRefused as refusal:
            error = refusal_shown(form, refusal)
        else:
            return redirect("session_detail", public_id=session.public_id)
    status = 400 if (form.errors or error) else 200
    record(request.user, Action.VIEW, patient, detail="ad hoc session start page")
    context = {
        "plan": None,
        "patient": patient,
        "alerts": alerts_for(patient),
        "form": form,
        "error": error,
    }
    return render(request, "treatments/session_start.html", context, status=status)


def _context(
    request: AuthedRequest,
    session: TreatmentSession,
    form: forms.ChartAreaForm | None = None,
    error: str | None = None,
    point_error: str | None = None,
) -> dict[str, Any]:
    rows = charting.charted_rows(session)
    planned = session_diagram.session_areas(session)
    ref = rules.load_reference()
    for row in rows:
        row.depth_reached = forms.depth_from_needle(row.needle_length_mm, row.needle_angle_deg)
        row.product_name = ref.products[row.lot.product].name
        row.area_name = ref.areas[row.area].name
    return {
        "session": session,
        "patient": session.patient,
        # The sticky alert bar is part of the full page, not of the HTMX chart partial.
        "alerts": None if request.htmx else alerts_for(session.patient),
        "rows": rows,
        "planned": [{**a, "name": ref.areas[a["area"]].name} for a in planned],
        "findings": charting.dose_findings(session, rows),
        "diagrams": session_diagram.build(session, rows),
        "form": form
        or forms.chart_form(
            session, initial={"lock_version": session.lock_version, **_next_area(planned, rows)}
        ),
        "error": error,
        "point_error": point_error,
        "overrides": session_checks.session_overrides(session),
        "amendments": SessionAmendment.objects.filter(session=session)
        .select_related("author")
        .order_by("created_at"),
        "amend_form": forms.AmendForm(),
        "void_form": forms.ReasonForm(),
        "can_sign": roles.can(request.user, roles.SIGN_CLINICAL),
    }


def _next_area(planned: list[dict[str, Any]], rows: Iterable[SessionArea]) -> dict[str, Any]:
    """Prefill the chart form with the first planned area not charted yet."""
    charted = {(row.area, row.side or "") for row in rows}
    for area in planned:
        if (area["area"], area.get("side") or "") not in charted:
            return {
                "area": area["area"],
                "side": area.get("side") or "",
                "technique": area["technique"],
                "depth_mm": area.get("depth_mm"),
            }
    return {}


@require_GET
@require(roles.VIEW_CLINICAL)
def session_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    record(request.user, Action.VIEW, session)
    return render(request, "treatments/session.html", _context(request, session))


def _render_chart(
    request: AuthedRequest, session: TreatmentSession, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "treatments/_chart.html" if request.htmx else "treatments/session.html"
    return render(request, template, _context(request, session, **extra), status=status)


@require_POST
@require(roles.EDIT_CLINICAL)
def session_chart(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    form = forms.chart_form(session, request.POST)
    if not form.is_valid():
        return _render_chart(request, session, status=400, form=form)
    data = dict(form.cleaned_data)
    try:
        lot = inventory.lot_for_charting(data.pop("lot"), timezone.localdate(), site=session.site)
    except inventory.LotUnusable as refusal:
        form.add_error("lot", str(refusal))
        return _render_chart(request, session, status=400, form=form)
    try:
        lock_version = data.pop("lock_version")
        reason = data.pop("override_reason")
        charting.chart_area(
            request.user,
            session,
            {**data, "side": data.get("side") or ""},
            lot,
            lock_version,
            reason,
        )
    except sessions.SessionRefused as refusal:
        session.refresh_from_db()
        # Keep what was typed, on the current version, so that sending it again works.
        # form.data is the request's QueryDict (the stubs say Mapping); it holds strings.
        posted = cast(QueryDict, form.data).copy()
        posted["lock_version"] = str(session.lock_version)
        form.data = posted
        error = refusal_shown(form, refusal)
        return _render_chart(request, session, status=400, form=form, error=error)
    return _render_chart(request, session)


@require_POST
@require(roles.EDIT_CLINICAL)
def session_point(request: AuthedRequest, public_id: uuid.UUID, row_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    form = forms.PointForm(request.POST)
    if not form.is_valid():
        return _render_chart(request, session, status=400, point_error=form.error_text())
    if not SessionArea.objects.filter(session=session, public_id=row_id).exists():
        raise Http404("No such charted area in this session.")
    try:
        charting.toggle_point(
            request.user, session, row_id, form.cleaned_data["x"], form.cleaned_data["y"]
        )
    except sessions.SessionRefused as refusal:
        # Shown beside the diagram that was tapped.
        return _render_chart(request, session, status=400, point_error=str(refusal))
    return _render_chart(request, session)


@require_POST
@require(roles.EDIT_CLINICAL)
def session_remove_row(
    request: AuthedRequest, public_id: uuid.UUID, row_id: uuid.UUID
) -> HttpResponse:
    session = get_session(public_id)
    row = get_object_or_404(SessionArea, session=session, public_id=row_id)
    try:
        charting.remove_area(request.user, session, row)
    except sessions.SessionRefused as refusal:
        return _render_chart(request, session, status=400, error=str(refusal))
    session.refresh_from_db()
    return _render_chart(request, session)


@require_http_methods(["GET", "POST"])
@require(roles.SIGN_CLINICAL)
def session_sign(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """GET: the summary to confirm (totals against limits, reasons, lots); POST: sign."""
    error = None
    if request.method == "POST":
        try:
            first = sessions.sign(request.user, get_session_to_sign(public_id))
        except sessions.SessionRefused as refusal:
            error = str(refusal)
        else:
            if first:
                messages.success(
                    request, "Session signed. The aftercare sheet was sent to the patient."
                )
            return redirect("session_detail", public_id=public_id)
    session = get_session(public_id)
    if not error and session.is_signed:
        return redirect("session_detail", public_id=session.public_id)
    rows = charting.charted_rows(session)
    record(request.user, Action.VIEW, session, detail="sign-off summary")
    ref = rules.load_reference()
    summary = sessions.sign_summary(session, rows)
    for entry in summary["lots"]:
        entry["product"] = ref.products[entry["lot"].product].name
        entry["area_names"] = ", ".join(dict.fromkeys(ref.areas[a].name for a in entry["areas"]))
    context = {
        "session": session,
        "patient": session.patient,
        "alerts": alerts_for(session.patient),
        "error": error,
        # What must be done before signing (the baseline photos), stated before the press.
        "requirements": sign_checks.problems(session),
        **summary,
    }
    status = 400 if error else 200
    return render(request, "treatments/sign_confirm.html", context, status=status)


@require_POST
@require(roles.EDIT_CLINICAL)
def session_amend(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    form = forms.AmendForm(request.POST)
    if not form.is_valid():
        context = {**_context(request, session), "amend_form": form}
        return render(request, "treatments/session.html", context, status=400)
    try:
        sessions.amend(
            request.user, session, form.cleaned_data["text"], form.cleaned_data["reason"]
        )
    except sessions.SessionRefused as refusal:
        raise PermissionDenied(str(refusal)) from None
    messages.success(request, "Amendment recorded; the original is kept.")
    return redirect("session_detail", public_id=session.public_id)


@require_POST
@require(roles.SIGN_CLINICAL)
def session_void(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    form = forms.ReasonForm(request.POST)
    if not form.is_valid():
        context = {**_context(request, session), "void_form": form}
        return render(request, "treatments/session.html", context, status=400)
    sessions.void(request.user, session, form.cleaned_data["reason"])
    messages.success(request, "Session voided; it stays in the record.")
    return redirect("session_detail", public_id=session.public_id)


def _aftercare_context(session: TreatmentSession) -> dict[str, Any]:
    if not session.is_signed:
        raise BadRequest("Aftercare is issued when the session is signed.")
    return aftercare_document.context(session)


@require_GET
@require(roles.VIEW_CLINICAL)
def session_aftercare(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    context = _aftercare_context(session)
    record(request.user, Action.VIEW, session, detail="aftercare")
    return render(request, "treatments/aftercare.html", context)


@require_GET
@require(roles.VIEW_CLINICAL)
def session_aftercare_pdf(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    session = get_session(public_id)
    _aftercare_context(session)  # refuses an unsigned session
    record(request.user, Action.EXPORT, session, detail="aftercare PDF")
    response = HttpResponse(aftercare_document.pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="aftercare-{session.public_id}.pdf"'
    return response
