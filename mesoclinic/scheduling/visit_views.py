"""The visit from the appointment's page: check the patient in, start the session."""

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.scheduling import access, visit_state, visits
from mesoclinic.scheduling.models import Appointment
from mesoclinic.scheduling.services import Refused
from mesoclinic.scheduling.views import detail_context
from mesoclinic.treatments import start_page
from mesoclinic.treatments.models import TreatmentSession


def _refused(request: AuthedRequest, appt: Appointment, message: str) -> HttpResponse:
    context = detail_context(request, appt, error=message)
    return render(request, "scheduling/appointment.html", context, status=400)


@require_POST
@require(access.BOOK)
def appointment_check_in(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    appt = access.get_appointment(public_id)
    try:
        first = visits.check_in(request.user, appt)
    except Refused as refused:
        if request.htmx:  # the day's button: the refusal where the button was
            return visit_state.render_state(
                request, access.get_appointment(public_id), refused.message
            )
        return _refused(request, appt, refused.message)
    appt = access.get_appointment(public_id)
    if request.htmx:
        return visit_state.render_state(request, appt)
    assert appt.arrived_at is not None  # checked in, now or by the first of two submits
    at = appt.arrived_at.astimezone(appt.site.zone)
    said = "Checked in" if first else "Already checked in"
    messages.success(request, f"{said} at {at:%H:%M}.")
    return redirect(reverse("appointment_detail", args=[appt.public_id]))


def _note(appt: Appointment) -> str:
    when = f"{appt.local_start():%H:%M}"
    total = len(appt.plan_version.result.get("schedule", [])) if appt.plan_version else None
    session = ""
    if appt.course_session:
        session = f": session {appt.course_session}" + (f" of {total}" if total else "")
    return f"From the appointment at {when} with {appt.practitioner}{session}."


@require_http_methods(["GET", "POST"])
@require(access.TREAT)
def appointment_session_start(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    appt = access.get_appointment(public_id)
    if refusal := visits.start_refusal(appt):
        return _refused(request, appt, refusal)
    assert appt.plan is not None  # start_refusal refuses an appointment without a plan

    def started(session: TreatmentSession) -> None:
        visits.link_session(request.user, appt, session)

    return start_page.page(
        request,
        appt.plan,
        site=appt.site,
        started=started,
        note=_note(appt),
        back=(reverse("appointment_detail", args=[appt.public_id]), "Back to the appointment"),
    )
