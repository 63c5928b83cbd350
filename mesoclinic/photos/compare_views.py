"""The comparison page of a patient's photos: two photos of one view, slider or overlay.

The rules of which two photos may be compared and how they line up are in
`photos/compare.py`; this page only turns the address into a comparison and shows it.
A refused comparison is the page again with the reason, as a 400.
"""

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.patients.access import get_patient
from mesoclinic.photos import compare


@require_GET
@require(roles.VIEW_CLINICAL)
@never_cache
def photo_compare(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    found = compare.compare(
        request.user,
        patient,
        view=request.GET.get("view", "").strip(),
        before=request.GET.get("before", "").strip(),
        after=request.GET.get("after", "").strip(),
    )
    status = 400 if found.refusal else 200
    return render(request, "photos/compare.html", {"c": found, "patient": patient}, status=status)
