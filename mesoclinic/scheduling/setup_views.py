"""The diary set-up, for the owner: rooms, hours, closures, staff hours, leave, treatments."""

import uuid
from typing import cast

from django.contrib import messages
from django.db import IntegrityError, models, transaction
from django.forms import BaseForm
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.scheduling import access
from mesoclinic.scheduling import setup_forms as sf
from mesoclinic.scheduling.models import (
    Leave,
    Room,
    SiteClosure,
    SiteHours,
    TreatmentType,
    WorkingHours,
)

SITE_KINDS = {"room": sf.RoomForm, "hours": sf.SiteHoursForm, "closure": sf.ClosureForm}
STAFF_KINDS = {"work": sf.WorkingHoursForm, "leave": sf.LeaveForm}
REMOVABLE = {
    "room": Room,
    "hours": SiteHours,
    "closure": SiteClosure,
    "work": WorkingHours,
    "leave": Leave,
    "treatment": TreatmentType,
}
# Rooms and treatments are referred to by appointments: they are retired, never deleted.
RETIRED = {"room", "treatment"}


def _site(request: AuthedRequest) -> Site | None:
    chosen = request.GET.get("site", "")
    sites = access.sites()
    site = sites.filter(public_id=chosen).first() if access.is_uuid(chosen) else None
    return site or sites.first()


def _page(
    request: AuthedRequest,
    site: Site | None,
    status: int = 200,
    bound: dict[str | tuple[str, str], BaseForm] | None = None,
) -> HttpResponse:
    """The whole set-up page; ``bound`` is the form that failed, shown with its errors."""
    bound = bound or {}
    today = timezone.localdate()
    staff = list(access.clinicians())
    work = WorkingHours.objects.filter(user__in=staff).select_related("site")
    leave = Leave.objects.filter(user__in=staff, end_date__gte=today).order_by("start_date")
    sites = list(access.sites())
    people = []
    for person in staff:
        key = str(person.public_id)
        people.append(
            {
                "user": person,
                "work": sorted(
                    (w for w in work if w.user_id == person.pk),
                    key=lambda w: (w.weekday, w.start),
                ),
                "leave": [lv for lv in leave if lv.user_id == person.pk],
                "work_form": bound.get(("work", key)) or sf.WorkingHoursForm(sites=sites),
                "leave_form": bound.get(("leave", key)) or sf.LeaveForm(),
            }
        )
    context = {
        "site": site,
        "sites": sites,
        "rooms": Room.objects.filter(site=site).order_by("-active", "name") if site else [],
        "hours": SiteHours.objects.filter(site=site).order_by("weekday", "opens") if site else [],
        "closures": SiteClosure.objects.filter(site=site, date__gte=today).order_by("date")
        if site
        else [],
        "treatments": TreatmentType.objects.order_by("-active", "name"),
        "people": people,
        "room_form": bound.get("room") or sf.RoomForm(),
        "hours_form": bound.get("hours") or sf.SiteHoursForm(),
        "closure_form": bound.get("closure") or sf.ClosureForm(),
        "treatment_form": bound.get("treatment") or sf.TreatmentTypeForm(),
        "zone_form": bound.get("timezone")
        or sf.TimeZoneForm(initial={"time_zone": site.time_zone if site else "UTC"}),
    }
    return render(request, "scheduling/setup.html", context, status=status)


def _saved(row: models.Model, form: BaseForm) -> bool:
    """Save, or say on the form that the same row exists already (unique constraints)."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        form.add_error(None, "That already exists.")
        return False
    return True


def _back(site: Site, anchor: str = "") -> HttpResponseRedirect:
    return redirect(reverse("diary_setup") + f"?site={site.public_id}" + anchor)


@require_GET
@require(roles.MANAGE_STAFF)
def diary_setup(request: AuthedRequest) -> HttpResponse:
    return _page(request, _site(request))


@require_POST
@require(roles.MANAGE_STAFF)
def setup_site(request: AuthedRequest, public_id: uuid.UUID, kind: str) -> HttpResponse:
    site = access.get_site(public_id)
    if kind == "timezone":
        zone_form = sf.TimeZoneForm(request.POST)
        if not zone_form.is_valid():
            return _page(request, site, 400, {"timezone": zone_form})
        site.time_zone = zone_form.cleaned_data["time_zone"]
        site.save(update_fields=["time_zone"])
        record(request.user, Action.CHANGE, site, fields=["time_zone"])
        messages.success(request, f"{site} now shows times in {site.time_zone}.")
        return _back(site)
    form_class = SITE_KINDS.get(kind)
    if form_class is None:
        raise Http404
    form = form_class(request.POST)
    if not form.is_valid():
        return _page(request, site, 400, {kind: form})
    row = form.save(commit=False)
    row.site = site
    if not _saved(row, form):
        return _page(request, site, 400, {kind: form})
    record(request.user, Action.CREATE, row, detail=f"diary set-up: {kind}")
    messages.success(request, "Saved.")
    return _back(site, f"#{kind}")


@require_POST
@require(roles.MANAGE_STAFF)
def setup_staff(request: AuthedRequest, public_id: uuid.UUID, kind: str) -> HttpResponse:
    person = access.get_clinician(public_id)
    site = _site(request)
    form_class = STAFF_KINDS.get(kind)
    if form_class is None:
        raise Http404
    extra = {"sites": access.sites()} if kind == "work" else {}
    form = form_class(request.POST, **extra)
    if not form.is_valid():
        return _page(request, site, 400, {(kind, str(person.public_id)): form})
    row = form.save(commit=False)
    row.user = person
    if kind == "work":
        row.site = form.cleaned_data["at_site"]
    row.save()
    record(request.user, Action.CREATE, row, detail=f"diary set-up: {kind} of {person.public_id}")
    messages.success(request, f"Saved for {person}.")
    assert site is not None  # _back needs it, as it always did: the org has a site
    return _back(site, f"#staff-{person.public_id}")


@require_POST
@require(roles.MANAGE_STAFF)
def setup_treatment(request: AuthedRequest) -> HttpResponse:
    form = sf.TreatmentTypeForm(request.POST)
    site = _site(request)
    if not form.is_valid():
        return _page(request, site, 400, {"treatment": form})
    row = form.save(commit=False)
    if not _saved(row, form):
        return _page(request, site, 400, {"treatment": form})
    form.save_m2m()
    record(request.user, Action.CREATE, row, detail="diary set-up: treatment")
    messages.success(request, f"{row} added.")
    assert site is not None  # _back needs it, as it always did: the org has a site
    return _back(site, "#treatments")


@require_POST
@require(roles.MANAGE_STAFF)
def setup_remove(request: AuthedRequest, kind: str, public_id: uuid.UUID) -> HttpResponse:
    model = REMOVABLE.get(kind)
    if model is None:
        raise Http404
    row = get_object_or_404(model, public_id=public_id)
    if kind in RETIRED:
        retired = cast(Room | TreatmentType, row)  # the RETIRED kinds have `active`
        retired.active = not retired.active
        retired.save(update_fields=["active"])
        record(request.user, Action.CHANGE, retired, fields=["active"])
    else:
        record(request.user, Action.VOID, row, detail=f"diary set-up: removed {kind}")
        row.delete()
    messages.success(request, "Saved.")
    return redirect(reverse("diary_setup") + "?" + request.GET.urlencode())
