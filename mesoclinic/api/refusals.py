"""A page's refusals as the API's JSON: a form's field errors and a service's refusal."""

import json
from typing import Any, TypeVar

import pydantic
from django import forms
from django.http import HttpRequest
from ninja import Status
from ninja.errors import ValidationError
from pydantic import BaseModel


def form_refused(form: forms.BaseForm) -> Status[dict[str, Any]]:
    """400 with each field's messages, as the page shows them next to the field."""
    errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
    first = next(iter(errors.values()), ["The request was refused."])[0]
    return Status(400, {"detail": first, "errors": errors})


def refused(message: str, field: str | None = None, status: int = 400) -> Status[dict[str, Any]]:
    """A service's refusal; a refusal that belongs to a field names it, like the page."""
    body: dict[str, Any] = {"detail": message}
    if field:
        body["errors"] = {field: [message]}
    return Status(status, body)


def as_form_data(values: dict[str, Any]) -> dict[str, Any]:
    """A JSON body as a posted form: None is a blank field; lists stay lists."""
    return {
        name: value if isinstance(value, list) else ("" if value is None else str(value))
        for name, value in values.items()
    }


_T = TypeVar("_T", bound=BaseModel)


def json_body(request: HttpRequest, schema: type[_T]) -> _T:
    """The body, read once access is settled: ninja would validate a declared body before
    the view runs, and tell an outsider (due a 404) about our schema. A bad body is ninja's
    own 422."""
    try:
        return schema.model_validate_json(request.body or b"{}")
    except pydantic.ValidationError as exc:
        errors = json.loads(exc.json(include_url=False, include_context=False))
        raise ValidationError([{**e, "loc": ["body", *e["loc"]]} for e in errors]) from None


def body_doc(schema: type[BaseModel]) -> dict[str, Any]:
    """The `openapi_extra` documenting a body read with `json_body`."""
    shape = schema.model_json_schema(ref_template="#/components/schemas/{model}")
    shape.pop("$defs", None)  # enums shared with the responses, which list them
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": shape}}}}
