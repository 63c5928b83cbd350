"""One visit's chip and actions as an HTMX partial: what the day's Check in and No-show
buttons swap in, from the same endpoints the appointment's page posts to."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.scheduling import access, sections
from mesoclinic.scheduling.models import Appointment


def render_state(request: AuthedRequest, appt: Appointment, error: str = "") -> HttpResponse:
    """The partial for the appointment as it is now; a refusal is said inside it (a 400,
    which the pages' HTMX config swaps in, so the message shows where the button was)."""
    visit = sections.visit_of(appt)
    context = {
        "visit": visit,
        "acts": sections.actions_for(visit, request.user, timezone.now()),
        "clinical": roles.can(request.user, access.SEE_AREAS),
        "error": error,
    }
    return render(request, "scheduling/_visit_state.html", context, status=400 if error else 200)
