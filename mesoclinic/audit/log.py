"""Write audit events. Every read or change of patient data calls `record` once.

It reads nothing: the actor, organization, address and request id all come
from the request already in memory, so auditing costs one INSERT.
"""

from collections.abc import Iterable

from mesoclinic.audit.models import Action, AuditEvent


def client_address(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted
    # proxy rewrites REMOTE_ADDR, which is the deployment's job.
    return request.META.get("REMOTE_ADDR") or None


def record(
    request,
    action: str,
    obj=None,
    *,
    object_type: str = "",
    object_id: str = "",
    fields: Iterable[str] = (),
    detail: str = "",
    actor=None,
) -> AuditEvent:
    user = actor if actor is not None else request.user
    authenticated = getattr(user, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or type(obj).__name__.lower()
        object_id = object_id or str(getattr(obj, "public_id", obj.pk))
    return AuditEvent.objects.create(
        organization_id=user.organization_id if authenticated else None,
        actor=user if authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        fields=sorted(set(fields)),
        detail=detail[:200],
        client_address=client_address(request),
        request_id=getattr(request, "request_id", None)
        or AuditEvent._meta.get_field("request_id").get_default(),
    )


def record_system(
    organization_id, action: str, *, object_type: str, object_id: str, detail: str = ""
) -> AuditEvent:
    """An event no person caused in a request (a worker, a command): no actor or address."""
    return AuditEvent.objects.create(
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:200],
    )


__all__ = ["Action", "record", "record_system"]
