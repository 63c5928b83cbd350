"""The diary: day and week boards, booking, moving and cancelling appointments (HTMX)."""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic import query_ids
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.models import Patient
from mesoclinic.patients.search import search_patients
from mesoclinic.scheduling import access, course, forms, services, visit_state, visits
from mesoclinic.scheduling.diary import Diary
from mesoclinic.scheduling.models import Appointment, Status, TreatmentType
from mesoclinic.scheduling.services import Refused
from mesoclinic.transitions import TransitionRefused


def _day(request: AuthedRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return None


def _treatments() -> QuerySet[TreatmentType]:
    return TreatmentType.objects.filter(active=True).order_by("name")


@require_GET
@require(access.BOOK)
def patient_picker(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    results, kind = search_patients(query) if query.strip() else (Patient.objects.none(), "")
    found = list(results.order_by("search_last", "search_first")[:10])
    if query.strip():
        record(request.user, Action.SEARCH, object_type="patient", detail=f"by {kind}, for booking")
    return render(request, "scheduling/_patient_picker.html", {"found": found, "query": query})


@require_http_methods(["GET", "POST"])
@require(access.BOOK)
def appointment_new(request: AuthedRequest) -> HttpResponse:
    site_id = request.POST.get("site") or request.GET.get("site")
    site = access.get_site(site_id) if site_id and access.is_uuid(site_id) else None
    site = site or access.sites().first()
    if site is None:
        raise Http404
    initial = {
        k: request.GET[k]
        for k in ("date", "time", "practitioner", "patient", "room")
        if k in request.GET
    }
    form = forms.BookForm(
        request.POST or None,
        initial=initial,
        site=site,
        staff=access.clinicians(site),
        treatments=_treatments(),
    )
    error = None
    # A booking link names its patient in the query string: 404 unless one of ours.
    patient = query_ids.object_from_query(request, "patient", Patient.objects.all())
    posted = request.POST.get("patient")
    if posted:  # the form's own field, checked next to it
        patient = (
            Patient.objects.filter(public_id=posted).first() if access.is_uuid(posted) else None
        )
    if request.method == "POST" and form.is_valid():
        if patient is None:
            form.add_error("patient", "Choose the patient.")
        else:
            try:
                appt = _book(request, form, site, patient)
            except Refused as refused:
                error = refused.message
            else:
                messages.success(request, f"Booked {_when(appt)} with {appt.practitioner}.")
                return redirect("appointment_detail", public_id=appt.public_id)
    context = {"form": form, "site": site, "patient": patient, "error": error}
    failed = error or (request.method == "POST" and form.errors)
    return render(
        request, "scheduling/appointment_new.html", context, status=400 if failed else 200
    )


@require_GET
@require(access.BOOK)
def appointment_new_slots(request: AuthedRequest) -> HttpResponse:
    """Free starts for the booking form's practitioner, room, treatment and day (HTMX, as
    the fields change); the length is the treatment's."""
    site_id = request.GET.get("site", "")
    site = access.get_site(site_id) if access.is_uuid(site_id) else access.sites().first()
    if site is None:
        raise Http404
    form = forms.BookForm(
        request.GET, site=site, staff=access.clinicians(site), treatments=_treatments()
    )
    form.is_valid()  # the time is what the slots are for: read the fields that are valid
    data = form.cleaned_data
    person, day = data.get("practitioner"), data.get("date")
    treatment, room = data.get("treatment_type"), data.get("room")
    context: dict[str, Any] = {
        "slots": [],
        "day": day,
        "person": person,
        "room": room,
        "minutes": int(form.duration().total_seconds() // 60),
        "from_treatment": treatment is not None,
    }
    if person is None or day is None:
        return render(request, "scheduling/_new_slots.html", context)
    patient = None
    patient_id = request.GET.get("patient", "")
    if access.is_uuid(patient_id):
        patient = Patient.objects.filter(public_id=patient_id).first()
    diary = Diary.load(site, day, day, staff=[person], patient=patient)
    if room is not None:
        diary = replace(diary, rooms=[room])  # that room or none
    slots = diary.free_slots(
        day,
        person,
        form.duration(),
        patient=patient,
        needs_room=room is not None or (treatment.needs_room if treatment else True),
        not_before=timezone.now(),
    )
    record(
        request.user,
        Action.VIEW,
        object_type="calendar-practitioner",
        object_id=str(person.public_id),
        detail=f"free slots {day.isoformat()}",
    )
    context["slots"] = [s.starts_at.astimezone(site.zone) for s in slots]
    return render(request, "scheduling/_new_slots.html", context)


def _book(
    request: AuthedRequest, form: forms.BookForm, site: Site, patient: Patient
) -> Appointment:
    starts_at = form.starts_at(site)
    treatment = form.cleaned_data.get("treatment_type")
    room = form.cleaned_data.get("room")
    needs_room = treatment.needs_room if treatment else True
    duration = form.duration()
    if room is None and needs_room:
        diary = Diary.load(site, form.cleaned_data["date"], form.cleaned_data["date"])
        room = diary.free_room(starts_at, starts_at + duration)
        if room is None and diary.rooms:
            raise Refused("No room is free at that time.")
    return services.book(
        request.user,
        site=site,
        room=room,
        practitioner=form.cleaned_data["practitioner"],
        patient=patient,
        treatment_type=treatment,
        starts_at=starts_at,
        ends_at=starts_at + duration,
    )


def _when(appt: Appointment) -> str:
    return services.span(appt.starts_at, appt.ends_at, appt.site)


@require_GET
@require(access.VIEW_DIARY)
def appointment_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    appt = access.get_appointment(public_id)
    record(request.user, Action.VIEW, appt)
    return render(request, "scheduling/appointment.html", detail_context(request, appt))


def detail_context(request: AuthedRequest, appt: Appointment, **extra: Any) -> dict[str, Any]:
    total = len(appt.plan_version.result.get("schedule", [])) if appt.plan_version else None
    return {
        "appt": appt,
        "starts": appt.local_start(),
        "ends": appt.local_end(),
        "total": total,
        "can_see_areas": roles.can(request.user, access.SEE_AREAS),
        "can_book": roles.can(request.user, access.BOOK),
        "cancel_form": forms.CancelForm(),
        "can_plan": appt.plan and roles.can(request.user, access.VIEW_DIARY),
        "arrived": appt.arrived_at.astimezone(appt.site.zone) if appt.arrived_at else None,
        "check_in_refusal": visits.check_in_refusal(appt),
        "can_treat": roles.can(request.user, access.TREAT),
        "start_refusal": visits.start_refusal(appt),
        **extra,
    }


def _move_form(
    request: AuthedRequest, appt: Appointment, data: QueryDict | None = None
) -> forms.MoveForm:
    return forms.MoveForm(
        data,
        initial={
            "date": appt.local_start().date(),
            "time": appt.local_start().time(),
            "lock_version": appt.lock_version,
        },
        site=appt.site,
        can_shorten=roles.can(request.user, access.SHORTEN_INTERVAL),
        in_course=bool(appt.plan_id and appt.course_session),
    )


@require_http_methods(["GET", "POST"])
@require(access.BOOK)
def appointment_move(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    appt = access.get_appointment(public_id)
    form = _move_form(request, appt, request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        starts_at = form.starts_at(appt.site)
        try:
            moved = course.move(
                request.user,
                appt,
                starts_at=starts_at,
                lock_version=form.cleaned_data["lock_version"],
                room=form.cleaned_data.get("room") or course.room_at(appt, starts_at),
                reason=form.cleaned_data.get("reason", ""),
                shift_rest=form.cleaned_data.get("shift_rest", False),
            )
        except Refused as refused:
            error = refused.message
            appt = access.get_appointment(public_id)
        else:
            extra = f" and {len(moved) - 1} later sessions" if len(moved) > 1 else ""
            messages.success(request, f"Moved to {_when(moved[0])}{extra}.")
            return redirect("appointment_detail", public_id=appt.public_id)
    record(request.user, Action.VIEW, appt, detail="move")
    day = form.data.get("date") if form.is_bound else None
    context = {"appt": appt, "form": form, "error": error, "slots_date": day}
    return render(request, "scheduling/move.html", context, status=400 if error else 200)


@require_GET
@require(access.BOOK)
def appointment_slots(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """Free starts for this appointment's practitioner and patient on a day (the move picker)."""
    appt = access.get_appointment(public_id)
    day = _day(request) or appt.local_start().date()
    diary = Diary.load(appt.site, day, day, staff=[appt.practitioner], patient=appt.patient)
    slots = diary.free_slots(
        day,
        appt.practitioner,
        appt.ends_at - appt.starts_at,
        patient=appt.patient,
        needs_room=appt.room_id is not None,
        exclude=(appt.pk,),
        prefer_room=appt.room,
        not_before=timezone.now(),
    )
    zone = appt.site.zone
    problems = course.interval_problems(appt, day)
    if request.GET.get("refused") == day.isoformat():
        problems = []  # the refusal above the form already says it, once
    record(request.user, Action.VIEW, appt, detail=f"free slots {day.isoformat()}")
    context = {
        "appt": appt,
        "day": day,
        "slots": [(s, s.starts_at.astimezone(zone)) for s in slots],
        "problems": problems,
    }
    return render(request, "scheduling/_slots.html", context)


# services.cancel also takes the reason.
STATUS_ACTIONS: dict[str, tuple[Status, Callable[..., Appointment]]] = {
    "confirm": (Status.CONFIRMED, services.confirm),
    "book": (Status.BOOKED, services.accept),
    "cancel": (Status.CANCELLED, services.cancel),
    "no-show": (Status.NO_SHOW, services.no_show),
    "complete": (Status.COMPLETED, services.complete),
}


@require_POST
@require(access.BOOK)
def appointment_status(request: AuthedRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    appt = access.get_appointment(public_id)
    if action not in STATUS_ACTIONS:
        raise Http404
    status, change = STATUS_ACTIONS[action]
    reason = (request.POST.get("reason", ""),) if status == Status.CANCELLED else ()
    try:
        change(request.user, appt, *reason)
    except (Refused, TransitionRefused) as refused:
        appt = access.get_appointment(public_id)
        if request.htmx:  # the day's button; a double submit finds it done: no error
            said = "" if appt.status == status else refused.message
            return visit_state.render_state(request, appt, said)
        form = forms.CancelForm(request.POST if status == Status.CANCELLED else None)
        if refused.field == "reason":
            form.is_valid()
            form.add_error("reason", refused.message)
        context = detail_context(request, appt, error=refused.message, cancel_form=form)
        return render(request, "scheduling/appointment.html", context, status=400)
    if request.htmx:
        return visit_state.render_state(request, access.get_appointment(public_id))
    messages.success(request, f"Appointment {Status(status).label.lower()}.")
    if status == Status.CANCELLED and appt.plan_id:
        messages.info(request, "The course session is open again for re-booking.")
    return redirect(reverse("appointment_detail", args=[appt.public_id]))
