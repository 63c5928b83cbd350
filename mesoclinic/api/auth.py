"""Who calls the JSON API, and what the call may do.

Callers sign in with a personal access token (``Authorization: Bearer mcl_...``, made on
the "API tokens" page or by ``mesoclinic token create``) or, for the pages' own calls, the
session cookie with its CSRF token. A token acts as its holder, narrowed by its scopes.
Every resource module checks its calls with `require`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.api import tokens
from mesoclinic.api.models import ApiToken, Scope
from mesoclinic.tenancy import set_current_org


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The interactive docs and the OpenAPI document are for staff: signed in, or calling
    with their token (a client reads the schema it is written against); anyone else is
    sent to log in, and a patient gets 404."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request.user, "role", "") not in roles.STAFF_ROLES:
            raise Http404
        return view(request, *args, **kwargs)

    signed_in = login_required(checked)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            found = tokens.authenticate(header.removeprefix("Bearer ").strip())
            if found is None:
                return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
            request.user = found.user
            return checked(request, *args, **kwargs)
        return signed_in(request, *args, **kwargs)

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


def scopes(request: HttpRequest) -> frozenset[str]:
    """What the call may do: a token's scopes; a signed-in page may do all its role allows."""
    auth = getattr(request, "auth", None)
    return frozenset(auth.scopes) if isinstance(auth, ApiToken) else frozenset(Scope.values)


def require(request: AuthedRequest, capability: str, scope: str = Scope.READ) -> None:
    """The caller's role has `capability` and the call (its token) has `scope`, or 403."""
    if not roles.can(request.user, capability):
        raise PermissionDenied
    if scope not in scopes(request):
        raise PermissionDenied(f"This token has no {scope} scope.")


def clinical(request: AuthedRequest) -> bool:
    """May this call read clinical detail: a clinical role and, for a token, its scope."""
    return roles.can(request.user, roles.VIEW_CLINICAL) and Scope.CLINICAL in scopes(request)


def require_clinical(request: AuthedRequest, scope: str = Scope.READ) -> None:
    """Clinical records: a clinical role, the clinical scope and `scope`, or 403."""
    require(request, roles.VIEW_CLINICAL, scope)
    if Scope.CLINICAL not in scopes(request):
        raise PermissionDenied("This token has no clinical scope.")
