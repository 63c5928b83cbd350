from datetime import date, datetime

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import forms, services
from mesoclinic.patients import models as m
from mesoclinic.patients.models import digits, search_key
from mesoclinic.plans.models import Plan
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import TreatmentSession
from mesoclinic.web.paging import CappedPaginator

PAGE_SIZE = 25
COUNT_CAP = 1000


def get_patient(request: HttpRequest, public_id) -> m.Patient:
    """The patient if they belong to the user's organization, else 404."""
    return get_object_or_404(m.Patient.objects.select_related("home_site"), public_id=public_id)


def get_entry(request: HttpRequest, patient: m.Patient, kind: str, public_id) -> m.HistoryEntry:
    model = services.ENTRY_MODELS.get(kind)
    if model is None:
        raise Http404
    return get_object_or_404(model.active, patient=patient, public_id=public_id)


def _sites(request):
    return Site.objects.order_by("name")


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search_patients(query: str):
    """Name prefix, date of birth, phone digits or email: each an index range scan."""
    qs = m.Patient.objects.all()
    query = query.strip()
    if not query:
        return qs, "list"
    if "@" in query:
        key = query.lower()
        return qs.filter(email_lower__gte=key, email_lower__lt=key + "\uffff"), "email"
    if dob := _parse_date(query):
        return qs.filter(date_of_birth=dob), "date of birth"
    if len(phone := digits(query)) >= 3 and len(phone) >= len(query.replace(" ", "")) - 2:
        return qs.filter(phone_digits__gte=phone, phone_digits__lt=phone + ":"), "phone"
    words = search_key(query).split()
    if not words:
        return qs.none(), "name"
    if len(words) == 1:
        lo, hi = words[0], words[0] + "\x7f"
        last = qs.filter(search_last__gte=lo, search_last__lt=hi)
        first = qs.filter(search_first__gte=lo, search_first__lt=hi)
        return last | first, "name"
    # "Anna Smi" or "Smith Anna": first word(s) and last word in either order.
    a, b = " ".join(words[:-1]), words[-1]
    forward = qs.filter(
        search_first__gte=a,
        search_first__lt=a + "\x7f",
        search_last__gte=b,
        search_last__lt=b + "\x7f",
    )
    backward = qs.filter(
        search_last__gte=a,
        search_last__lt=a + "\x7f",
        search_first__gte=b,
        search_first__lt=b + "\x7f",
    )
    return forward | backward, "name"


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_list(request):
    form = forms.SearchForm(request.GET)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    results, kind = search_patients(query)
    # A short prefix matches thousands of patients in a chain: count at most 1,000.
    paginator = CappedPaginator(results.order_by(*form.ordering()), PAGE_SIZE, cap=COUNT_CAP)
    page = paginator.get_page(request.GET.get("page"))
    record(request, Action.SEARCH, object_type="patient", detail=f"by {kind}, page {page.number}")
    context = {"form": form, "page": page, "query": query, "sort": form.data.get("sort", "")}
    template = "patients/_results.html" if request.htmx else "patients/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_DEMOGRAPHICS)
