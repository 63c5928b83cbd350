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
from mesoclinic.web import day


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
    """Cards for every role; for clinical roles, the day's patients and the scores due."""
    if not roles.can(request.user, roles.VIEW_CLINICAL):
        return render(request, "web/home.html")
    context = day.day_for(request.user)
    context["reports_waiting"], context["reports_red"] = reports.waiting_counts()
    record(
        request.user,
        Action.VIEW,
        object_type="day",
        object_id=str(request.user.public_id),
        detail=f"{len(context['appointments'])} appointments today, "
        f"{len(context['later_due']) + context['later_more']} more patients with scores due",
    )
    return render(request, "web/home.html", context)
