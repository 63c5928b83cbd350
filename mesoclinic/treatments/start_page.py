"""The start page of a plan's session, for the plan's own "Start session" and for apps
above treatments that start one from elsewhere (scheduling: from an appointment, which
it links once the session is started). Apps never import each other's views; they call
`page` with what differs: the site to preselect, what to do once started, a line saying
where the session comes from and the link back."""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.services import alerts_for
from mesoclinic.plans.models import Plan
from mesoclinic.treatments import session_forms as forms
from mesoclinic.treatments import sessions
from mesoclinic.treatments.models import TreatmentSession


def precheck(data: dict[str, Any]) -> sessions.Precheck:
    applied = data["numbing_applied_at"]
    return sessions.Precheck(
        pregnancy=data["pregnancy"],
        infected_areas=data["infected_areas"],
        weight_kg=data["weight_kg"],
        numbing_product=data["numbing_product"],
        numbing_amount_g=data["numbing_amount_g"],
        numbing_applied_at=applied.isoformat() if applied else "",
        photos_taken=data["photos_taken"],
        injector_device=data["injector_device"],
        override_reason=data["override_reason"],
    )


def refusal_shown(form: BaseForm, refusal: sessions.SessionRefused) -> str | None:
    """A refusal that belongs to a field is shown next to it; others above the form."""
    if refusal.field and refusal.field in form.fields:
        form.add_error(refusal.field, str(refusal))
        return None
    return str(refusal)


# Told the session just started, inside the start's transaction; a SessionRefused it
# raises undoes the start and is shown like any other refusal.
Started = Callable[[TreatmentSession], None]


def page(
    request: AuthedRequest,
    plan: Plan,
    *,
    site: Site | None = None,
    started: Started | None = None,
    note: str = "",
    back: tuple[str, str] | None = None,
) -> HttpResponse:
    """GET shows the pre-treatment check; a valid POST starts the session (and calls
    `started` in the same transaction) and goes to it."""
    areas = [a["area"] for a in sessions.planned_areas(plan)]
    form = forms.PrecheckForm(
        request.POST or None,
        initial={"site": (site or plan.patient.usual_site(request.user))},
        patient=plan.patient,
        areas=areas,
    )
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        check = precheck(data)
        try:
            with transaction.atomic():
                session = sessions.start(
                    request.user, plan, data["site"], check, data["supervised_by"]
                )
                if started is not None:
                    started(session)
        except sessions.SessionRefused as refusal:
            error = refusal_shown(form, refusal)
        else:
            return redirect("session_detail", public_id=session.public_id)
    status = 400 if (form.errors or error) else 200
    record(request.user, Action.VIEW, plan.patient, detail="session start page")
    context = {
        "plan": plan,
        "patient": plan.patient,
        "alerts": alerts_for(plan.patient),
        "form": form,
        "error": error,
        "wait": sessions.first_session_wait(request.user, plan),
        "note": note,
        "back": back or (reverse("plan_editor", args=[plan.public_id]), "Back to the plan"),
    }
    return render(request, "treatments/session_start.html", context, status=status)
