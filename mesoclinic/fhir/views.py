"""FHIR R4 read, search and Patient/$everything; each read or search is one audit event."""

import uuid
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.resource import Resource

from mesoclinic.audit.log import Action, record
from mesoclinic.fhir import search as s
from mesoclinic.fhir.capability import capability_statement
from mesoclinic.fhir.codes import code_system
from mesoclinic.fhir.http import Caller, fhir_view, outcome, read_only, respond
from mesoclinic.fhir.kinds import KINDS, Kind
from mesoclinic.patients.access import get_patient
from mesoclinic.patients.models import Patient
from mesoclinic.photos.models import Kind as ImageKind
from mesoclinic.photos.serving import image_response

# What $everything gathers besides the patient, in this order.
EVERYTHING = (
    "AllergyIntolerance",
    "MedicationStatement",
    "Condition",
    "Appointment",
    "Procedure",
    "Observation",
    "MedicationAdministration",
    "AdverseEvent",
    "Consent",
    "Media",
)


def _full_url(request: HttpRequest, resource: Resource) -> str:
    return request.build_absolute_uri(f"/fhir/R4/{resource.get_resource_type()}/{resource.id}")


def _bundle(
    request: HttpRequest, resources: list[Resource], total: int, links: dict[str, str]
) -> Bundle:
    return Bundle.model_validate(
        {
            "type": "searchset",
            "total": total,
            "link": [{"relation": rel, "url": url} for rel, url in links.items()],
            "entry": [
                {"fullUrl": _full_url(request, res), "resource": res, "search": {"mode": "match"}}
                for res in resources
            ],
        }
    )


def _audit_search(caller: Caller, kind: Kind, search: s.Search, total: int) -> None:
    """A search for one patient's records is logged against that patient."""
    by_patient = search.patient is not None
    record(
        caller.user,
        Action.SEARCH,
        object_type="patient" if by_patient else kind.audit_type or kind.name.lower(),
        object_id=str(search.patient) if by_patient else "",
        detail=f"fhir {kind.name} search, {total} found",
    )


def _links(request: HttpRequest, search: s.Search, total: int) -> dict[str, str]:
    base = request.build_absolute_uri(request.path)
    params = {k: v for k, v in request.GET.lists() if k not in ("_offset", "_count")}

    def at(offset: int) -> str:
        query = {**params, "_count": [str(search.count)], "_offset": [str(offset)]}
        return f"{base}?{urlencode(query, doseq=True)}"

    links = {"self": at(search.offset)}
    if search.offset + search.count < total:
        links["next"] = at(search.offset + search.count)
    if search.offset > 0:
        links["previous"] = at(max(0, search.offset - search.count))
    return links


@read_only
@fhir_view
def search_view(request: HttpRequest, caller: Caller, kind: str) -> HttpResponse:
    spec = KINDS[kind]
    caller.require(spec.clinical)
    search = s.parse(spec, request.GET)
    if search.patient is not None:
        get_patient(search.patient)  # another organization's patient: 404, as for a read
    rows, total = s.page(spec, search)
    _audit_search(caller, spec, search, total)
    return respond(_bundle(request, spec.resources(rows), total, _links(request, search, total)))


@read_only
@fhir_view
def read_view(request: HttpRequest, caller: Caller, kind: str, id: uuid.UUID) -> HttpResponse:  # noqa: ARG001 - Django's call
    spec = KINDS[kind]
    caller.require(spec.clinical)
    for queryset in spec.sources():
        row = queryset.filter(public_id=id).first()
        if row is not None:
            break
    else:
        raise Http404
    record(caller.user, Action.VIEW, row, object_type=spec.audit_type, detail=f"fhir {kind} read")
    return respond(spec.resources([row])[0])


def _everything_page(patient: Patient, search: s.Search) -> tuple[list[Resource], int]:
    """One page of the patient's record, in EVERYTHING's order: a count per table, then
    only the rows of this page, so a long history costs the same queries per page."""
    found: list[tuple[Kind, QuerySet[Any]]] = [
        (KINDS[name], queryset)
        for name in EVERYTHING
        for queryset in s.apply(KINDS[name], s.Search(patient=patient.public_id))
    ]
    counts = [queryset.count() for _kind, queryset in found]
    total = 1 + sum(counts)  # the patient first
    start, stop = search.offset, search.offset + search.count
    rows: dict[str, list[Any]] = {}
    at = 1
    for (kind, queryset), count in zip(found, counts, strict=True):
        low, high = max(start - at, 0), min(stop - at, count)
        if low < high:
            rows.setdefault(kind.name, []).extend(queryset[low:high])
        at += count
    page: list[Resource] = []
    if start == 0:
        page += KINDS["Patient"].resources([patient])
    for name in EVERYTHING:
        if name in rows:
            page += KINDS[name].resources(rows[name])
    return page, total


@read_only
@fhir_view
def everything_view(request: HttpRequest, caller: Caller, id: uuid.UUID) -> HttpResponse:
    """The patient and everything we hold on them that the types above carry, a page at
    a time (`_count`, and the `next` link carries `_offset`)."""
    caller.require(clinical=True)
    patient = get_patient(id)
    search = s.parse_paging(request.GET, default=s.MAX_COUNT)
    found, total = _everything_page(patient, search)
    record(caller.user, Action.EXPORT, patient, detail=f"fhir $everything, {len(found)} resources")
    return respond(_bundle(request, found, total, _links(request, search, total)))


@read_only
@fhir_view
def binary_view(request: HttpRequest, caller: Caller, id: uuid.UUID) -> HttpResponse:  # noqa: ARG001 - Django's call
    """A photo's image, as Media.content.url names it: the image itself (never a Binary
    resource), through the photo page's own check and audit."""
    caller.require(clinical=True)
    return image_response(caller.user, id, ImageKind.ORIGINAL)


@read_only
def metadata_view(request: HttpRequest) -> HttpResponse:
    """Public, as FHIR asks: what this server serves, and our code systems."""
    base = request.build_absolute_uri("/fhir/R4/")
    return respond(CapabilityStatement.model_validate(capability_statement(base)))


@read_only
def code_system_view(request: HttpRequest, id: str) -> HttpResponse:  # noqa: ARG001
    """Our own code systems: public, they hold no patient's data."""
    data = code_system(id)
    if data is None:
        return outcome(404, "not-found", "We publish no code system by that id.")
    return respond(CodeSystem.model_validate(data))


def unknown_view(request: HttpRequest, rest: str) -> HttpResponse:  # noqa: ARG001
    """Any other address under /fhir/R4/: an outcome, not the HTML 404 page."""
    kinds = ", ".join(KINDS)
    return outcome(404, "not-supported", f"This server serves metadata, CodeSystem and {kinds}.")
