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

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template import engines
from django.template.backends.utils import csrf_input
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.context_processors import role
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import forms, services
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.plans import sections as plan_sections
from mesoclinic.scheduling import sections as diary_sections
from mesoclinic.treatments import sections as treatment_sections

SECTIONS = (plan_sections, treatment_sections, diary_sections)
BODY = "patients/_chart_body.html"
# Stands for each form's CSRF field in a cached body; a NUL never survives escaping.
CSRF_SLOT = "\x00csrf\x00"


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
    html = cache.get(key)
    if html is None:
        html, expires = _render_body(patient, rights, clinical=clinical)
        cache.set(key, html, _timeout(expires))
    return mark_safe(html.replace(CSRF_SLOT, csrf_input(request)))  # noqa: S308 - our own render


def chart_key(request: AuthedRequest, patient: Patient, rights: dict[str, bool]) -> str:
    organization = request.user.organization
    allowed = "".join("1" if rights[name] else "0" for name in sorted(rights))
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
) -> tuple[str, dt.datetime | None]:
    context: dict[str, Any] = {
        "patient": patient,
        "chart": services.chart_for(patient) if clinical else None,
        "kinds": forms.HISTORY_FORMS,
        "csrf_input": mark_safe(CSRF_SLOT),  # noqa: S308 - a constant
        **rights,
    }
    for section in SECTIONS:
        context |= section.chart_section(patient, clinical=clinical)
    appointments = list(context["appointments"])
    context["appointments"] = appointments
    html = engines["jinja2"].get_template(BODY).render(context)
    return html, appointments[0].starts_at if appointments else None


def _timeout(expires: dt.datetime | None) -> int:
    """Seconds the body may be served: until the first listed appointment starts
    (0, caching nothing, where MESOCLINIC_CHART_CACHE_SECONDS is 0)."""
    longest = settings.CHART_CACHE_SECONDS
    if expires is None or longest <= 0:
        return longest
    return max(1, min(longest, int((expires - timezone.now()).total_seconds())))
