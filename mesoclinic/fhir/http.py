"""Who is calling, and how FHIR answers: JSON resources and OperationOutcome errors.

The same callers as the JSON API: a personal access token (``Authorization: Bearer
mcl_...``) acting as its holder, narrowed by its scopes, or a signed-in staff session.
Clinical resources need both a clinical role and, for a token, the clinical scope.
"""

from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.resource import Resource

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.api import tokens
from mesoclinic.api.auth import TokenRateThrottle
from mesoclinic.api.models import ApiToken, Scope
from mesoclinic.tenancy import set_current_org

CONTENT_TYPE = "application/fhir+json"


class FhirError(Exception):
    """An answer other than the resource: its HTTP status, issue code and sentence."""

    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status, self.code, self.diagnostics = status, code, diagnostics
        self.retry_after: int | None = None


def bad_request(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def respond(resource: Resource, status: int = 200) -> HttpResponse:
    return HttpResponse(
        resource.model_dump_json(exclude_none=True), status=status, content_type=CONTENT_TYPE
    )


def outcome(status: int, code: str, diagnostics: str) -> HttpResponse:
    body = OperationOutcome.model_validate(
        {"issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]}
    )
    response = respond(body, status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="mesoclinic"'
    return response


class Caller:
    """The staff member a call acts as, and what the call may read."""

    def __init__(self, user: User, scopes: frozenset[str]) -> None:
        self.user, self.scopes = user, scopes

    def require(self, clinical: bool) -> None:
        # Every staff role sees demographics (`authenticate` lets in staff only).
        if Scope.READ not in self.scopes:
            raise FhirError(403, "forbidden", "This token has no read scope.")
        if clinical and not roles.can(self.user, roles.VIEW_CLINICAL):
            raise FhirError(403, "forbidden", roles.refusal(self.user, roles.VIEW_CLINICAL))
        if clinical and Scope.CLINICAL not in self.scopes:
            raise FhirError(403, "forbidden", "This token has no clinical scope.")


def authenticate(request: HttpRequest) -> Caller:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        found: ApiToken | None = None
        if scheme.lower() == "bearer":
            found = tokens.authenticate(secret.strip())
        if found is None:
            raise FhirError(401, "login", "The token is unknown, expired or revoked.")
        request.user = found.user
        request.auth = found  # type: ignore[attr-defined]  # what the rate limit counts by
        # The tenancy middleware ran before the token was read: scope the rest of the call.
        set_current_org(found.user.organization_id)
        return Caller(found.user, frozenset(found.scopes))
    user = request.user
    if user.is_authenticated and getattr(user, "role", "") in roles.STAFF_ROLES:
        assert isinstance(user, User)
        return Caller(user, frozenset(Scope.values))
    raise FhirError(401, "login", "Sign in, or send a personal API token as a Bearer token.")


View = Callable[..., HttpResponse]


@cache
def throttle() -> TokenRateThrottle:
    """The JSON API's limit (MESOCLINIC_API_RATE), on the same count: one per token."""
    return TokenRateThrottle()


def _limit(request: HttpRequest) -> None:
    limit = throttle()
    if not limit.allow_request(request):
        wait = limit.wait()
        error = FhirError(429, "throttled", "Too many requests: wait a moment and try again.")
        error.retry_after = round(wait) if wait else None
        raise error


def read_only(view: View) -> View:
    """GET only: anything else is a 405 outcome (this server changes nothing)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "GET":
            response = outcome(405, "not-supported", "This server is read-only: use GET.")
            response["Allow"] = "GET"
            return response
        return view(request, *args, **kwargs)

    # Nothing but GET reaches the view, so a POST has nothing to forge: it gets the 405
    # outcome rather than the CSRF page.
    return csrf_exempt(wrapped)


def fhir_view(view: Callable[..., HttpResponse]) -> View:
    """Authenticate the caller (passed on as `caller`) and answer errors as outcomes."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            caller = authenticate(request)
            _limit(request)
            return view(request, caller, *args, **kwargs)
        except FhirError as error:
            response = outcome(error.status, error.code, error.diagnostics)
            if error.retry_after:
                response["Retry-After"] = str(error.retry_after)
            return response
        except Http404:
            return outcome(404, "not-found", "No such resource.")
        except PermissionDenied as error:
            return outcome(403, "forbidden", str(error) or "Your role may not read this.")

    return wrapped
