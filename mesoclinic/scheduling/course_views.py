"""Book the course: a plan's schedule as proposed appointments, confirmed all at once."""

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.plans.access import get_plan
from mesoclinic.plans.models import Plan, PlanVersion
from mesoclinic.scheduling import access, course, forms, intervals
from mesoclinic.scheduling.models import Appointment, Status, TreatmentType
from mesoclinic.scheduling.services import Refused


def _form(
    plan: Plan, version: PlanVersion | None, data: QueryDict | None = None
) -> forms.ProposeCourseForm:
    sites = list(access.sites())
    home = plan.patient.home_site
    initial = {"site": str((home or sites[0]).public_id)} if sites else {}
    # The practitioner who approved the plan, by default.
    if version is not None:
        initial["practitioner"] = str(version.approved_by.public_id)
    return forms.ProposeCourseForm(
        data,
        initial=initial,
        sites=sites,
        staff=access.clinicians(),
        treatments=TreatmentType.objects.filter(active=True).order_by("name"),
    )


def _context(
    request: AuthedRequest,
    plan: Plan,
    form: forms.ProposeCourseForm,
    version: PlanVersion | None,
    **extra: Any,
) -> dict[str, Any]:
    appointments = course.course_appointments(plan)
    rows = course.course_rows(version, appointments, course.given_sessions(plan))
    return {
        "plan": plan,
        "patient": plan.patient,
        "version": version,
        "rows": rows,
        "form": form,
        "bookable": plan.status in course.BOOKABLE and version is not None,
        "follow_ups": course.follow_up_visits(appointments),
        "proposed": course.counted(
            (a for a in appointments if a.status == Status.PROPOSED), "proposed"
        ),
        "open": sum(1 for r in rows if r["open"]),
        "can_see_areas": roles.can(request.user, access.SEE_AREAS),
        "latest_days": course.LATEST_DAYS,
        "no_limit": intervals.NO_LIMIT,
        **extra,
    }


@require_GET
@require(access.VIEW_DIARY)
def course_page(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    version = course.latest_version(plan)
    record(request.user, Action.VIEW, plan, detail="course bookings")
    form = _form(plan, version)
    return render(request, "scheduling/course.html", _context(request, plan, form, version))


@require_POST
@require(access.BOOK)
def course_propose(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    version = course.latest_version(plan)
    form = _form(plan, version, request.POST)
    if not form.is_valid():
        context = _context(request, plan, form, version)
        return render(request, "scheduling/course.html", context, status=400)
    treatment = form.cleaned_data.get("treatment_type")
    minutes = treatment.duration_minutes if treatment else 45
    try:
        proposals, made = course.propose_course(
            request.user,
            plan,
            site=form.cleaned_data["site"],
            practitioner=form.cleaned_data["practitioner"],
            treatment_type=treatment,
            duration=dt.timedelta(minutes=minutes),
            prefer=form.cleaned_data["prefer"],
        )
    except Refused as refused:
        context = _context(request, plan, form, version, error=refused.message)
        return render(request, "scheduling/course.html", context, status=400)
    missing = [p for p in proposals if p.slot is None]
    if made:
        messages.success(request, f"{len(made)} sessions proposed: check them and confirm.")
    for p in missing:
        messages.warning(
            request,
            f"Session {p.session}: no free slot between {p.earliest:%-d %b} and {p.latest:%-d %b}; "
            "try another practitioner or site.",
        )
    if not proposals:
        messages.info(request, "Every session of the course already has an appointment.")
    return redirect("course_page", public_id=plan.public_id)


@require_POST
@require(access.BOOK)
def course_confirm(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    proposed = _proposed(plan)
    course.confirm_course(request.user, plan)
    messages.success(request, f"{course.counted(proposed) or 'Nothing'} booked.")
    return redirect("course_page", public_id=plan.public_id)


@require_POST
@require(access.BOOK)
def course_discard(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(public_id)
    proposed = _proposed(plan)
    course.discard_proposals(request.user, plan)
    messages.success(request, f"{course.counted(proposed, 'proposed') or 'Nothing'} discarded.")
    return redirect("course_page", public_id=plan.public_id)


def _proposed(plan: Plan) -> list[Appointment]:
    return [a for a in course.course_appointments(plan) if a.status == Status.PROPOSED]
