"""Ids in a query string are looked up exactly like ids in the path.

``/appointments/new/?patient=<id>`` must answer 404 for another clinic's patient, a
patient that does not exist or text that is not an id at all, as ``/patients/<id>/``
does; it must never answer 500 nor an empty form that hides the mistake. Views call
`object_from_query` with a queryset already scoped to the organization.
"""

import uuid
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

_M = TypeVar("_M", bound=Model)


def id_from_query(request: HttpRequest, name: str) -> uuid.UUID | None:
    """The id in ``?name=``, None when absent or empty, 404 when it is not an id.

    Only the query string: an id posted in a form is the form's to check, next to its field.
    """
    text = request.GET.get(name)
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise Http404(f"No such {name}.") from None


def object_from_query(
    request: HttpRequest, name: str, queryset: QuerySet[_M], field: str = "public_id"
) -> _M | None:
    """The row named by ``?name=`` within `queryset`, None when absent, 404 when not found."""
    public_id = id_from_query(request, name)
    if public_id is None:
        return None
    found = queryset.filter(**{field: public_id}).first()
    if found is None:
        raise Http404(f"No such {name}.")
    return found
