"""Appointments: the diary as a list (a date range, whitelisted filters and sorts) and
one visit, and the desk's acts through the scheduling services the pages call (book,
move, cancel, check in), so the same free-time, opening-hours, overlap and course
interval checks hold and the same audit events are written.

Every staff role reads the diary and books (reception included); which areas a course
session treats, and its plan, are clinical and shown only to a clinical caller.
"""

import datetime as dt
from typing import Any, Literal
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone
from ninja import Query, Router, Status

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import clinical, require
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import body_doc, parse, refused
from mesoclinic.audit.log import Action, record
from mesoclinic.patients.access import get_patient
from mesoclinic.scheduling import access, course, services, visits
from mesoclinic.scheduling.diary import Diary
from mesoclinic.scheduling.models import Appointment, Room, TreatmentType
from mesoclinic.transitions import TransitionRefused

router = Router(tags=["appointments"])

SORTS = {"earliest": ("starts_at", "pk"), "latest": ("-starts_at", "-pk")}
DEFAULT_DAYS = 7
MAX_DAYS = 93
RELATED = ("site", "room", "practitioner", "patient", "treatment_type", "plan")
# Answers of the acts: the appointment, a refused input (400), a diary conflict (409).
ACT = {
    200: d.AppointmentOut,
    400: d.FieldErrors,
    403: s.Error,
    404: s.Error,
    409: d.FieldErrors,
}


class ListParams(cursor.PageParams):
    start: dt.date | None = None
    end: dt.date | None = None
    site: UUID | None = None
    practitioner: UUID | None = None
    patient: UUID | None = None
    status: d.AppointmentStatus | None = None
    sort: Literal["earliest", "latest"] = "earliest"


def _named(obj: Any, name: str | None = None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {"id": obj.public_id, "name": name or str(obj)}


def _out(appt: Appointment, with_clinical: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": appt.public_id,
        "site": _named(appt.site, appt.site.name),
        "room": _named(appt.room, appt.room.name if appt.room else None),
        "practitioner": _named(appt.practitioner, appt.practitioner.full_name),
        "patient": _named(appt.patient, appt.patient.full_name),
        "treatment": _named(appt.treatment_type, getattr(appt.treatment_type, "name", None)),
        "starts_at": appt.starts_at,
        "ends_at": appt.ends_at,
        "status": appt.status,
        "arrived_at": appt.arrived_at,
        "cancel_reason": appt.cancel_reason,
        "lock_version": appt.lock_version,
    }
    if with_clinical:
        data.update(
            plan=appt.plan.public_id if appt.plan else None,
            course_session=appt.course_session,
            course_areas=[str(area) for area in appt.course_areas or []],
        )
    return data


def _range(params: ListParams) -> tuple[dt.date, dt.date] | str:
    """The days asked for (default: today and the next seven), or why they cannot be."""
    start = params.start or (params.end - dt.timedelta(days=DEFAULT_DAYS) if params.end else None)
    start = start or timezone.localdate()
    end = params.end or start + dt.timedelta(days=DEFAULT_DAYS)
    if end < start:
        return "end: the end comes before the start."
    if (end - start).days > MAX_DAYS:
        return f"end: ask for at most {MAX_DAYS} days at a time."
    return start, end


def _days_at(site: Site, start: dt.date, end: dt.date) -> Q:
    """Appointments at `site` from the start of `start` to the end of `end`, its time."""
    zone = site.zone
    low = dt.datetime.combine(start, dt.time(0), zone)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), zone)
    return Q(site=site, starts_at__gte=low, starts_at__lt=high)


def _filtered(params: ListParams, start: dt.date, end: dt.date) -> QuerySet[Appointment]:
    # Each site's own days, so a page holds exactly the visits of the days asked for.
    sites = [access.get_site(params.site)] if params.site is not None else list(access.sites())
    within = Q(pk__in=[])
    for site in sites:
        within |= _days_at(site, start, end)
    rows = Appointment.objects.select_related(*RELATED).filter(within)
    if params.practitioner is not None:
        rows = rows.filter(practitioner=access.get_clinician(params.practitioner))
    if params.patient is not None:
        rows = rows.filter(patient=get_patient(params.patient))
    if params.status:
        rows = rows.filter(status=params.status)
    return rows


