"""Cursor pagination for the JSON API: stable pages however the table changes.

A page is the `limit` rows after the cursor in a whitelisted ordering whose last field
is unique (the primary key): `?limit=50`, then `?cursor=<next>` from the answer. The
cursor is the last row's ordering values, signed, so a client cannot forge one (a
changed or foreign cursor is a 400) and nothing of the row is readable in it but the
ordering values. Each page is one keyset query: the thousandth page costs the first's.
Ordering fields must be columns of the model that are never NULL.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from django.core import signing
from django.db.models import Model, Q, QuerySet
from ninja import Schema
from pydantic import Field

_M = TypeVar("_M", bound=Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "mesoclinic.api.cursor"


class BadCursor(ValueError):
    """The cursor was not made by this API for this ordering."""


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=300, description="`next` of the page before.")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def _after(ordering: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `ordering`: a lexicographic keyset condition."""
    condition = Q(pk__in=[])
    for i, key in enumerate(ordering):
        name = key.lstrip("-")
        beyond = Q(**{f"{name}__{'lt' if key.startswith('-') else 'gt'}": values[i]})
        equal = Q(**{prev.lstrip("-"): values[j] for j, prev in enumerate(ordering[:i])})
        condition |= equal & beyond
    return condition


def page(
    queryset: QuerySet[_M], ordering: Sequence[str], params: PageParams
) -> tuple[list[_M], str | None]:
    """One page of `queryset` in `ordering` after `params.cursor`, and the next cursor."""
    tag = ",".join(ordering)
    qs = queryset.order_by(*ordering)
    if params.cursor:
        try:
            data = signing.loads(params.cursor, salt=_SALT)
        except signing.BadSignature as exc:
            raise BadCursor("cursor: not a cursor this API gave out") from exc
        if (
            not isinstance(data, dict)
            or data.get("o") != tag
            or len(data.get("v", ())) != len(ordering)
        ):
            raise BadCursor("cursor: it belongs to another list or another sort")
        qs = qs.filter(_after(ordering, data["v"]))
    rows = list(qs[: params.limit + 1])
    if len(rows) <= params.limit:
        return rows, None
    rows = rows[: params.limit]
    last = rows[-1]
    values = [_plain(getattr(last, key.lstrip("-"))) for key in ordering]
    return rows, signing.dumps({"o": tag, "v": values}, salt=_SALT, compress=True)
