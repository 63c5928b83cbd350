"""Refusals as JSON, and request bodies read after access: a service's reason, a form's
field errors and a bad body all answer 400 `{"detail": ..., "errors": {field: [...]}}`.

A body is read in the view, once the role, scope and organization checks have passed:
ninja would validate a declared body before the view runs and tell an outsider (due a
404) about our schema. `body_doc` documents such a body in the OpenAPI document.
"""

import uuid
from typing import Any, TypeVar

import pydantic
from django import forms
from django.http import HttpRequest
from ninja import Status

from mesoclinic.accounts.models import User

_T = TypeVar("_T", bound=pydantic.BaseModel)

NO_BODY = "Send the request as a JSON object."
NO_KEY = "Send an Idempotency-Key header (a UUID) so a retried request is recorded once."
FIX_FIELDS = "Some fields need correcting."

# A per-colleague namespace for the keys clients send: one colleague's key never meets
# another's (or another clinic's) row.
_KEYS = uuid.UUID("6f1c3c8e-2f55-4b8a-9d3e-0c6a1f3e9b21")


class BadBody(Exception):
    """The request's body does not fit its schema: answered 400 by api.views."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["detail"])
        self.body = body


class Refused(Exception):
    """A refusal raised from a helper, answered as `refused` would (api.views)."""

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.body = _refusal(message, field)


def _refusal(message: str, field: str | None) -> dict[str, Any]:
    return {"detail": message, "errors": {field: [message]} if field else {}}


def refused(message: str, field: str | None = None, status: int = 400) -> Status[Any]:
    """A service's refusal; one that belongs to a field names it, as the page does."""
    return Status(status, _refusal(message, field))


def form_refused(form: forms.BaseForm) -> Status[Any]:
    """400 with each field's messages, as the page shows them next to the field."""
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    first = next(iter(errors.values()), ["The request was refused."])[0]
    return Status(400, {"detail": first, "errors": errors})


def as_form_data(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON body as a posted form: None is a blank field; lists stay lists."""
    return {
        name: value if isinstance(value, list) else ("" if value is None else str(value))
        for name, value in values.items()
    }


def submission_key(user: User, header: str | None) -> uuid.UUID | None:
    """The service's double-submit key for a client's Idempotency-Key, or None if none
    or not a UUID."""
    try:
        sent = uuid.UUID(header or "")
    except ValueError:
        return None
    return uuid.uuid5(_KEYS, f"{user.public_id}:{sent}")


def _problems(error: pydantic.ValidationError) -> dict[str, Any]:
    problems = error.errors(include_url=False)
    if any(p["type"] == "json_invalid" for p in problems):
        return {"detail": NO_BODY, "errors": {}}
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field = ".".join(str(part) for part in problem["loc"]) or "body"
        errors.setdefault(field, []).append(problem["msg"])
    return {"detail": FIX_FIELDS, "errors": errors}


def read_body(request: HttpRequest, schema: type[_T]) -> _T:
    """The request's JSON body as `schema`, or BadBody (400) naming each field at fault."""
    if not request.body:
        raise BadBody({"detail": NO_BODY, "errors": {}})
    try:
        return schema.model_validate_json(request.body)
    except pydantic.ValidationError as error:
        raise BadBody(_problems(error)) from None


def parse(request: HttpRequest, schema: type[_T]) -> _T | Status[Any]:
    """`read_body`, the refusal returned as the 400 answer rather than raised."""
    try:
        return read_body(request, schema)
    except BadBody as bad:
        return Status(400, bad.body)


def body_doc(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` documenting a body read with `read_body` or `parse`."""
    return {
        "requestBody": {
            "required": True,
            # Nested models as components (MesoclinicAPI moves the $defs there).
            "content": {
                "application/json": {
                    "schema": schema.model_json_schema(ref_template="#/components/schemas/{model}")
                }
            },
        }
    }
