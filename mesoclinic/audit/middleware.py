import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from mesoclinic.audit.log import RequestContext, client_address, in_request


class IdentifiedRequest(HttpRequest):
    request_id: uuid.UUID  # set by RequestIdMiddleware before the view runs


class RequestIdMiddleware:
    """Give each request an id, echoed in X-Request-ID; hold it and the client address
    as the audit context, so every event recorded during the request carries them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: IdentifiedRequest) -> HttpResponse:
        request.request_id = uuid.uuid4()
        with in_request(RequestContext(client_address(request), request.request_id)):
            response = self.get_response(request)
        response["X-Request-ID"] = str(request.request_id)
        return response
