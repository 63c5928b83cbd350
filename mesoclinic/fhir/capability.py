"""The CapabilityStatement at /fhir/R4/metadata, made from the table of kinds."""

from typing import Any

from mesoclinic.fhir.codes import SYSTEMS
from mesoclinic.fhir.kinds import KINDS
from mesoclinic.fhir.search import COMMON

RELEASE_DATE = "2026-12-07"
_TYPES = {
    "birthdate": "date",
    "date": "date",
    "created": "date",
    "patient": "reference",
    "name": "string",
    "category": "token",
}
_COMMON_TYPES = {"_count": "number", "_offset": "number"}


def _resource(name: str) -> dict[str, Any]:
    kind = KINDS[name]
    params = [
        {"name": p, "type": _TYPES[p], "documentation": doc} for p, doc in kind.params.items()
    ] + [{"name": p, "type": _COMMON_TYPES[p], "documentation": doc} for p, doc in COMMON.items()]
    who = "Clinical roles with a token's clinical scope" if kind.clinical else "All staff"
    resource: dict[str, Any] = {
        "type": name,
        "documentation": f"{who}; another organization's ids are not found.",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": params,
    }
    if name == "Patient":
        resource["operation"] = [
            {
                "name": "everything",
                "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                "documentation": "The patient and every resource above for them (clinical "
                "roles only), in pages: _count (at most 100) and the next link.",
            }
        ]
    return resource


def capability_statement(base: str) -> dict[str, Any]:
    systems = "; ".join(f"{title}: {url}" for url, title, _ in SYSTEMS.values())
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASE_DATE,
        "publisher": "mesoclinic",
        "kind": "instance",
        "software": {"name": "mesoclinic"},
        "implementation": {"description": "mesoclinic FHIR R4 read and search", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read-only. Our own code systems, each readable as a "
                f"CodeSystem: {systems}. Body sites also carry SNOMED CT where curated.",
                "security": {
                    "cors": False,
                    "service": [{"text": "Personal API token (Authorization: Bearer mcl_...)"}],
                    "description": "A personal API token with the read scope (clinical "
                    "resources: the clinical scope and a clinical role), or a staff session.",
                },
                "resource": [
                    *(_resource(name) for name in KINDS),
                    {
                        "type": "Binary",
                        "documentation": "A photo's image, as its Media's content.url names "
                        "it: the image itself (JPEG or PNG), for clinical roles with a token's "
                        "clinical scope; never cached.",
                        "interaction": [{"code": "read"}],
                    },
                    {
                        "type": "CodeSystem",
                        "documentation": "Our own code systems: "
                        + ", ".join(url for url, _, _ in SYSTEMS.values()),
                        "interaction": [{"code": "read"}],
                    },
                ],
            }
        ],
    }
