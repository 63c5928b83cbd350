"""Our own code systems, and the body sites of the treatment areas.

Local codes are the slugs of the rules reference (an area, an instrument): stable, and
the same everywhere mesoclinic names them. A SNOMED CT code stands beside an area's
local code only where bodysites.toml gives one (see its header for who must check it).
"""

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from mesoclinic.rules import load_reference, photography
from mesoclinic.rules.outcomes import load_instruments
from mesoclinic.treatments.vocab import CtcaeGrade

BASE = "https://mesoclinic.org/fhir/CodeSystem/"
AREA = BASE + "area"
INSTRUMENT = BASE + "instrument"
CTCAE_GRADE = BASE + "ctcae-grade"
PHOTO_VIEW = BASE + "photo-view"
CONSENT_CATEGORY = BASE + "consent-category"
PHOTO_PURPOSE = BASE + "photo-consent-purpose"
SNOMED = "http://snomed.info/sct"
LATERALITY_EXTENSION = "https://mesoclinic.org/fhir/StructureDefinition/laterality"
CTCAE_EXTENSION = "https://mesoclinic.org/fhir/StructureDefinition/ctcae-grade"

_DATA = Path(__file__).with_name("bodysites.toml")


@cache
def _body_sites() -> dict[str, Any]:
    with _DATA.open("rb") as fh:
        return tomllib.load(fh)


def area_name(slug: str) -> str:
    area = load_reference().areas.get(slug)
    return area.name if area else slug.replace("-", " ").capitalize()


def body_site(slug: str, side: str = "") -> dict[str, Any]:
    """A CodeableConcept for an area (and side: "left", "right", "both" or "")."""
    data = _body_sites()
    codings = [{"system": AREA, "code": slug, "display": area_name(slug)}]
    snomed = data["areas"].get(slug, {})
    if snomed.get("snomed"):
        codings.append({"system": SNOMED, "code": snomed["snomed"], "display": snomed["display"]})
    concept: dict[str, Any] = {"coding": codings, "text": area_name(slug)}
    laterality = data["laterality"].get(side)
    if laterality:
        concept["text"] = f"{area_name(slug)}, {laterality['display'].lower()}"
        concept["extension"] = [
            {
                "url": LATERALITY_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": SNOMED, **laterality}],
                    "text": laterality["display"],
                },
            }
        ]
    return concept


def route(technique: str) -> dict[str, Any]:
    """The route of administration of a technique, and the technique as the method."""
    found = load_reference().techniques.get(technique)
    layer = found.route if found else ""
    coded = _body_sites()["routes"].get(layer)
    concept: dict[str, Any] = {"text": layer.capitalize() or "Not recorded"}
    if coded:
        concept["coding"] = [{"system": SNOMED, **coded}]
    return concept


def technique_name(slug: str) -> str:
    found = load_reference().techniques.get(slug)
    return found.name if found else slug.replace("-", " ").capitalize()


def product_name(slug: str) -> str:
    found = load_reference().products.get(slug)
    return found.name if found else slug


def instrument_code(slug: str) -> dict[str, Any]:
    instrument = load_instruments().instruments.get(slug)
    name = instrument.name if instrument else slug
    return {"coding": [{"system": INSTRUMENT, "code": slug, "display": name}], "text": name}


def ctcae_grade(grade: int) -> dict[str, Any]:
    label = CtcaeGrade(grade).label
    return {"coding": [{"system": CTCAE_GRADE, "code": str(grade), "display": label}]}


def photo_view(slug: str, label: str) -> dict[str, Any]:
    """The standard photographic view a photo was taken in (our catalogue's slug)."""
    return {"coding": [{"system": PHOTO_VIEW, "code": slug, "display": label}], "text": label}


# What a patient consents to photos for (photos.models.ConsentScope), and the kinds of
# consent we hold (a search by category picks one).
PHOTO_PURPOSES = {
    "clinical": "Clinical record",
    "teaching": "Teaching",
    "marketing": "Marketing",
}
CONSENT_CATEGORIES = {"treatment": "Consent to treatment", "photography": "Consent to photos"}


def _concepts(system: str) -> list[dict[str, str]]:
    if system == PHOTO_VIEW:
        return [{"code": v.slug, "display": v.name} for v in photography.views()]
    if system == PHOTO_PURPOSE:
        return [{"code": c, "display": d} for c, d in PHOTO_PURPOSES.items()]
    if system == CONSENT_CATEGORY:
        return [{"code": c, "display": d} for c, d in CONSENT_CATEGORIES.items()]
    if system == AREA:
        return [{"code": a.slug, "display": a.name} for a in load_reference().areas.values()]
    if system == INSTRUMENT:
        return [
            {"code": i.slug, "display": i.name} for i in load_instruments().instruments.values()
        ]
    return [{"code": str(g.value), "display": g.label} for g in CtcaeGrade]


# id -> (url, title, description)
SYSTEMS: dict[str, tuple[str, str, str]] = {
    "area": (AREA, "Treatment areas", "The areas mesoclinic charts treatments in."),
    "instrument": (INSTRUMENT, "Outcome instruments", "The scales outcome scores are taken on."),
    "ctcae-grade": (
        CTCAE_GRADE,
        "CTCAE v5 grades",
        "Adverse event grades 1 to 5 as the Common Terminology Criteria for Adverse Events "
        "v5.0 define them.",
    ),
    "photo-view": (
        PHOTO_VIEW,
        "Photo views",
        "The standard views clinical photos are taken in, so photos of one view compare.",
    ),
    "consent-category": (
        CONSENT_CATEGORY,
        "Consent categories",
        "The kinds of consent mesoclinic keeps: to treatment, and to photos.",
    ),
    "photo-consent-purpose": (
        PHOTO_PURPOSE,
        "Photo consent purposes",
        "What a patient consents to photos for, each given or refused on its own.",
    ),
}


def code_system(system_id: str) -> dict[str, Any] | None:
    """The CodeSystem resource for one of ours, or None."""
    if system_id not in SYSTEMS:
        return None
    url, title, description = SYSTEMS[system_id]
    concepts = _concepts(url)
    return {
        "resourceType": "CodeSystem",
        "id": system_id,
        "url": url,
        "name": title.replace(" ", "").replace("v5", "V5"),
        "title": title,
        "status": "active",
        "publisher": "mesoclinic",
        "description": description,
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "concept": concepts,
    }
