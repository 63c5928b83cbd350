"""Kiosk mode: the clinic's tablet handed to the patient to read and sign their consent.

While the session carries the flag, every page but the kiosk's own redirects to the
kiosk page, so the patient cannot wander into the clinic's records; the flag is
cleared only by `kiosk_leave`, with the staff member's password (a signed-out session
loses it with everything else).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from mesoclinic.plans.models import Plan

FLAG = "kiosk_plan"
Handler = Callable[[HttpRequest], HttpResponse]


def enter(request: HttpRequest, plan: Plan) -> None:
    request.session[FLAG] = str(plan.public_id)


def leave(request: HttpRequest) -> None:
    request.session.pop(FLAG, None)


def plan_of(request: HttpRequest) -> Plan | None:
    """The plan whose consent the tablet shows, if it is in kiosk mode."""
    public_id = request.session.get(FLAG)
    if not public_id:
        return None
    return Plan.objects.select_related("patient").filter(public_id=public_id).first()


class KioskMiddleware:
    # The kiosk's own pages, and the static files they need.
    _STATIC = "/static/"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if FLAG in request.session and not self._allowed(request.path):
            return redirect("consent_kiosk")
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str) -> bool:
        kiosk_pages = (reverse("consent_kiosk"), reverse("consent_kiosk_leave"))
        return path in kiosk_pages or path.startswith(KioskMiddleware._STATIC)
