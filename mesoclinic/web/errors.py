"""The pages shown when a request fails: in the project's look, in plain words, with a
way back, and saying nothing about what was asked for (a patient of another clinic is
"not found", exactly like one that never existed).

The 500 page is rendered without the request's context (no user, no database): the
failure may be the database itself.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template

PAGES = {
    400: ("Something in that request was not understood", "Go back and try again."),
    403: (
        "This page is not open to your role",
        "If you need it for your work, ask the clinic's owner to change your role.",
    ),
    404: (
        "Not found",
        "The page or record does not exist, or is not part of your clinic's records.",
    ),
}


# Clients of the JSON API get JSON whatever failed, a path that matched no route included.
API_PREFIX = "/api/"


def _json(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def _page(request: HttpRequest, status: int) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _json(status, PAGES[status][0] + ".")
    title, advice = PAGES[status]
    context = {"status": status, "title": title, "advice": advice}
    return render(request, "web/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:  # noqa: ARG001
    return _page(request, 400)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    """What the role may not do, when the refusal says it (`roles.refusal`), then the advice."""
    title, advice = PAGES[403]
    said = str(exception) if isinstance(exception, PermissionDenied) else ""
    if request.path.startswith(API_PREFIX):
        return _json(403, said or title + ".")
    context = {"status": 403, "title": title, "refusal": said, "advice": advice}
    return render(request, "web/error.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:  # noqa: ARG001
    return _page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _json(500, "Something went wrong on the server.")
    html = get_template("web/error_500.html").render({})
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:  # noqa: ARG001
    """A form posted from a page left open too long, or after logging in again elsewhere."""
    context = {
        "status": 403,
        "title": "That form had expired",
        "advice": (
            "Nothing was saved. Go back, reload the page and submit it again: "
            "your browser usually keeps what you typed."
        ),
    }
    return render(request, "web/error.html", context, status=403)
