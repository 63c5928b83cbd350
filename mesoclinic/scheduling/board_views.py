"""The diary's time grid: day and week boards, and moving an appointment by dragging it.

A drop runs ``course.move``, the move form's service, so a dragged appointment meets
exactly the rules a typed one does; a refusal is shown next to the block it concerns.
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.scheduling import access, board, course, forms, services
from mesoclinic.scheduling.models import Room
from mesoclinic.scheduling.services import Refused


def _day(request: AuthedRequest) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return None


def _subject(
    request: AuthedRequest, kind: str, public_id: uuid.UUID
) -> tuple[Site | Room | User, Site]:
    """The board's subject and the site whose hours and time zone it is shown in."""
    site: Site | None
    if kind == "site":
        site = access.get_site(public_id)
        return site, site
    if kind == "room":
        room = access.get_room(public_id)
        return room, room.site
    person = access.get_clinician(public_id)
    chosen = request.GET.get("site")
    sites = access.sites()
    site = None
    if chosen:
        site = sites.filter(public_id=chosen).first() if access.is_uuid(chosen) else None
    site = site or person.sites.order_by("name").first() or sites.first()
    if site is None:
        raise Http404
    return person, site


@require_GET
@require(access.VIEW_DIARY)
def calendar_home(request: AuthedRequest) -> HttpResponse:
    site = request.user.sites.order_by("name").first() or access.sites().first()
    if site is None:
        raise Http404
    if request.user.role in access.TREATING_ROLES:
        return redirect("calendar_board", "practitioner", request.user.public_id, "week")
    return redirect("calendar_board", "site", site.public_id, "week")


def _board(
    request: AuthedRequest, kind: str, public_id: uuid.UUID, span_name: str, **extra: Any
) -> dict[str, Any]:
    """The grid and what the page around it needs; audited as one view of the board."""
    if kind not in board.KINDS or span_name not in board.SPANS:
        raise Http404
    subject, site = _subject(request, kind, public_id)
    by = request.GET.get("by", "practitioner")
    by = by if by in board.BY else "practitioner"
    show_cancelled = request.GET.get("cancelled") == "1"
    today = timezone.now().astimezone(site.zone).date()
    first = board.first_day(_day(request) or today, span_name)
    staff: list[User]
    if kind == "practitioner":
        staff = [cast(User, subject)]  # _subject gives a clinician for this kind
    elif kind == "site" and by == "practitioner":
        staff = list(access.clinicians(site))
    else:
        staff = []
    grid = board.build(
        kind, subject, site, first, span_name, by=by, staff=staff, show_cancelled=show_cancelled
    )
    step = dt.timedelta(days=7 if span_name == "week" else 1)
    record(
        request.user,
        Action.VIEW,
        object_type=f"calendar-{kind}",
        object_id=str(subject.public_id),
        detail=f"{span_name} of {first.isoformat()}, {len(grid.blocks)} appointments",
    )
    keep = {"site": str(site.public_id)} if kind == "practitioner" else {}
    if kind == "site" and by != "practitioner":
        keep["by"] = by
    if show_cancelled:
        keep["cancelled"] = "1"
    return {
        "href": _links(kind, subject.public_id, span_name, keep),
        "kind": kind,
        "span": span_name,
        "subject": subject,
        "site": site,
        "grid": grid,
        "by": grid.by,
        "show_cancelled": show_cancelled,
        "first": first,
        "previous": first - step,
        "next": first + step,
        "today": today,
        "sites": access.sites(),
        "keep": keep,
        "can_see_areas": roles.can(request.user, access.SEE_AREAS),
        "can_book": roles.can(request.user, access.BOOK),
        "note": None,
        "refusal": None,
        **extra,
    }


def _links(
    kind: str, public_id: uuid.UUID, span_name: str, keep: dict[str, str]
) -> Callable[..., str]:
    """Links to this board on another day, span or switch, keeping the board's other choices."""

    def href(day: dt.date, span: str | None = None, move: bool = False, **changes: str) -> str:
        name = "calendar_board_move" if move else "calendar_board"
        params = {k: v for k, v in {**keep, **changes}.items() if v}
        query = urlencode({"date": day.isoformat(), **params})
        return f"{reverse(name, args=[kind, public_id, span or span_name])}?{query}"

    return href


@require_GET
@require(access.VIEW_DIARY)
def calendar_board(
    request: AuthedRequest, kind: str, public_id: uuid.UUID, span: str
) -> HttpResponse:
    context = _board(request, kind, public_id, span)
    template = "scheduling/_board.html" if request.htmx else "scheduling/board.html"
    return render(request, template, context)


@require_POST
@require(access.BOOK)
def board_move(request: AuthedRequest, kind: str, public_id: uuid.UUID, span: str) -> HttpResponse:
    """A block dropped on another time or column; answers the board, moved or with the
    reason it was not, next to the block."""
    if kind not in board.KINDS or span not in board.SPANS:
        raise Http404
    chosen = request.POST.get("appointment", "")
    if not access.is_uuid(chosen):
        raise Http404
    appt = access.get_appointment(uuid.UUID(chosen))
    form = forms.DropForm(request.POST, site=appt.site, staff=access.clinicians(appt.site))
    note, refusal = None, None
    if form.is_valid():
        starts_at = form.starts_at(appt.site)
        room = form.cleaned_data.get("room")
        try:
            moved = course.move(
                request.user,
                appt,
                starts_at=starts_at,
                lock_version=form.cleaned_data["lock_version"],
                room=room or course.room_at(appt, starts_at),
                practitioner=form.cleaned_data.get("practitioner"),
            )[0]
        except Refused as refused:
            refusal = (appt.public_id, refused.message)
        else:
            when = services.span(moved.starts_at, moved.ends_at, moved.site)
            note = f"Moved {moved.patient.full_name} to {when} with {moved.practitioner}."
    else:
        refusal = (appt.public_id, " ".join(str(m) for ms in form.errors.values() for m in ms))
    context = _board(request, kind, public_id, span, note=note, refusal=refusal)
    return render(request, "scheduling/_board.html", context, status=400 if refusal else 200)
