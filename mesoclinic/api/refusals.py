"""Refusals as JSON: a service's reason, and the input it names, for a person to read."""

import uuid
from typing import Any, TypeVar

import pydantic
from django.http import HttpRequest
from ninja import Schema, Status

from mesoclinic.accounts.models import User

_S = TypeVar("_S", bound=Schema)

NO_BODY = "Send the request as a JSON object."
NO_KEY = "Send an Idempotency-Key header (a UUID) so a retried request is recorded once."

# A per-colleague namespace for the keys clients send: one colleague's key never meets
# another's (or another clinic's) row.
_KEYS = uuid.UUID("6f1c3c8e-2f55-4b8a-9d3e-0c6a1f3e9b21")


def refused(message: str, field: str | None = None, status: int = 400) -> Status[Any]:
    errors = {field: [message]} if field else {}
    return Status(status, {"detail": message, "errors": errors})


def submission_key(user: User, header: str | None) -> uuid.UUID | None:
    """The service's double-submit key for a client's Idempotency-Key, or None if none
    or not a UUID."""
    try:
        sent = uuid.UUID(header or "")
    except ValueError:
        return None
    return uuid.uuid5(_KEYS, f"{user.public_id}:{sent}")


def json_body(schema: type[Schema]) -> dict[str, Any]:
    """`openapi_extra` documenting `schema` as the JSON request body an operation reads
    with `parse` (after its access checks, so a refused caller learns nothing from it)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def parse(request: HttpRequest, schema: type[_S]) -> _S | Status[Any]:
    """The request's JSON body as `schema`, or a 400 naming each field at fault."""
    try:
        return schema.model_validate_json(request.body or b"")
    except pydantic.ValidationError as error:
        problems = error.errors(include_url=False)
        if any(p["type"] == "json_invalid" for p in problems) or not request.body:
            return refused(NO_BODY)
        errors: dict[str, list[str]] = {}
        for problem in problems:
            field = ".".join(str(part) for part in problem["loc"]) or "body"
            errors.setdefault(field, []).append(problem["msg"])
        return Status(400, {"detail": "Some fields need correcting.", "errors": errors})
