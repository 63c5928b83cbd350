import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from mesoclinic.accounts.roles import Role
from mesoclinic.tenancy import reset_current_org, set_current_org

# Refresh the session's expiry at most this often, so that an idle timeout costs
# one session write a minute rather than one per request.
_TOUCH_EVERY_SECONDS = 60


Handler = Callable[[HttpRequest], HttpResponse]


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = int(time.time())
        if request.user.is_authenticated:
            last = request.session.get("last_activity", now)
            if now - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                setattr(request, "session_expired", True)  # noqa: B010 - the log-in page says why
        response = self.get_response(request)
        # After the view, so that the request that logs in starts the clock too.
        if request.user.is_authenticated:
            last = request.session.get("last_activity")
            if last is None or now - last >= _TOUCH_EVERY_SECONDS:
                request.session["last_activity"] = now
        return response


class TenantMiddleware:
    """Scope every query of this request to the signed-in user's organization."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        org_id = user.organization_id if user.is_authenticated else None
        token = set_current_org(org_id)
        try:
            return self.get_response(request)
        finally:
            reset_current_org(token)


class NoStoreMiddleware:
    """A signed-in user's pages are health data: no browser or proxy keeps a copy (a
    shared tablet's back button shows nothing after sign-out). A view that set its own
    caching keeps it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class PortalBoundaryMiddleware:
    """A patient's account opens the portal and nothing else: every staff page, partial,
    feed and API answers 404 to it, whatever the view's own checks say. Staff accounts
    are kept out of the portal by its own views (`portal.access`)."""

    # Where a signed-in patient may go besides the portal: signing out, and static files.
    _OPEN = ("/portal/", "/accounts/logout/", "/static/")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and getattr(user, "role", "") == Role.PATIENT
            and not request.path.startswith(self._OPEN)
        ):
            if request.path == "/":
                return redirect("portal_home")
            raise Http404("Not a page of the portal.")
        return self.get_response(request)
