"""What the reminder worker did: sent, waiting, or not sent and why."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.notifications.models import Reminder, State
from mesoclinic.scheduling.models import Appointment

PAGE_SIZE = 50
STATUSES = {s.value for s in State}


@require_GET
@require(roles.VIEW_DEMOGRAPHICS)
def reminder_list(request: AuthedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in STATUSES else ""
    rows = Reminder.objects.select_related(
        "appointment__patient", "appointment__site", "session__patient", "session__site"
    ).order_by("-due_at", "-pk")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        # In the site's zone, as strings: templates would convert to the server's zone.
        tz = row.site.zone
        row.due_local = f"{row.due_at.astimezone(tz):%d %b %Y %H:%M}"
        # A session's advice shows when the visit was; reception sees no more of it.
        about = row.about
        when = about.starts_at if isinstance(about, Appointment) else about.started_at
        row.start_local = f"{when.astimezone(tz):%a %d %b %Y %H:%M}"
    record(
        request.user,
        Action.SEARCH,
        object_type="reminder",
        detail=f"{status or 'any status'}, page {page.number}",
    )
    context = {"page": page, "status": status, "statuses": State.choices}
    template = "notifications/_reminder_rows.html" if request.htmx else "notifications/list.html"
    return render(request, template, context)
