"""Calendar files: a practitioner's private feed URL and a patient's .ics.

Neither holds clinical detail (no treatment, area, product or note), which is
why reception, who books appointments, may download a patient's .ics too.
The feed URL carries a secret token instead of a log-in, since calendar
programs cannot log in; only its SHA-256 is stored, so the URL is shown once,
and revoking it (or making a new one) makes the old URL answer 404.
"""

import secrets
import uuid
from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from mesoclinic import query_ids
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import User, hash_token
from mesoclinic.audit.log import Action, record
from mesoclinic.notifications import ical
from mesoclinic.notifications.models import CalendarFeed
from mesoclinic.patients.access import get_patient
from mesoclinic.plans.models import Plan
from mesoclinic.scheduling.models import HOLDS_SLOT, Appointment
from mesoclinic.tenancy import acting_for

FEED_PAST = timedelta(days=31)
FEED_FUTURE = timedelta(days=366)
MAX_EVENTS = 1000


def _live_feed(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def _revoke(request: AuthedRequest, feed: CalendarFeed | None) -> None:
    if feed is None:
        return
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    record(request.user, Action.VOID, feed, fields=["revoked_at"], detail="calendar feed revoked")


# Those who chart sessions are those who see patients: reception gets a 403.
@require_GET
@require(roles.EDIT_CLINICAL)
def my_feed(request: AuthedRequest) -> HttpResponse:
    return render(request, "notifications/my_feed.html", {"feed": _live_feed(request.user)})


@never_cache
@require_POST
@require(roles.EDIT_CLINICAL)
def new_feed(request: AuthedRequest) -> HttpResponse:
    _revoke(request, _live_feed(request.user))
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=request.user, token_hash=hash_token(token))
    record(request.user, Action.CREATE, feed, detail="calendar feed URL made")
    url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    # Rendered, not redirected: the token exists only in this response.
    return render(request, "notifications/my_feed.html", {"feed": feed, "new_url": url})


@require_POST
@require(roles.EDIT_CLINICAL)
def revoke_feed(request: AuthedRequest) -> HttpResponse:
    _revoke(request, _live_feed(request.user))
    return redirect("my_calendar_feed")


def _calendar_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_safe  # some calendar programs ask with HEAD first
def feed(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001 - the token, not a session, says who
    """The practitioner's appointments, for a calendar program (no log-in)."""
    found = (
        CalendarFeed.all_orgs.select_related("user", "organization")
        .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if found is None:
        raise Http404
    now = timezone.now()
    with acting_for(found.organization_id):
        appointments = list(
            Appointment.objects.filter(
                practitioner=found.user,
                status__in=HOLDS_SLOT,
                starts_at__gte=now - FEED_PAST,
                starts_at__lte=now + FEED_FUTURE,
            )
            .select_related("site", "room", "patient")
            .order_by("starts_at")[:MAX_EVENTS]
        )
        site = None if appointments else found.user.sites.first()
        body = ical.build(
            [ical.practitioner_event(a) for a in appointments],
            name=f"{found.organization.name}: {found.user.full_name}",
            now=now,
            empty_zone=site.time_zone if site else "UTC",
        )
        record(
            found.user,
            Action.EXPORT,
            found,
            detail=f"calendar feed, {len(appointments)} appointment(s)",
        )
    return _calendar_response(body, "appointments.ics")


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def patient_calendar(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    """A patient's booked appointments as one .ics file; ?plan=<id> for one course."""
    patient = get_patient(public_id)
    rows = Appointment.objects.filter(patient=patient, status__in=HOLDS_SLOT)
    if plan := query_ids.object_from_query(request, "plan", Plan.objects.filter(patient=patient)):
        rows = rows.filter(plan=plan)  # one course only
    appointments = list(
        rows.select_related("site", "room", "practitioner").order_by("starts_at")[:MAX_EVENTS]
    )
    clinic = request.user.organization.name
    body = ical.build(
        [ical.patient_event(a, clinic) for a in appointments],
        name=f"{clinic} appointments",
        empty_zone=patient.home_site.time_zone if patient.home_site else "UTC",
    )
    record(request.user, Action.EXPORT, patient, detail=f"appointments .ics, {len(appointments)}")
    return _calendar_response(body, "appointments.ics")
