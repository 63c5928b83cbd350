"""Finding a patient: each kind of query is an index range scan."""

import operator
from collections.abc import Sequence
from datetime import date, datetime
from functools import reduce

from django.db import connection
from django.db.models import QuerySet

from mesoclinic.patients import models as m
from mesoclinic.patients.models import digits, search_key

PAGE_SIZE = 25
COUNT_CAP = 1000


def parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search_patients(query: str) -> tuple[QuerySet[m.Patient], str]:
    """Name prefix, date of birth, phone digits or email: each an index range scan."""
    parts, kind = search_parts(query)
    return reduce(operator.or_, parts), kind


def ordered_window(query: str, ordering: Sequence[str], bottom: int, top: int) -> list[m.Patient]:
    """Rows bottom..top of the matches in `ordering`, for a page of results.

    A name prefix matches last names or first names: one OR in a query ordered by
    name makes PostgreSQL walk the name index from "a" filtering (64 ms for "yam" at
    100,000 patients). Each range read in order and limited to `top` on its own, then
    united, is an index range scan each (0.2 ms). SQLite plans the OR well and allows
    no LIMIT inside a UNION, so it keeps the single query.
    """
    parts, _kind = search_parts(query)
    if len(parts) == 1 or connection.vendor != "postgresql":
        return list(reduce(operator.or_, parts).order_by(*ordering)[bottom:top])
    first, *rest = (part.order_by(*ordering)[:top] for part in parts)
    return list(first.union(*rest).order_by(*ordering)[bottom:top])


def search_parts(query: str) -> tuple[list[QuerySet[m.Patient]], str]:
    """The index ranges a query matches, one queryset each; any of them matches."""
    qs = m.Patient.objects.all()
    query = query.strip()
    if not query:
        return [qs], "list"
    if "@" in query:
        key = query.lower()
        return [qs.filter(email_lower__gte=key, email_lower__lt=key + "\uffff")], "email"
    if dob := parse_date(query):
        return [qs.filter(date_of_birth=dob)], "date of birth"
    if len(phone := digits(query)) >= 3 and len(phone) >= len(query.replace(" ", "")) - 2:
        return [qs.filter(phone_digits__gte=phone, phone_digits__lt=phone + ":")], "phone"
    words = search_key(query).split()
    if not words:
        return [qs.none()], "name"
    if len(words) == 1:
        lo, hi = words[0], words[0] + "\x7f"
        last = qs.filter(search_last__gte=lo, search_last__lt=hi)
        first = qs.filter(search_first__gte=lo, search_first__lt=hi)
        return [last, first], "name"
    # "Anna Smi" or "Smith Anna": first word(s) and last word in either order.
    a, b = " ".join(words[:-1]), words[-1]
    forward = qs.filter(
        search_first__gte=a,
        search_first__lt=a + "\x7f",
        search_last__gte=b,
        search_last__lt=b + "\x7f",
    )
    backward = qs.filter(
        search_last__gte=a,
        search_last__lt=a + "\x7f",
        search_first__gte=b,
        search_first__lt=b + "\x7f",
    )
    return [forward, backward], "name"
