"""Write audit events. Every read or change of patient data calls `record` once.

`record(actor, action, obj)` takes the person who acted; the client address and
request id come from the request context the audit middleware sets for the
length of a request, so services record the same way whether a view, a worker
or a command calls them. Outside a request there is simply no address.
Auditing reads nothing: one INSERT.
"""

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.http import HttpRequest

from mesoclinic.audit.models import Action, AuditEvent


@dataclass(frozen=True)
class RequestContext:
    """What an audit event keeps of the request it happened in."""

    client_address: str | None = None
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @classmethod
    def of(cls, request: HttpRequest) -> "RequestContext":
        request_id = getattr(request, "request_id", None)
        return cls(client_address(request), request_id or uuid.uuid4())


_request_context: ContextVar[RequestContext | None] = ContextVar(
    "mesoclinic_audit_request", default=None
)


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted
    # proxy rewrites REMOTE_ADDR, which is the deployment's job.
    return request.META.get("REMOTE_ADDR") or None


def current_context() -> RequestContext | None:
    return _request_context.get()


@contextmanager
def in_request(context: RequestContext) -> Iterator[None]:
    """Events recorded in this block carry the request's address and id."""
    token = _request_context.set(context)
    try:
        yield
    finally:
        _request_context.reset(token)


def record(
    # A `User`, `AnonymousUser` or None; audit sits below accounts, so it cannot name User.
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    fields: Iterable[str] = (),
    detail: str = "",
    context: RequestContext | None = None,
) -> AuditEvent:
    """One event by `actor` (None or anonymous: nobody signed in, as a failed log-in).

    `context` is for the few callers that hold a request the middleware has not
    seen (the log-in signals of the test client); everyone else leaves it out.
    """
    authenticated = getattr(actor, "is_authenticated", False)
    context = context or current_context() or RequestContext()
    if obj is not None:
        object_type = object_type or type(obj).__name__.lower()
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
    return AuditEvent.objects.create(
        organization_id=actor.organization_id if authenticated else None,
        actor=actor if authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        fields=sorted(set(fields)),
        detail=detail[:200],
        client_address=context.client_address,
        request_id=context.request_id,
    )


def record_system(
    organization_id: int | None, action: str, *, object_type: str, object_id: str, detail: str = ""
) -> AuditEvent:
    """An event no person caused in a request (a worker, a command): no actor or address."""
    return AuditEvent.objects.create(
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:200],
    )


__all__ = ["Action", "RequestContext", "in_request", "record", "record_system"]
