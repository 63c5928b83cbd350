"""The patient acting on their own upcoming appointments: confirm, cancel, move, and
add one to their calendar.

Every view is a `patient_view` and finds the appointment among the patient's own (else
404). A change writes the one audit event of the scheduling service that makes it; a
page shown or a calendar file downloaded writes its own; a refused change writes none.
Confirming swaps the appointment's row in place with HTMX; without JavaScript each form
posts, and the patient is sent back to their appointments with a message.
"""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.notifications import ical
from mesoclinic.portal import appointment_actions as actions
from mesoclinic.portal.access import patient_view
from mesoclinic.portal.appointment_forms import CancelForm, MoveForm
from mesoclinic.portal.models import PortalAccount
from mesoclinic.scheduling.models import Appointment, Status


def _when(appt: Appointment) -> str:
    return appt.local_start().strftime("%A %-d %B at %H:%M")


def _back(request: AuthedRequest, ok: str = "", refusal: str = "") -> HttpResponse:
    (messages.error if refusal else messages.success)(request, refusal or ok)
    return redirect("portal_appointments")


@require_POST
@patient_view
def confirm(request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID) -> HttpResponse:
    appt = actions.own_appointment(account, public_id)
    refusal = note = ""
    try:
        appt = actions.confirm(account, appt)
    except actions.Refused as refused:
        refusal = refused.message
        appt = actions.own_appointment(account, public_id)
    else:
        note = "Confirmed: thank you, the clinic expects you."
    if not request.htmx:
        return _back(request, note, refusal)
    context = actions.row_context(account) | {"a": appt, "note": note, "refusal": refusal}
    return render(request, "portal/_appointment_row.html", context, status=400 if refusal else 200)


@require_http_methods(["GET", "POST"])
@patient_view
def cancel(request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID) -> HttpResponse:
    appt = actions.own_appointment(account, public_id)
    if request.method == "POST" and appt.status == Status.CANCELLED:
        # The same form sent twice: the first one cancelled it.
        messages.info(request, f"Your appointment of {_when(appt)} is cancelled.")
        return redirect("portal_appointments")
    form = CancelForm(request.POST or None)
    refusal = ""
    if request.method == "POST":
        try:
            actions.cancel(account, appt, form.data.get("reason", ""))
        except actions.Refused as refused:
            if refused.field == "reason":
                form.is_valid()  # the field's own error, next to it
            else:
                refusal = refused.message
            appt = actions.own_appointment(account, public_id)
        else:
            return _back(request, f"Your appointment of {_when(appt)} is cancelled.")
    else:
        record(request.user, Action.VIEW, appt, detail="portal: cancel")
    context = {
        "appt": appt,
        "form": form,
        "refusal": refusal,
        "too_late": appt.starts_at < actions.cutoff(account),
        "call_instead": actions.call_instead(account, appt),
    }
    failed = request.method == "POST"
    return render(request, "portal/cancel.html", context, status=400 if failed else 200)


@require_http_methods(["GET", "POST"])
@patient_view
def move(request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID) -> HttpResponse:
    appt = actions.own_appointment(account, public_id)
    form = MoveForm(request.POST or None, initial={"lock_version": appt.lock_version})
    refusal = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                moved = actions.move(
                    account,
                    appt,
                    starts_at=form.cleaned_data["starts_at"],
                    lock_version=form.cleaned_data["lock_version"],
                )
            except actions.Refused as refused:
                refusal = refused.message
                appt = actions.own_appointment(account, public_id)
            else:
                return _back(request, f"Your appointment is now on {_when(moved)}.")
        else:
            refusal = "Choose one of the times."
    else:
        record(request.user, Action.VIEW, appt, detail="portal: move")
    too_late = appt.starts_at < actions.cutoff(account) or appt.status not in actions.ACTIONABLE
    zone = appt.site.zone
    slots = [] if too_late else actions.choices(account, appt)
    context = {
        "appt": appt,
        "refusal": refusal,
        "too_late": too_late,
        "call_instead": actions.call_instead(account, appt),
        "slots": [(s.starts_at.isoformat(), s.starts_at.astimezone(zone)) for s in slots],
        "lock_version": appt.lock_version,
    }
    failed = request.method == "POST"
    return render(request, "portal/move.html", context, status=400 if failed else 200)


@require_GET
@patient_view
def calendar_file(
    request: AuthedRequest, account: PortalAccount, public_id: uuid.UUID
) -> HttpResponse:
    appt = actions.own_appointment(account, public_id)
    if appt.status not in actions.IN_CALENDAR:
        raise Http404
    clinic = account.patient.organization.name
    body = ical.build([ical.patient_event(appt, clinic)], name=f"Appointment at {clinic}")
    record(request.user, Action.EXPORT, appt, detail="calendar file (portal)")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"appointment-{appt.local_start():%Y-%m-%d}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
