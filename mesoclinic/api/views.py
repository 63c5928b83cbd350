"""JSON API (django-ninja). The same roles and audit as the pages.

Callers sign in with a personal access token (``Authorization: Bearer mcl_...``, made on
the "API tokens" page or by ``mesoclinic token create``) or, for the pages' own calls, the
session cookie with its CSRF token. A token acts as its holder, narrowed by its scopes.

Outsiders get 404 for another organization's objects; reception gets
demographics and never clinical history.
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Query, Schema, Status
from ninja.security import HttpBearer, django_auth
from ninja.throttling import SimpleRateThrottle

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import schemas as s
from mesoclinic.api import tokens
from mesoclinic.api.models import ApiToken, Scope
from mesoclinic.audit.log import Action, record
from mesoclinic.patients import models as pm
from mesoclinic.patients import services
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.forms import SearchForm
from mesoclinic.patients.search import PAGE_SIZE, search_patients
from mesoclinic.tenancy import set_current_org


def _staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The interactive docs are for signed-in staff: anyone else is sent to log in."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "role", "") not in roles.STAFF_ROLES:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


class TokenAuth(HttpBearer):
    """A personal access token: the request acts as its holder, in their organization."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token)
        if found is None:
            return None
        request.user = found.user
        # The tenancy middleware ran before the token was read: scope the rest of the call.
        set_current_org(found.user.organization_id)
        return found


class TokenRateThrottle(SimpleRateThrottle):
    """Calls per token (a page's own calls: per colleague), at MESOCLINIC_API_RATE."""

    scope = "token"

    def get_cache_key(self, request: HttpRequest) -> str | None:
        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiToken):
            ident = f"t{auth.pk}"
        elif getattr(request.user, "is_authenticated", False):
            ident = f"u{request.user.pk}"
        else:
            return None  # nobody signed in: the call is refused (401) before it costs anything
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _scopes(request: HttpRequest) -> frozenset[str]:
    """What the call may do: a token's scopes; a signed-in page may do all its role allows."""
    auth = getattr(request, "auth", None)
    return frozenset(auth.scopes) if isinstance(auth, ApiToken) else frozenset(Scope.values)


api = NinjaAPI(
    title="mesoclinic API",
    version="1",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    docs_decorator=_staff_only,
    throttle=[TokenRateThrottle()],
)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    detail = str(exc) or "Your role may not do this."
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


def _require(request: AuthedRequest, capability: str, scope: str = Scope.READ) -> None:
    if not roles.can(request.user, capability):
        raise PermissionDenied
    if scope not in _scopes(request):
        raise PermissionDenied(f"This token has no {scope} scope.")


class SearchParams(Schema):
    q: str = ""
    sort: str = "name"
    page: int = 1


def _summary(p: pm.Patient) -> dict[str, Any]:
    return {
        "id": p.public_id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": p.date_of_birth,
        "sex": p.sex,
        "phone": p.phone,
        "email": p.email,
    }


@api.get("/patients", response={200: s.PatientPage, 400: s.Error, 403: s.Error})
def list_patients(
    request: AuthedRequest, params: Query[SearchParams]
) -> Status[dict[str, str]] | dict[str, Any]:
    _require(request, roles.VIEW_DEMOGRAPHICS)
    form = SearchForm({"q": params.q, "sort": params.sort})
    if not form.is_valid():
        return Status(
            400,
            {"detail": "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items())},
        )
    results, kind = search_patients(form.cleaned_data["q"])
    page = Paginator(results.order_by(*form.ordering()), PAGE_SIZE).get_page(params.page)
    record(
        request.user,
        Action.SEARCH,
        object_type="patient",
        detail=f"api by {kind}, page {page.number}",
    )
    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "results": [_summary(p) for p in page.object_list],
    }


def _history(chart: services.Chart) -> list[dict[str, Any]]:
    groups: list[tuple[str, Iterable[Any], Callable[[Any], str]]] = [
        ("allergy", chart.allergies, lambda e: e.label),
        ("no-known-allergies", chart.no_known_allergies, str),
        ("medication", chart.medications, lambda e: f"{e.name} {e.dose}".strip()),
        ("condition", chart.conditions, lambda e: e.get_condition_display()),
        ("pregnancy", chart.pregnancy, lambda e: e.get_status_display()),
        ("infection", chart.infections, str),
        ("lifestyle", chart.lifestyle, lambda e: e.get_factor_display()),
        ("concern", chart.concerns, lambda e: e.get_concern_display()),
    ]
    return [
        {
            "id": e.public_id,
            "kind": kind,
            "text": text(e),
            "recorded_on": e.recorded_on,
            "recorded_by": e.created_by.full_name,
        }
        for kind, entries, text in groups
        for e in entries
    ]


@api.get("/patients/{uuid:patient_id}", response={200: s.PatientDetail, 403: s.Error, 404: s.Error})
def patient_detail(request: AuthedRequest, patient_id: str) -> dict[str, Any]:
    # str, as ninja parsed it when unannotated: the query matches it like a UUID.
    _require(request, roles.VIEW_DEMOGRAPHICS)
    patient = get_patient(patient_id)
    # Clinical detail needs both the role and, for a token, its clinical scope.
    clinical = roles.can(request.user, roles.VIEW_CLINICAL) and Scope.CLINICAL in _scopes(request)
    data = {
        **_summary(patient),
        "address": patient.address,
        "occupation": patient.occupation,
        "updated_at": patient.changed_at,
    }
    if clinical:
        chart = services.chart_for(patient)
        data.update(
            weight_kg=patient.weight_kg,
            height_cm=patient.height_cm,
            fitzpatrick=patient.fitzpatrick,
            alerts=[{"kind": k, "text": t} for k, t in chart.alerts],
            history=_history(chart),
        )
    record(
        request.user, Action.VIEW, patient, detail="api chart" if clinical else "api demographics"
    )
    return data
