import uuid
from functools import partial

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.paging import CappedPaginator
from mesoclinic.patients import forms, search, services
from mesoclinic.patients import models as m
from mesoclinic.patients.access import get_entry, get_patient


def _sites() -> QuerySet[Site]:
    return Site.objects.order_by("name")


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_list(request: AuthedRequest) -> HttpResponse:
    form = forms.SearchForm(request.GET)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    results, kind = search.search_patients(query)
    # A short prefix matches thousands of patients in a chain: count at most 1,000.
    ordering = form.ordering()
    paginator = CappedPaginator(
        results.order_by(*ordering),
        search.PAGE_SIZE,
        cap=search.COUNT_CAP,
        window=partial(search.ordered_window, query, ordering),
    )
    page = paginator.get_page(request.GET.get("page"))
    record(
        request.user, Action.SEARCH, object_type="patient", detail=f"by {kind}, page {page.number}"
    )
    context = {"form": form, "page": page, "query": query, "sort": form.data.get("sort", "")}
    template = "patients/_results.html" if request.htmx else "patients/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_DEMOGRAPHICS)
def patient_new(request: AuthedRequest) -> HttpResponse:
    clinical = roles.can(request.user, roles.EDIT_CLINICAL)
    form = forms.PatientForm(request.POST or None, sites=_sites(), clinical=clinical)
    if request.method == "POST" and form.is_valid():
        patient = services.create_patient(request.user, form)
        messages.success(request, f"{patient.full_name} added.")
        return redirect("patient_detail", public_id=patient.public_id)
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": None},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_DEMOGRAPHICS)
def patient_edit(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(public_id)
    clinical = roles.can(request.user, roles.EDIT_CLINICAL)
    form = forms.PatientForm(
        request.POST or None, instance=patient, sites=_sites(), clinical=clinical
    )
    if request.method == "POST" and form.is_valid():
        services.update_patient(request.user, patient, form)
        messages.success(request, "Changes saved.")
        return redirect("patient_detail", public_id=patient.public_id)
    if request.method == "GET":
        record(request.user, Action.VIEW, patient, detail="edit form")
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def entry_add(request: AuthedRequest, public_id: uuid.UUID, kind: str) -> HttpResponse:
    patient = get_patient(public_id)
    form_class = forms.HISTORY_FORMS.get(kind)
    if form_class is None:
        raise Http404
    form = form_class(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        services.add_entry(request.user, patient, form)
        if request.htmx:
            return _section(request, patient)
        messages.success(request, "Entry added.")
        return redirect("patient_detail", public_id=patient.public_id)
    record(request.user, Action.VIEW, patient, detail=f"{kind} form")
    context = {"form": form, "patient": patient, "kind": kind}
    template = "patients/_entry_form.html" if request.htmx else "patients/entry_form.html"
    return render(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def entry_void(
    request: AuthedRequest, public_id: uuid.UUID, kind: str, entry_id: uuid.UUID
) -> HttpResponse:
    patient = get_patient(public_id)
    entry = get_entry(patient, kind, entry_id)
    form = forms.VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.void_entry(request.user, patient, entry, form.cleaned_data["reason"])
        if request.htmx:
            return _section(request, patient)
        messages.success(request, "Entry voided.")
        return redirect("patient_detail", public_id=patient.public_id)
    record(request.user, Action.VIEW, patient, detail=f"void form for a {kind} entry")
    context = {"form": form, "patient": patient, "kind": kind, "entry": entry}
    template = "patients/_void_form.html" if request.htmx else "patients/void_form.html"
    return render(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@require(roles.SIGN_CLINICAL)
def allergy_code(request: AuthedRequest, public_id: uuid.UUID, entry_id: uuid.UUID) -> HttpResponse:
    """A practitioner codes an allergy nothing recognised, or records why it does not apply."""
    patient = get_patient(public_id)
    allergy = get_object_or_404(m.Allergy.active, patient=patient, public_id=entry_id)
    form = forms.AllergyCodingForm(request.POST if request.method == "POST" else None)
    error = None
    if not allergy.needs_coding:
        error = "This allergy is already coded."
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == form.CODE:
                services.code_allergy(request.user, patient, allergy, data["allergens"])
            else:
                services.set_allergy_aside(request.user, patient, allergy, data["reason"].strip())
        except services.AllergyAlreadyDecided as refusal:
            error = str(refusal)
        else:
            if request.htmx:
                return _section(request, patient)
            messages.success(request, "Allergy coded.")
            return redirect("patient_detail", public_id=patient.public_id)
    record(request.user, Action.VIEW, patient, detail="allergy coding form")
    context = {"form": form, "patient": patient, "entry": allergy, "error": error}
    template = "patients/_allergy_code_form.html" if request.htmx else "patients/allergy_code.html"
    return render(request, template, context, status=400 if (form.errors or error) else 200)


def _section(request: AuthedRequest, patient: m.Patient) -> HttpResponse:
    """Re-render the chart's history after an HTMX change; the alert banner goes out of band."""
    chart = services.chart_for(patient)
    context = {"patient": patient, "chart": chart, "kinds": forms.HISTORY_FORMS, "oob": True}
    response = render(request, "patients/_history.html", context)
    return reswap(retarget(response, "#history"), "outerHTML")


@require_GET
@require(roles.VIEW_CLINICAL)
def patient_changes(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(public_id)
    changes = (
        m.ChangeLog.objects.filter(patient=patient)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")[:200]
    )
    record(request.user, Action.VIEW, patient, detail="change history")
    return render(request, "patients/changes.html", {"patient": patient, "changes": changes})
