"""FHIR search parameters: parsed strictly (an unknown or malformed one is a 400 that
says which), then applied to a kind's querysets."""

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from mesoclinic.fhir.http import bad_request
from mesoclinic.fhir.kinds import Kind
from mesoclinic.patients.models import search_key

DEFAULT_COUNT = 20
MAX_COUNT = 100
# Parameters every search takes besides its own.
COMMON = {
    "_count": f"Results per page (1 to {MAX_COUNT}; {DEFAULT_COUNT} unless told).",
    "_offset": "How many results to skip: the next link of a page carries it.",
}
_DATE = re.compile(r"^(eq|ge|gt|le|lt)?(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


@dataclass
class Search:
    count: int = DEFAULT_COUNT
    offset: int = 0
    patient: uuid.UUID | None = None
    filters: list[Q] = field(default_factory=list)
    # Each parameter's codes (any of them matches); every parameter must match.
    categories: list[set[str]] = field(default_factory=list)


def _int(params: QueryDict, name: str, default: int, low: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be a whole number, not “{raw}”.") from None
    if value < low:
        raise bad_request(f"{name} must be at least {low}.")
    return value


def patient_id(raw: str) -> uuid.UUID:
    """The id in "Patient/[id]", a full URL ending so, or a bare id."""
    tail = raw.rstrip("/").rsplit("/", 1)
    if len(tail) == 2 and not tail[0].endswith("Patient"):
        raise bad_request("patient must be Patient/[id] or the id alone.")
    try:
        return uuid.UUID(tail[-1])
    except ValueError:
        raise bad_request(f"“{raw}” is not a patient id.") from None


def _date_range(name: str, raw: str, field_name: str) -> Q:
    """One date parameter as a filter on a date field ("birthdate=ge1980")."""
    found = _DATE.match(raw)
    if not found:
        raise bad_request(
            f"{name} must be a date like 2026-03-01, optionally after eq, ge, gt, le or lt."
        )
    prefix, year, month, day = found.groups()
    try:
        start = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise bad_request(f"{name}: “{raw}” is not a date.") from None
    if day:
        end = start + dt.timedelta(days=1)
    elif month:
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    else:
        end = start.replace(year=start.year + 1)
    ranges = {
        "eq": Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end}),
        "ge": Q(**{f"{field_name}__gte": start}),
        "gt": Q(**{f"{field_name}__gte": end}),
        "le": Q(**{f"{field_name}__lt": end}),
        "lt": Q(**{f"{field_name}__lt": start}),
    }
    return ranges[prefix or "eq"]


def _dates(kind: Kind, params: QueryDict) -> list[Q]:
    dates = {"birthdate": "date_of_birth", **kind.dates}
    return [
        _date_range(name, raw, field_name)
        for name, field_name in dates.items()
        for raw in params.getlist(name)
    ]


def _codes(raw: str) -> set[str]:
    """A token parameter's codes: a comma between them means either."""
    codes = {code.strip() for code in raw.split(",") if code.strip()}
    if not codes:
        raise bad_request("category must name a code, as category=photography.")
    return codes


def parse_paging(params: QueryDict, default: int = DEFAULT_COUNT) -> Search:
    """An operation that pages but takes no search parameters ($everything)."""
    unknown = sorted(set(params) - {*COMMON, "_format"})
    if unknown:
        raise bad_request(
            f"This operation takes only _count and _offset, not {', '.join(unknown)}."
        )
    if params.get("_format", "json") not in ("json", "application/fhir+json"):
        raise bad_request("This server answers in JSON only.")
    return Search(
        count=min(_int(params, "_count", default, 1), MAX_COUNT),
        offset=_int(params, "_offset", 0, 0),
    )


def parse(kind: Kind, params: QueryDict) -> Search:
    allowed = {*COMMON, *kind.params, "_format"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        supported = ", ".join(sorted(allowed - {"_format"}))
        raise bad_request(f"{kind.name} has no search parameter {', '.join(unknown)}. "
                          f"It takes: {supported}.")  # fmt: skip
    if params.get("_format", "json") not in ("json", "application/fhir+json"):
        raise bad_request("This server answers in JSON only.")
    search = Search(
        count=min(_int(params, "_count", DEFAULT_COUNT, 1), MAX_COUNT),
        offset=_int(params, "_offset", 0, 0),
    )
    if "patient" in params:
        search.patient = patient_id(str(params["patient"]))
    elif kind.needs_patient:
        raise bad_request(f"Searching {kind.name} needs patient=Patient/[id].")
    search.filters += _dates(kind, params)
    search.categories = [_codes(raw) for raw in params.getlist("category")]
    for raw in params.getlist("name"):
        key = search_key(raw)
        if not key:
            raise bad_request("name must have at least one letter or digit.")
        search.filters.append(Q(search_last__startswith=key) | Q(search_first__startswith=key))
    return search


def _answers(kind: Kind, source: int, search: Search) -> bool:
    if not search.categories:
        return True
    tokens = kind.categories[source]
    return all(codes & tokens for codes in search.categories)


def apply(kind: Kind, search: Search) -> list[QuerySet[Any]]:
    found = []
    for source, queryset in enumerate(kind.sources()):
        if not _answers(kind, source, search):
            continue
        if search.patient is not None:
            queryset = queryset.filter(**{f"{kind.patient_field}__public_id": search.patient})
        for condition in search.filters:
            queryset = queryset.filter(condition)
        found.append(queryset)
    return found


def page(kind: Kind, search: Search) -> tuple[list[Any], int]:
    """This page's rows and how many match in all."""
    querysets = apply(kind, search)
    stop = search.offset + search.count
    if len(querysets) == 1:
        (queryset,) = querysets
        return list(queryset[search.offset : stop]), queryset.count()
    # Several tables (a patient's allergies and "no known allergies"): per patient, few rows.
    rows = [row for queryset in querysets for row in queryset]
    return rows[search.offset : stop], len(rows)
