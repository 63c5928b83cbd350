"""JSON API (django-ninja): the instance, its errors, and one router per resource.

The same roles, tenancy and audit as the pages: callers and scopes in `api.auth`, cursor
pages in `api.cursor`. Outsiders get 404 for another organization's objects; reception
gets demographics and never clinical history.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from mesoclinic.api import events, patients, plans, sessions
from mesoclinic.api.auth import TokenAuth, TokenRateThrottle, staff_only
from mesoclinic.api.cursor import BadCursor

api = NinjaAPI(
    title="mesoclinic API",
    version="1",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    docs_decorator=staff_only,
    throttle=[TokenRateThrottle()],
)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    detail = str(exc) or "Your role may not do this."
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(BadCursor)
def _bad_cursor(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


# One router per resource, each owning its paths, schemas and checks.
api.add_router("/patients", patients.router)

# Clinical records (plans, sessions, adverse events, follow-ups): clinical role and scope.
api.add_router("/plans", plans.router)
api.add_router("/sessions", sessions.router)
api.add_router("/adverse-events", events.events)
api.add_router("/follow-ups", events.follow_ups)
