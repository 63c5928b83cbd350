"""JSON API (django-ninja). Session authentication, the same roles and audit as the pages.

Outsiders get 404 for another organization's objects; reception gets
demographics and never clinical history.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema, Status
from ninja.security import django_auth

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import schemas as s
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import models as pm
from mesoclinic.patients import services
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.forms import SearchForm
from mesoclinic.patients.search import PAGE_SIZE, search_patients

# The schema and its docs page are for the clinic's staff, like the API they describe.
api = NinjaAPI(
    title="mesoclinic API",
    version="1",
    auth=django_auth,
    urls_namespace="api",
    docs_decorator=require(roles.VIEW_DEMOGRAPHICS),
)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Your role may not do this."}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _require(request: AuthedRequest, capability: str) -> None:
    if not roles.can(request.user, capability):
        raise PermissionDenied


class SearchParams(Schema):
    q: str = ""
    sort: str = "name"
    page: int = 1


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


@api.get("/patients", response={200: s.PatientPage, 400: s.Error, 403: s.Error})
def list_patients(
    request: AuthedRequest, params: Query[SearchParams]
) -> Status[dict[str, str]] | dict[str, Any]:
    _require(request, roles.VIEW_DEMOGRAPHICS)
    form = SearchForm({"q": params.q, "sort": params.sort})
    if not form.is_valid():
        return Status(
            400,
            {"detail": "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())},
        )
    results, kind = search_patients(form.cleaned_data["q"])
    page = Paginator(results.order_by(*form.ordering()), PAGE_SIZE).get_page(params.page)
    record(
        request.user,
        Action.SEARCH,
        object_type="patient",
        detail=f"api by {kind}, page {page.number}",
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [_summary(p) for p in page.object_list],
    }


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


@api.get("/patients/{uuid:patient_id}", response={200: s.PatientDetail, 403: s.Error, 404: s.Error})
def patient_detail(request: AuthedRequest, patient_id: str) -> dict[str, Any]:
    # str, as ninja parsed it when unannotated: the query matches it like a UUID.
    _require(request, roles.VIEW_DEMOGRAPHICS)
    patient = get_patient(patient_id)
    clinical = roles.can(request.user, roles.VIEW_CLINICAL)
    data = {
        **_summary(patient),
        "address": patient.address,
        "occupation": patient.occupation,
        "updated_at": patient.changed_at,
    }
    if clinical:
        chart = services.chart_for(patient)
        data.update(
            weight_kg=patient.weight_kg,
            height_cm=patient.height_cm,
            fitzpatrick=patient.fitzpatrick,
            alerts=[{"kind": k, "text": t} for k, t in chart.alerts],
            history=_history(chart),
        )
    record(
        request.user, Action.VIEW, patient, detail="api chart" if clinical else "api demographics"
    )
    return data
