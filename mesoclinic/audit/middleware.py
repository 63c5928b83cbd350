import uuid


class RequestIdMiddleware:
    """Give each request an id, echoed in X-Request-ID and stored with its audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4()
        response = self.get_response(request)
        response["X-Request-ID"] = str(request.request_id)
        return response
