"""The quote's acceptance panel on the plan's quote page (an HTMX partial: plans cannot
import billing), and the desk recording a patient's acceptance."""

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.billing import acceptance
from mesoclinic.plans.access import get_plan


@require_http_methods(["GET", "POST"])
@require(roles.BILLING)
def quote_acceptance(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    refusal = None
    if request.method == "POST":
        try:
            acceptance.accept(request.user, plan)
        except acceptance.AcceptanceRefused as refused:
            refusal = str(refused)
    else:
        record(request.user, Action.VIEW, plan, detail="quote acceptance")
    context = {"plan": plan, "accepted": acceptance.latest(plan), "refusal": refusal}
    return render(request, "billing/_acceptance.html", context, status=400 if refusal else 200)
