"""Patients: search (cursor pages) and the chart as the caller's role may read it."""

from collections.abc import Callable, Iterable
from typing import Any, Literal

from ninja import Query, Router, Status
from pydantic import Field

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api.auth import clinical, require
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import models as pm
from mesoclinic.patients import services
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.forms import SearchForm
from mesoclinic.patients.search import search_patients

router = Router(tags=["patients"])


class SearchParams(cursor.PageParams):
    q: str = Field("", max_length=100, description="Name prefix, date of birth, phone or email.")
    sort: Literal["name", "-name", "dob", "-dob", "recent"] = "name"


def _summary(p: pm.Patient) -> dict[str, Any]:
    return {
        "id": p.public_id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": p.date_of_birth,
        "sex": p.sex,
        "phone": p.phone,
        "email": p.email,
    }


@router.get("", response={200: s.PatientPage, 400: s.Error, 403: s.Error})
def list_patients(
    request: AuthedRequest, params: Query[SearchParams]
) -> Status[dict[str, str]] | dict[str, Any]:
    require(request, roles.VIEW_DEMOGRAPHICS)
    form = SearchForm({"q": params.q, "sort": params.sort})
    if not form.is_valid():
        return Status(
            400,
            {"detail": "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())},
        )
    results, kind = search_patients(form.cleaned_data["q"])
    rows, after = cursor.page(results, form.ordering(), params)
    record(
        request.user,
        Action.SEARCH,
        object_type="patient",
        detail=f"api by {kind}{', next page' if params.cursor else ''}",
    )
    return {"results": [_summary(p) for p in rows], "next": after}


def _history(chart: services.Chart) -> list[dict[str, Any]]:
    groups: list[tuple[str, Iterable[Any], Callable[[Any], str]]] = [
        ("allergy", chart.allergies, lambda e: e.label),
        ("no-known-allergies", chart.no_known_allergies, str),
        ("medication", chart.medications, lambda e: f"{e.name} {e.dose}".strip()),
        ("condition", chart.conditions, lambda e: e.get_condition_display()),
        ("pregnancy", chart.pregnancy, lambda e: e.get_status_display()),
        ("infection", chart.infections, str),
        ("lifestyle", chart.lifestyle, lambda e: e.get_factor_display()),
        ("concern", chart.concerns, lambda e: e.get_concern_display()),
    ]
    return [
        {
            "id": e.public_id,
            "kind": kind,
            "text": text(e),
            "recorded_on": e.recorded_on,
            "recorded_by": e.created_by.full_name,
        }
        for kind, entries, text in groups
        for e in entries
    ]


@router.get("/{uuid:patient_id}", response={200: s.PatientDetail, 403: s.Error, 404: s.Error})
def patient_detail(request: AuthedRequest, patient_id: str) -> dict[str, Any]:
    # str, as ninja parsed it when unannotated: the query matches it like a UUID.
    require(request, roles.VIEW_DEMOGRAPHICS)
    patient = get_patient(patient_id)
    # Clinical detail needs both the role and, for a token, its clinical scope.
    with_chart = clinical(request)
    data = {
        **_summary(patient),
        "address": patient.address,
        "occupation": patient.occupation,
        "updated_at": patient.changed_at,
    }
    if with_chart:
        chart = services.chart_for(patient)
        data.update(
            weight_kg=patient.weight_kg,
            height_cm=patient.height_cm,
            fitzpatrick=patient.fitzpatrick,
            alerts=[{"kind": k, "text": t} for k, t in chart.alerts],
            history=_history(chart),
        )
    record(
        request.user, Action.VIEW, patient, detail="api chart" if with_chart else "api demographics"
    )
    return data