def patient_new(request):
    clinical = roles.can(request.user, roles.EDIT_CLINICAL)
    form = forms.PatientForm(request.POST or None, sites=_sites(request), clinical=clinical)
    if request.method == "POST" and form.is_valid():
        patient = services.create_patient(request, form)
        messages.success(request, f"{patient.full_name} added.")
        return redirect("patient_detail", public_id=patient.public_id)
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": None},
        status=400 if form.errors else 200,
    )


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_detail(request, public_id):
    patient = get_patient(request, public_id)
    clinical = roles.can(request.user, roles.VIEW_CLINICAL)
    chart = services.chart_for(patient) if clinical else None
    record(request, Action.VIEW, patient, detail="chart" if clinical else "demographics")
    plans = Plan.objects.filter(patient=patient).order_by("-created_at")[:20]
    treatment_sessions = (
        TreatmentSession.objects.filter(patient=patient)
        .select_related("site")
        .order_by("-started_at")[:50]
    )
    adverse_events = safety.events_for_patient(patient) if clinical else []
    appointments = (
        Appointment.objects.filter(
            patient=patient, starts_at__gte=timezone.now(), status__in=HOLDS_SLOT
        )
        .select_related("site", "practitioner", "room")
        .order_by("starts_at")[:20]
    )
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "chart": chart,
            "kinds": forms.HISTORY_FORMS,
            "plans": plans,
            "treatment_sessions": treatment_sessions,
            "adverse_events": adverse_events,
            "appointments": appointments,
        },
    )


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_DEMOGRAPHICS)
def patient_edit(request, public_id):
    patient = get_patient(request, public_id)
    clinical = roles.can(request.user, roles.EDIT_CLINICAL)
    form = forms.PatientForm(
        request.POST or None, instance=patient, sites=_sites(request), clinical=clinical
    )
    if request.method == "POST" and form.is_valid():
        services.update_patient(request, patient, form)
        messages.success(request, "Changes saved.")
        return redirect("patient_detail", public_id=patient.public_id)
    if request.method == "GET":
        record(request, Action.VIEW, patient, detail="edit form")
    return render(
        request,
        "patients/form.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def entry_add(request, public_id, kind):
    patient = get_patient(request, public_id)
    form_class = forms.HISTORY_FORMS.get(kind)
    if form_class is None:
        raise Http404
    form = form_class(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        services.add_entry(request, patient, form)
        if request.htmx:
            return _section(request, patient, kind)
        messages.success(request, "Entry added.")
        return redirect("patient_detail", public_id=patient.public_id)
    context = {"form": form, "patient": patient, "kind": kind}
    template = "patients/_entry_form.html" if request.htmx else "patients/entry_form.html"
    return render(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def entry_void(request, public_id, kind, entry_id):
    patient = get_patient(request, public_id)
    entry = get_entry(request, patient, kind, entry_id)
    form = forms.VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.void_entry(request, patient, entry, form.cleaned_data["reason"])
        if request.htmx:
            return _section(request, patient, kind)
        messages.success(request, "Entry voided.")
        return redirect("patient_detail", public_id=patient.public_id)
    context = {"form": form, "patient": patient, "kind": kind, "entry": entry}
    template = "patients/_void_form.html" if request.htmx else "patients/void_form.html"
    return render(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@require(roles.SIGN_CLINICAL)
def allergy_code(request, public_id, entry_id):
    """A practitioner codes an allergy nothing recognised, or records why it does not apply."""
    patient = get_patient(request, public_id)
    allergy = get_object_or_404(m.Allergy.active, patient=patient, public_id=entry_id)
    form = forms.AllergyCodingForm(request.POST if request.method == "POST" else None)
    error = None
    if not allergy.needs_coding:
        error = "This allergy is already coded."
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == form.CODE:
                services.code_allergy(request, patient, allergy, data["allergens"])
            else:
                services.set_allergy_aside(request, patient, allergy, data["reason"].strip())
        except services.AllergyAlreadyDecided as refusal:
            error = str(refusal)
        else:
            if request.htmx:
                return _section(request, patient, "allergy")
            messages.success(request, "Allergy coded.")
            return redirect("patient_detail", public_id=patient.public_id)
    context = {"form": form, "patient": patient, "entry": allergy, "error": error}
    template = "patients/_allergy_code_form.html" if request.htmx else "patients/allergy_code.html"
    return render(request, template, context, status=400 if (form.errors or error) else 200)


def _section(request, patient, kind):
    """Re-render the chart's history after an HTMX change; the alert banner goes out of band."""
    chart = services.chart_for(patient)
    context = {"patient": patient, "chart": chart, "kinds": forms.HISTORY_FORMS, "oob": True}
    response = render(request, "patients/_history.html", context)
    return reswap(retarget(response, "#history"), "outerHTML")


@require_GET
@require(roles.VIEW_CLINICAL)
def patient_changes(request, public_id):
    patient = get_patient(request, public_id)
    changes = (
        m.ChangeLog.objects.filter(patient=patient)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")[:200]
    )
    record(request, Action.VIEW, patient, detail="change history")
    return render(request, "patients/changes.html", {"patient": patient, "changes": changes})