@router.get("", response={200: d.AppointmentPage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_appointments(request: AuthedRequest, params: Query[ListParams]) -> Any:
    """The diary from `start` to `end` (the sites' own days, both included; default today
    and the next 7 days; at most 93 days)."""
    require(request, access.VIEW_DIARY)
    days = _range(params)
    if isinstance(days, str):
        return Status(400, {"detail": days})
    rows, after = cursor.page(_filtered(params, *days), SORTS[params.sort], params)
    record(
        request.user,
        Action.SEARCH,
        object_type="appointment",
        detail=f"api {days[0]}..{days[1]}{', next page' if params.cursor else ''}",
    )
    with_clinical = clinical(request)
    return {"results": [_out(a, with_clinical) for a in rows], "next": after}


@router.get(
    "/{uuid:appointment_id}",
    response={200: d.AppointmentOut, 403: s.Error, 404: s.Error},
)
def appointment_detail(request: AuthedRequest, appointment_id: UUID) -> dict[str, Any]:
    require(request, access.VIEW_DIARY)
    appt = access.get_appointment(appointment_id)
    record(request.user, Action.VIEW, appt, detail="api")
    return _out(appt, clinical(request))


def _conflict(error: services.Refused | TransitionRefused) -> Status[Any]:
    """A refusal: 400 when an input the caller typed is at fault, 409 when the diary
    (a clash, closed hours, the visit's state, a change made meanwhile) is in the way."""
    typed = error.field in ("reason", "practitioner", "room", "treatment")
    return refused(error.message, error.field, status=400 if typed else 409)


def _room(site: Any, public_id: UUID | None) -> Room | None:
    if public_id is None:
        return None
    found = Room.objects.filter(site=site, public_id=public_id).first()
    if found is None:
        raise services.Refused("Choose one of the site's rooms.", "room")
    return found


def _book(request: AuthedRequest, body: d.BookIn) -> Appointment:
    patient = get_patient(body.patient)
    site = access.get_site(body.site)
    practitioner = access.clinicians(site).filter(public_id=body.practitioner).first()
    if practitioner is None:
        raise services.Refused("Choose a practitioner who works at this site.", "practitioner")
    treatment = None
    if body.treatment is not None:
        treatment = TreatmentType.objects.filter(active=True, public_id=body.treatment).first()
        if treatment is None:
            raise services.Refused("Choose one of the clinic's treatments.", "treatment")
    minutes = treatment.duration_minutes if treatment else body.minutes
    starts_at, ends_at = body.starts_at, body.starts_at + dt.timedelta(minutes=minutes)
    room = _room(site, body.room)
    if room is None and (treatment.needs_room if treatment else True):
        # As the booking page: any room free then, and none is a refusal when rooms exist.
        day = starts_at.astimezone(site.zone).date()
        diary = Diary.load(site, day, day)
        room = diary.free_room(starts_at, ends_at)
        if room is None and diary.rooms:
            raise services.Refused("No room is free at that time.", "starts_at")
    return services.book(
        request.user, site=site, room=room, practitioner=practitioner, patient=patient,
        treatment_type=treatment, starts_at=starts_at, ends_at=ends_at,
    )  # fmt: skip


def _aware(when: dt.datetime) -> Status[Any] | None:
    if timezone.is_naive(when):
        return refused("Give the time with its UTC offset.", "starts_at")
    return None


@router.post(
    "",
    response={**ACT, 201: d.AppointmentOut},
    summary="Book an appointment",
    openapi_extra=body_doc(d.BookIn),
)
def book_appointment(request: AuthedRequest) -> Any:
    require(request, access.BOOK, Scope.WRITE)
    body = parse(request, d.BookIn)
    if isinstance(body, Status):
        return body
    if naive := _aware(body.starts_at):
        return naive
    try:
        appt = _book(request, body)
    except services.Refused as error:
        return _conflict(error)
    return Status(201, _out(access.get_appointment(appt.public_id), clinical(request)))


@router.post(
    "/{uuid:appointment_id}/move",
    response=ACT,
    summary="Move an appointment",
    openapi_extra=body_doc(d.MoveIn),
)
def move_appointment(request: AuthedRequest, appointment_id: UUID) -> Any:
    require(request, access.BOOK, Scope.WRITE)
    appt = access.get_appointment(appointment_id)
    body = parse(request, d.MoveIn)
    if isinstance(body, Status):
        return body
    if naive := _aware(body.starts_at):
        return naive
    try:
        practitioner = None
        if body.practitioner is not None:
            practitioner = access.clinicians(appt.site).filter(public_id=body.practitioner).first()
            if practitioner is None:
                raise services.Refused(
                    "Choose a practitioner who works at this site.", "practitioner"
                )
        course.move(
            request.user,
            appt,
            starts_at=body.starts_at,
            lock_version=body.lock_version,
            room=_room(appt.site, body.room) or course.room_at(appt, body.starts_at),
            reason=body.reason,
            shift_rest=body.shift_rest,
            practitioner=practitioner,
        )
    except services.Refused as error:
        return _conflict(error)
    return _out(access.get_appointment(appointment_id), clinical(request))


@router.post(
    "/{uuid:appointment_id}/cancel",
    response=ACT,
    summary="Cancel an appointment",
    openapi_extra=body_doc(d.CancelIn),
)
def cancel_appointment(request: AuthedRequest, appointment_id: UUID) -> Any:
    require(request, access.BOOK, Scope.WRITE)
    appt = access.get_appointment(appointment_id)
    body = parse(request, d.CancelIn)
    if isinstance(body, Status):
        return body
    try:
        services.cancel(request.user, appt, body.reason)
    except (services.Refused, TransitionRefused) as error:
        return _conflict(error)
    return _out(access.get_appointment(appointment_id), clinical(request))


@router.post("/{uuid:appointment_id}/check-in", response=ACT, summary="Check the patient in")
def check_in(request: AuthedRequest, appointment_id: UUID) -> Any:
    """The patient has arrived; a second check-in changes nothing and answers the same."""
    require(request, access.BOOK, Scope.WRITE)
    appt = access.get_appointment(appointment_id)
    try:
        visits.check_in(request.user, appt)
    except services.Refused as error:
        return _conflict(error)
    return _out(access.get_appointment(appointment_id), clinical(request))
