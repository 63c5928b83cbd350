"""The patient chart: one page above the apps, assembled from the section each app provides.

The patients app owns the patient and their history; plans, treatments and the diary
each hand over their own section (`<app>.sections.chart_section`). No app imports
this page, so the chart can grow without tying the apps to each other.

The chart's body is cached per patient, keyed by what can change it: the patient's
`chart_version` and the organization's `chart_epoch` (both bumped by the database in
the transaction of any write the chart shows, scheduling migration 0005), the viewer's
rights, and the day (the age shown). An entry lives until the first appointment it
lists has started. The page around it (the viewer's name, messages, CSRF tokens) is
rendered for each request, and every view still writes its audit event.
"""

import datetime as dt
import uuid
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from mesoclinic import fragments
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.context_processors import role
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes import sections as outcome_sections
from mesoclinic.patients import forms, services
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.plans import sections as plan_sections
from mesoclinic.scheduling import sections as diary_sections
from mesoclinic.treatments import sections as treatment_sections

SECTIONS = (plan_sections, treatment_sections, diary_sections, outcome_sections)
BODY = "patients/_chart_body.html"


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(public_id)
    clinical = roles.can(request.user, roles.VIEW_CLINICAL)
    record(request.user, Action.VIEW, patient, detail="chart" if clinical else "demographics")
    body = chart_body(request, patient, clinical=clinical)
    return render(request, "patients/detail.html", {"patient": patient, "body": body})


def chart_body(request: AuthedRequest, patient: Patient, *, clinical: bool) -> SafeString:
    rights = role(request)
    key = chart_key(request, patient, rights)
    html = fragments.cached(key, lambda: _render_body(patient, rights, clinical=clinical))
    return fragments.fill(html, request)


def chart_key(request: AuthedRequest, patient: Patient, rights: dict[str, bool]) -> str:
    organization = request.user.organization
    allowed = fragments.rights_code(rights)
    return ":".join(
        [
            "chart",
            str(organization.pk),
            str(patient.pk),
            str(patient.chart_version),
            str(organization.chart_epoch),
            allowed,
            timezone.localdate().isoformat(),
        ]
    )


def _render_body(
    patient: Patient, rights: dict[str, bool], *, clinical: bool
) -> tuple[str, int | None]:
    context: dict[str, Any] = {
        "patient": patient,
        "chart": services.chart_for(patient) if clinical else None,
        "kinds": forms.HISTORY_FORMS,
        **rights,
    }
    for section in SECTIONS:
        context |= section.chart_section(patient, clinical=clinical)
    appointments = list(context["appointments"])
    context["appointments"] = appointments
    html = fragments.render(BODY, context)
    return html, _timeout(appointments[0].starts_at if appointments else None)


def _timeout(expires: dt.datetime | None) -> int | None:
    """Seconds the body may be served: until the first listed appointment starts."""
    if expires is None:
        return None
    return max(1, int((expires - timezone.now()).total_seconds()))
