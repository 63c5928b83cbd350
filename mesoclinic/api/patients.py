"""Patients: search (cursor pages) and the chart as the caller's role may read it."""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_clinical as c
from mesoclinic.api.auth import clinical, require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import as_form_data, body_doc, form_refused, read_body, refused
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import models as pm
from mesoclinic.patients import services
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.forms import HISTORY_FORMS, PatientForm, SearchForm, VoidForm
from mesoclinic.patients.search import search_patients
from mesoclinic.scheduling.access import get_site

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


# The same new patient sent twice by the same caller within this long is one submission.
AGAIN_WITHIN = timedelta(minutes=10)


@router.post(
    "",
    response={201: s.PatientDetail, 200: s.PatientDetail, **c.WRITE_REFUSED},
    openapi_extra=body_doc(s.PatientIn),
)
def create_patient(request: AuthedRequest) -> Any:
    """Register a patient through the patient form and service (its checks: a birth date
    not in the future nor before 1900, a number for text reminders, measurements in
    range). A patient of the same name and birth date already on file is a 409 naming
    them (send duplicate_ok to add another); the same patient sent again by the same
    caller within ten minutes answers 200 with the one first made."""
    require(request, roles.EDIT_DEMOGRAPHICS, Scope.WRITE)
    body = read_body(request, s.PatientIn)
    with_clinical = clinical(request)
    values = body.dict(exclude={"duplicate_ok", "home_site"})
    if (refusal := _clinical_refused(request, values)) is not None:
        return refusal
    if body.home_site is not None:
        values["home_site"] = get_site(body.home_site).pk
    form = PatientForm(
        as_form_data(values), sites=Site.objects.order_by("name"), clinical=with_clinical
    )
    if not form.is_valid():
        return form_refused(form)
    data = form.cleaned_data
    same = pm.Patient.objects.filter(
        first_name__iexact=data["first_name"].strip(),
        last_name__iexact=data["last_name"].strip(),
        date_of_birth=data["date_of_birth"],
    )
    mine = same.filter(created_by=request.user, created_at__gte=timezone.now() - AGAIN_WITHIN)
    if (again := mine.order_by("created_at").first()) is not None:
        return Status(200, _detail(request, again))
    if (other := same.first()) is not None and not body.duplicate_ok:
        return refused(
            f"A patient of this name and birth date is on file (id {other.public_id}): use "
            "that record, or send duplicate_ok to add another.",
            status=409,
        )
    patient = services.create_patient(request.user, form)
    return Status(201, _detail(request, patient))


def _clinical_refused(request: AuthedRequest, values: dict[str, Any]) -> Any:
    """400 naming the clinical fields a caller without a clinical role sent, else None."""
    if clinical(request):
        return None
    sent = [f for f in s.CLINICAL_FIELDS if values.pop(f, None) not in (None, "")]
    if not sent:
        return None
    errors = {f: ["Measurements and notes are recorded by clinical staff."] for f in sent}
    return Status(400, {"detail": "Leave out the clinical fields.", "errors": errors})


@router.patch(
    "/{uuid:patient_id}",
    response={200: s.PatientDetail, **c.WRITE_REFUSED},
    openapi_extra=body_doc(s.PatientChange),
)
def change_patient(request: AuthedRequest, patient_id: UUID) -> Any:
    """Change a patient's details through the patient form and service, as the edit page
    does: the fields sent are checked with the others as they are, and one audit event
    names the fields changed. Sending the same change again changes nothing."""
    require(request, roles.EDIT_DEMOGRAPHICS, Scope.WRITE)
    patient = get_patient(patient_id)
    values = read_body(request, s.PatientChange).dict(exclude_unset=True)
    if (refusal := _clinical_refused(request, values)) is not None:
        return refusal
    if values.get("home_site") is not None:
        values["home_site"] = get_site(values["home_site"]).pk
    sites, with_clinical = Site.objects.order_by("name"), clinical(request)
    current = PatientForm(instance=patient, sites=sites, clinical=with_clinical)
    data = as_form_data({**{n: current.initial.get(n) for n in current.fields}, **values})
    form = PatientForm(data, instance=patient, sites=sites, clinical=with_clinical)
    if not form.is_valid():
        return form_refused(form)
    services.update_patient(request.user, patient, form)
    return _detail(request, get_patient(patient_id))


