"""A patient's outcomes: what is due, each scale's course, and entering a score (HTMX)."""

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from mesoclinic import fragments
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.outcomes import courses, follow_ups, forms, plots, services, timecourse
from mesoclinic.outcomes.access import get_assessment, get_course
from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.plans.models import Plan
from mesoclinic.rules import RulesInputError, outcomes
from mesoclinic.scheduling.services import Refused

# The typical course behind each plot is counted again hourly.
TRAJECTORY_SECONDS = timecourse.TYPICAL_SECONDS


@require_GET
@require(roles.VIEW_CLINICAL)
def patient_outcomes(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_patient(patient_id)
    record(request.user, Action.VIEW, patient, detail="outcomes")
    found = courses.courses_for(patient)
    context = {
        "patient": patient,
        "courses": found,
        "due": courses.due_for(found),
        "follow_ups": [follow_ups.visits(c) for c in found],
        "search_days": follow_ups.SEARCH_DAYS,
        "series": _series(patient, found),
    }
    return render(request, "outcomes/patient.html", context)


@require_POST
@require(roles.VIEW_CLINICAL)
def follow_ups_propose(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Proposed visits for a course's follow-ups, with whoever gave its last session there."""
    patient = get_patient(patient_id)
    found = get_course(patient, request.POST.get("plan", ""), request.POST.get("protocol", ""))
    last = follow_ups.last_session(found)
    who = follow_ups.default_practitioner(last) if last else None
    if last is None or who is None:
        messages.warning(request, "No one who gave this course treats here now: book by hand.")
        return redirect("patient_outcomes", patient_id=patient.public_id)
    try:
        done = follow_ups.propose_follow_ups(
            request.user,
            found,
            site=last.site,
            practitioner=who,
            prefer=follow_ups.usual_time(last),
        )
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        _say_proposed(request, done, found)
    return redirect("patient_outcomes", patient_id=patient.public_id)


def _say_proposed(request: AuthedRequest, done: follow_ups.Proposed, found: courses.Course) -> None:
    for a in done.made:
        messages.success(
            request,
            f"{a.get_follow_up_display()} proposed for {a.local_start():%a %-d %b %Y, %H:%M} "
            f"with {a.practitioner}: confirm it on the course booking page.",
        )
    for m in done.missed:
        if m.searched is None:
            messages.warning(
                request,
                f"{m.label}: it fell on {m.due_on:%-d %b %Y}, more than "
                f"{follow_ups.SEARCH_DAYS} days ago; book it by hand if it is still wanted.",
            )
        else:
            low, high = m.searched
            messages.warning(
                request,
                f"{m.label}: no free slot between {low:%-d %b} and {high:%-d %b %Y}; "
                "book it by hand with another practitioner or site.",
            )
    if not done.made and not done.missed:
        messages.info(request, f"Every follow-up of {found.name} has a visit or a score.")


@require_GET
@require(roles.VIEW_CLINICAL)
def patient_trajectories(request: AuthedRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The chart's small plots of the patient's scores against the protocol's typical
    course (HTMX, loaded after the chart): kept until the patient's record changes."""
    patient = get_patient(patient_id)
    record(request.user, Action.VIEW, patient, detail="outcome trajectories")
    from mesoclinic.tenancy import current_org_id

    key = f"trajectories:{current_org_id()}:{patient.pk}:{patient.chart_version}"

    def build() -> tuple[str, int]:
        series = _series(patient, courses.courses_for(patient), small=True)
        context = {"patient": patient, "series": series}
        return fragments.render("outcomes/_trajectories.html", context), TRAJECTORY_SECONDS

    return HttpResponse(fragments.fill(fragments.cached(key, build), request))


def _series(
    patient: Patient, found: list[courses.Course], *, small: bool = False
) -> list[dict[str, Any]]:
    """Each course's scores by scale and side, oldest first: the patient's trajectory
    against the protocol's typical course."""
    places = timecourse.places_of(patient.pk, (a for c in found for a in c.recorded))
    series = []
    for course in found:
        groups: dict[tuple[str, str], list[Assessment]] = {}
        for a in course.recorded:
            groups.setdefault((a.instrument, a.side), []).append(a)
        for (slug, side), rows in groups.items():
            scale = outcomes.instrument(slug)
            typical = timecourse.typical(course.protocol, slug)
            series.append(
                {
                    "course": course,
                    "instrument": scale,
                    "side": side,
                    "rows": rows,
                    "places": places,
                    "plot": _plot(patient, course, scale, rows, places, typical, small),
                }
            )
    return series


def _plot(
    patient: Patient,
    course: courses.Course,
    scale: outcomes.Instrument,
    rows: list[Assessment],
    places: dict[int, timecourse.Place],
    typical: list[timecourse.Band],
    small: bool,
) -> dict[str, str]:
    """A trajectory's plot, drawn once for each version of the patient's record."""
    side = rows[0].side
    key = (
        f"trajectory:{patient.organization_id}:{patient.pk}:{patient.chart_version}:"
        f"{course.plan.pk}:{course.protocol}:{scale.slug}:{side}:{small}"
    )
    return fragments.cached(
        key,
        lambda: (
            plots.trajectory(scale, rows, places, typical, small=small),
            TRAJECTORY_SECONDS,
        ),
    )


def _instrument(slug: str) -> outcomes.Instrument:
    try:
        return outcomes.instrument(slug)
    except RulesInputError:
        raise Http404 from None


def _entry_for(request: AuthedRequest, patient: Patient, instrument: str) -> services.Entry:
    """What the score is for, from the link that opened the form (plan, protocol...)."""
    source = request.POST if request.method == "POST" else request.GET
    plan = None
    if plan_id := source.get("plan"):
        try:
            plan = get_object_or_404(Plan, public_id=uuid.UUID(plan_id), patient=patient)
        except ValueError:
            raise Http404 from None
    return services.Entry(
        instrument=instrument,
        timepoint=source.get("timepoint", ""),
        plan=plan,
        protocol=source.get("protocol", "") if plan else "",
        area=source.get("area", ""),
        side=source.get("side", ""),
        late_reason=source.get("late_reason", ""),
    )


def _previous(patient: Patient, entry: services.Entry) -> Assessment | None:
    """The last score on this scale for this course and side, shown beside the form."""
    found = Assessment.objects.filter(
        patient=patient, instrument=entry.instrument, voided_at__isnull=True
    )
    if entry.plan is not None:
        found = found.filter(plan=entry.plan, protocol=entry.protocol)
    return found.order_by("-taken_at", "-id").first()


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def assessment_new(request: AuthedRequest, patient_id: uuid.UUID, instrument: str) -> HttpResponse:
    patient = get_patient(patient_id)
    scale = _instrument(instrument)
    entry = _entry_for(request, patient, scale.slug)
    initial = {"timepoint": entry.timepoint, "side": entry.side}
    if scale.kind == "numeric" and request.GET.get(outcomes.ANSWER):
        # A measured value brought from elsewhere (the symmetry index of a photo's
        # landmarks): shown in the field, checked and signed here like any other.
        initial[outcomes.ANSWER] = request.GET[outcomes.ANSWER][:12]
    form = forms.AssessmentForm(request.POST or None, instrument=scale, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.record_assessment(
                request.user,
                patient,
                _entry_from_form(entry, form),
                form.answers(),
                form.cleaned_data["submission_key"],
            )
        except services.AssessmentRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, f"{scale.name}: {assessment.display} recorded.")
            url = reverse("patient_outcomes", args=[patient.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.method == "GET":
        record(request.user, Action.VIEW, patient, detail=f"outcome form {scale.slug}")
    context = {
        "patient": patient,
        "instrument": scale,
        "entry": entry,
        "form": form,
        "previous": _previous(patient, entry),
        "late": services.first_signed_session(entry.plan) is not None
        and entry.timepoint == Timepoint.BASELINE,
        "live": _live_score(entry, form),
    }
    template = "outcomes/_form.html" if request.htmx else "outcomes/new.html"
    return render(request, template, context, status=400 if form.errors else 200)


def _entry_from_form(entry: services.Entry, form: forms.AssessmentForm) -> services.Entry:
    data = form.cleaned_data
    return services.Entry(
        instrument=entry.instrument,
        timepoint=data.get("timepoint", entry.timepoint),
        plan=entry.plan,
        protocol=entry.protocol,
        area=entry.area,
        side=data.get("side", ""),
        late_reason=data.get("late_reason", ""),
    )


def _live_score(entry: services.Entry, form: forms.AssessmentForm) -> str:
    """The score of what is ticked so far (a partial set says what is still missing)."""
    if not form.is_bound:
        return ""
    answers = form.answered()
    missing = len(form.answer_names) - len(answers)
    if not answers:
        return ""
    if missing:
        return f"{missing} still to answer"
    try:
        return services.score(entry, answers).display
    except services.AssessmentRefused as refusal:
        return refusal.message


@require_POST
@require(roles.EDIT_CLINICAL)
def assessment_score(
    request: AuthedRequest, patient_id: uuid.UUID, instrument: str
) -> HttpResponse:
    """The score as the answers are tapped (HTMX); nothing is saved or read from the record."""
    patient = get_patient(patient_id)
    scale = _instrument(instrument)
    entry = _entry_for(request, patient, scale.slug)
    form = forms.AssessmentForm(request.POST, instrument=scale)
    context = {"live": _live_score(entry, form), "instrument": scale}
    return render(request, "outcomes/_live.html", context)


@require_GET
@require(roles.VIEW_CLINICAL)
def assessment_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(public_id)
    record(request.user, Action.VIEW, assessment)
    scale = outcomes.instrument(assessment.instrument)
    form = forms.AssessmentForm(
        instrument=scale, amending=True, initial=_answers_initial(assessment)
    )
    return render(request, "outcomes/detail.html", _detail_context(assessment, scale, form))


def _answers_initial(assessment: Assessment) -> dict[str, Any]:
    return {
        k: str(v) if not isinstance(v, float) else f"{v:g}" for k, v in assessment.answers.items()
    }


def _detail_context(
    assessment: Assessment, scale: outcomes.Instrument, form: Any
) -> dict[str, Any]:
    corrected_by = Assessment.objects.filter(amends=assessment).first()
    return {
        "assessment": assessment,
        "patient": assessment.patient,
        "instrument": scale,
        "form": form,
        "corrected_by": corrected_by,
        "answer_rows": _answer_rows(assessment, scale),
    }


def _answer_rows(assessment: Assessment, scale: outcomes.Instrument) -> list[tuple[str, str]]:
    if scale.kind == "items":
        rows = []
        for item in scale.items:
            value = assessment.answers.get(item.key)
            label = next((o.label for o in item.options if o.value == value), "")
            rows.append((item.label, f"{value}: {label}" if label else str(value)))
        return rows
    return [(scale.name, assessment.display)]


@require_POST
@require(roles.EDIT_CLINICAL)
def assessment_amend(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    assessment = get_assessment(public_id)
    scale = outcomes.instrument(assessment.instrument)
    form = forms.AssessmentForm(request.POST, instrument=scale, amending=True)
    if form.is_valid():
        try:
            corrected = services.amend(
                request.user,
                assessment,
                form.answers(),
                form.cleaned_data["reason"],
                form.cleaned_data["submission_key"],
            )
        except services.AssessmentRefused as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
        else:
            messages.success(request, f"Score corrected: {corrected.display}.")
            return redirect("assessment_detail", public_id=corrected.public_id)
    context = _detail_context(assessment, scale, form)
    return render(request, "outcomes/detail.html", context, status=400)
