"""The patient chart: one page above the apps, assembled from the section each app provides.

The patients app owns the patient and their history; plans, treatments and the diary
each hand over their own section (`<app>.sections.chart_section`). No app imports
this page, so the chart can grow without tying the apps to each other.
"""

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import forms, services
from mesoclinic.patients.access import get_patient
from mesoclinic.plans import sections as plan_sections
from mesoclinic.scheduling import sections as diary_sections
from mesoclinic.treatments import sections as treatment_sections

SECTIONS = (plan_sections, treatment_sections, diary_sections)


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(public_id)
    clinical = roles.can(request.user, roles.VIEW_CLINICAL)
    chart = services.chart_for(patient) if clinical else None
    record(request.user, Action.VIEW, patient, detail="chart" if clinical else "demographics")
    context = {"patient": patient, "chart": chart, "kinds": forms.HISTORY_FORMS}
    for section in SECTIONS:
        context |= section.chart_section(patient, clinical=clinical)
    return render(request, "patients/detail.html", context)
