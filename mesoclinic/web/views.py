from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.portal import reports
from mesoclinic.scheduling import today_sections
from mesoclinic.web import today


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001 - Django hands every view its request
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "not healthy"
        return JsonResponse(
            {"status": "error", "database": "unreachable", "error": type(error).__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Today: each role's day (web/today.py), then the cards; one audit event."""
    context = today.day_for(request.user, request.GET.get("site"))
    if slots_for := context.pop("slots_for", None):
        context["slots"] = today_sections.rendered(request, *slots_for)
    if roles.can(request.user, roles.VIEW_CLINICAL):
        context["reports_waiting"], context["reports_red"] = reports.waiting_counts()
    visits = [r.visit for r in context["rows"]]
    walk_ins = sum(1 for v in visits if v.appointment is None)
    detail = (
        f"{today.plural(len(visits) - walk_ins, 'appointment')} and "
        f"{today.plural(walk_ins, 'walk-in')} today"
    )
    if context.get("site"):
        detail += f" at {context['site'].name}"
    if "later_due" in context:
        detail += (
            f", {len(context['later_due']) + context['later_more']} more patients with scores due"
        )
    record(
        request.user,
        Action.VIEW,
        object_type="day",
        object_id=str(request.user.public_id),
        detail=detail,
    )
    return render(request, "web/home.html", context)
