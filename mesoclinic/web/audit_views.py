from datetime import date, datetime, time, timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import User
from mesoclinic.audit.models import AuditEvent
from mesoclinic.paging import CappedPaginator
from mesoclinic.web.audit_forms import AuditFilterForm

COUNT_CAP = 10_000


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@require_GET
@require(roles.VIEW_AUDIT)
def audit_log(request: AuthedRequest) -> HttpResponse:
    org_id = request.user.organization_id
    form = AuditFilterForm(request.GET)
    events = AuditEvent.objects.filter(organization_id=org_id)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            events = events.filter(action=data["action"])
        if data["actor"]:
            events = events.filter(actor__public_id=data["actor"])
        if data["object_type"]:
            events = events.filter(object_type=data["object_type"])
        if data["object_id"]:
            events = events.filter(object_id=data["object_id"].strip())
        if data["since"]:
            events = events.filter(at__gte=_day_start(data["since"]))
        if data["until"]:
            events = events.filter(at__lt=_day_start(data["until"] + timedelta(days=1)))
    # Newest first on the (organization, at) index; the count stops at 10,000 events so
    # that the page costs the same with a trail of millions.
    events = events.select_related("actor").order_by("-at", "-id")
    page = CappedPaginator(events, 50, cap=COUNT_CAP).get_page(request.GET.get("page"))
    staff = User.in_org.filter(role__in=roles.STAFF_ROLES).order_by("full_name")
    context = {"form": form, "page": page, "staff": staff}
    template = "audit/_rows.html" if request.htmx else "audit/log.html"
    return render(request, template, context)
