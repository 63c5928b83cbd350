from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")
