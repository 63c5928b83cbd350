"""JSON API (django-ninja): the instance, its errors, and one router per resource.

The same roles, tenancy and audit as the pages: callers and scopes in `api.auth`, cursor
pages in `api.cursor`. Outsiders get 404 for another organization's objects; reception
gets demographics and never clinical history.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.security import django_auth

from mesoclinic.api import (
    appointments,
    events,
    invoice_edits,  # noqa: F401 - its writes are on money.invoices_router
    lots,
    money,
    outcomes,
    packages,
    patients,
    photo_edits,
    photos,
    plan_edits,
    plans,
    sessions,
)
from mesoclinic.api import schemas as s
from mesoclinic.api.auth import TokenAuth, TokenRateThrottle, staff_only
from mesoclinic.api.cursor import BadCursor
from mesoclinic.api.refusals import BadBody, Refused

# What any operation may answer besides its own: nobody signed in (401), a parameter
# ninja refused (422), too many calls for the token (429).
ALWAYS: dict[str, tuple[str, type[Schema]]] = {
    "401": ("Not signed in, or the token is unknown, expired or revoked.", s.Error),
    "422": ("A parameter of the wrong type or out of range.", s.ValidationErrors),
    "429": ("Too many calls for this token: wait for the Retry-After seconds.", s.Error),
}


class MesoclinicAPI(NinjaAPI):
    """The API whose OpenAPI document lists, on every operation, the answers any
    operation may give (ALWAYS) beside those it declares, so it matches the behaviour."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for _, model in ALWAYS.values():
            components.setdefault(
                model.__name__, model.model_json_schema(ref_template=REF_TEMPLATE)
            )
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                # A body documented by refusals.body_doc: its nested models as components.
                body = operation.get("requestBody", {}).get("content", {})
                for media in body.values():
                    for name, definition in media.get("schema", {}).pop("$defs", {}).items():
                        components.setdefault(name, definition)
                responses = operation.setdefault("responses", {})
                # ninja keys its responses by number: one key per status, or the JSON
                # carries "401" twice (Swagger UI refuses such a document).
                declared = {str(key) for key in responses}
                for status, (description, model) in ALWAYS.items():
                    if status in declared:
                        continue
                    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": ref}},
                        },
                    )
        return schema


api = MesoclinicAPI(
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


@api.exception_handler(BadBody)
def _bad_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, BadBody)
    return api.create_response(request, exc.body, status=400)


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Exception) -> HttpResponse:
    assert isinstance(exc, Refused)
    return api.create_response(request, exc.body, status=exc.status)


@api.exception_handler(BadCursor)
def _bad_cursor(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=400)


# One router per resource, each owning its paths, schemas and checks.
api.add_router("/patients", patients.router)

# The desk's resources: appointments, outcomes, photos, lots and stock, invoices and
# payments (money).
api.add_router("/appointments", appointments.router)
api.add_router("/outcomes", outcomes.router)
api.add_router("/photos", photos.router)  # with photo_edits' writes
api.add_router("/photo-consents", photo_edits.consents_router)
api.add_router("/lots", lots.router)
api.add_router("/invoices", money.invoices_router)  # with invoice_edits' writes
api.add_router("/payments", money.payments_router)
api.add_router("/price-list", packages.prices_router)
api.add_router("/packages", packages.packages_router)

# Clinical records (plans, sessions, adverse events, follow-ups): clinical role and scope.
api.add_router("/plans", plans.router)
api.add_router("/plans", plan_edits.router)
api.add_router("/consents", plan_edits.consents)
api.add_router("/sessions", sessions.router)
api.add_router("/adverse-events", events.events)
api.add_router("/follow-ups", events.follow_ups)
