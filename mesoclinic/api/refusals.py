"""A page's refusals as the API's JSON: a form's field errors and a service's refusal."""

from typing import Any

from django import forms
from ninja import Status


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