@router.post(
    "/{uuid:patient_id}/history",
    response={201: s.PatientDetail, 200: s.PatientDetail, **c.WRITE_REFUSED},
    openapi_extra=body_doc(s.HistoryIn),
)
def add_history_entry(request: AuthedRequest, patient_id: UUID) -> Any:
    """Record an allergy, medication, condition, pregnancy status, skin infection,
    lifestyle factor or concern through the chart's own form and service (an allergy
    supersedes "no known allergies"). The answer is the patient with their history; the
    same entry sent again by the same caller within ten minutes is recorded once (200)."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    patient = get_patient(patient_id)
    body = read_body(request, s.HistoryIn)
    form = HISTORY_FORMS[body.kind](as_form_data(body.dict(exclude={"kind"})), patient=patient)
    if not form.is_valid():
        return form_refused(form)
    model = form._meta.model
    same = {k: v for k, v in form.cleaned_data.items() if not isinstance(v, list)}
    again = model.objects.filter(
        patient=patient,
        created_by=request.user,
        created_at__gte=timezone.now() - AGAIN_WITHIN,
        voided_at__isnull=True,
        **same,
    )
    if again.exists():
        return Status(200, _detail(request, patient))
    services.add_entry(request.user, patient, form)
    return Status(201, _detail(request, patient))


class VoidIn(Schema):
    reason: str = Field(max_length=500, description="Why the entry is wrong or no longer true.")


@router.post(
    "/{uuid:patient_id}/history/{kind}/{uuid:entry_id}/void",
    response={200: s.PatientDetail, **c.WRITE_REFUSED},
    openapi_extra=body_doc(VoidIn),
    summary="Void a history entry",
)
def void_history_entry(
    request: AuthedRequest, patient_id: UUID, kind: s.HistoryKind, entry_id: UUID
) -> Any:
    """An entry recorded in error, or no longer true, is voided with a reason, as on the
    chart: it stays in the record (who, when, why) and stops counting for the checks.
    Voiding it again changes nothing. The answer is the patient with their history."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    patient = get_patient(patient_id)
    model = services.ENTRY_MODELS[kind]
    entry = model.objects.filter(patient=patient, public_id=entry_id).first()
    if entry is None:
        return Status(404, {"detail": "Not found."})
    body = read_body(request, VoidIn)
    form = VoidForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    if entry.voided_at is None:
        services.void_entry(request.user, patient, entry, form.cleaned_data["reason"])
    return Status(200, _detail(request, get_patient(patient_id)))


@router.get("/{uuid:patient_id}", response={200: s.PatientDetail, 403: s.Error, 404: s.Error})
def patient_detail(request: AuthedRequest, patient_id: str) -> dict[str, Any]:
    # str, as ninja parsed it when unannotated: the query matches it like a UUID.
    require(request, roles.VIEW_DEMOGRAPHICS)
    patient = get_patient(patient_id)
    data = _detail(request, patient)
    detail = "api chart" if "history" in data else "api demographics"
    record(request.user, Action.VIEW, patient, detail=detail)
    return data


def _detail(request: AuthedRequest, patient: pm.Patient) -> dict[str, Any]:
    """The patient as the caller may read them: clinical detail needs both the role and,
    for a token, its clinical scope."""
    data = {
        **_summary(patient),
        "address": patient.address,
        "occupation": patient.occupation,
        "updated_at": patient.changed_at,
    }
    if clinical(request):
        chart = services.chart_for(patient)
        data.update(
            weight_kg=patient.weight_kg,
            height_cm=patient.height_cm,
            fitzpatrick=patient.fitzpatrick,
            alerts=[{"kind": k, "text": t} for k, t in chart.alerts],
            history=_history(chart),
        )
    return data
