"""Aftercare: seed 000's base sheet, lines for what is used, tailored to the patient.

A line that is unsafe for this patient (ibuprofen with a blood thinner, "80 oz of
water" in renal failure: clinical-reference §7) is replaced by its safe wording,
in its place on the sheet, never dropped in silence. The plan (``build_plan``)
and the treatment day (``aftercare_for``) both come through ``_sheet``, so a
sheet printed on the day cannot say what the plan's would not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from .errors import RulesInputError
from .inputs import Resolved
from .loader import load_reference
from .models import PatientProfile
from .profile import ProfileFacts, validate_profile
from .reference import AftercareLine, Area, Protocol, Reference, Source, Technique


@dataclass(frozen=True)
class Treated:
    """One area as treated or planned: what the aftercare sheet is written for.

    ``ingredients`` are ingredient slugs (a formula's keys, or a product's contents);
    ``concern`` and ``protocol`` are optional and add their own lines when given.
    """

    area: str
    technique: str
    ingredients: Collection[str]
    concern: str | None = None
    protocol: str | None = None


@dataclass(frozen=True)
class _Use:
    area: Area
    technique: Technique
    ingredients: frozenset[str]
    concern: str | None
    protocol: Protocol | None


def patient_facts(facts: ProfileFacts) -> frozenset[str]:
    """The facts a line's ``not_for`` is matched against (see reference.PATIENT_FACTS)."""
    out = {
        name
        for name, on in (("pregnant", facts.pregnant), ("breastfeeding", facts.breastfeeding))
        if on
    }
    for _name, classes in facts.medications:
        out.add("bleeding-risk-medicine" if classes else "unrecognised-medicine")
    out |= {f"condition:{condition.slug}" for condition, _area in facts.conditions}
    out |= {f"allergy:{slug}" for slug in facts.allergies}
    return frozenset(out)


def _with_contents(ref: Reference, slugs: Iterable[str]) -> frozenset[str]:
    # Lidocaine with epinephrine is lidocaine too: a lidocaine line applies to it.
    out: set[str] = set()
    for slug in slugs:
        out |= {slug, *ref.ingredients[slug].contains}
    return frozenset(out)


def _applies(line: AftercareLine, use: _Use) -> bool:
    if line.always:
        return True
    filters = (
        line.injection,
        line.techniques,
        line.ingredients,
        line.concerns,
        line.areas,
        line.views,
    )
    if not any(filters):
        return False
    return (
        (not line.injection or use.technique.injection)
        and (not line.techniques or use.technique.slug in line.techniques)
        and (not line.ingredients or bool(set(line.ingredients) & use.ingredients))
        and (not line.concerns or use.concern in line.concerns)
        and (not line.areas or use.area.slug in line.areas)
        and (not line.views or use.area.view.slug in line.views)
    )


def _follow_up(proto: Protocol, area: Area) -> str:
    return (
        f"Follow-up check {proto.follow_up_days} days after each {area.name.lower()} "
        "session (practice default)."
    )


def _maintenance(proto: Protocol, area: Area) -> str:
    grade = " (practice default)" if proto.practice_default else ""
    return (
        f"Maintenance for {area.name.lower()}: repeat every "
        f"{proto.maintenance_interval_days} days{grade}."
    )


def _sheet(ref: Reference, uses: Sequence[_Use], facts: ProfileFacts) -> list[str]:
    unsafe = patient_facts(facts)
    lines = []
    for line in ref.aftercare:
        if not (line.always or any(_applies(line, use) for use in uses)):
            continue
        if line.instead is not None and unsafe & set(line.not_for):
            lines.append(line.instead.text)
        else:
            lines.append(line.text)
    for use in uses:
        proto = use.protocol
        if proto is None:
            continue
        if proto.follow_up_days is not None and use.technique.slug == proto.technique:
            lines.append(_follow_up(proto, use.area))
        if proto.maintenance_interval_days is not None:
            lines.append(_maintenance(proto, use.area))
    return list(dict.fromkeys(lines))


def aftercare_lines(
    ref: Reference, resolved: Sequence[Resolved], facts: ProfileFacts
) -> tuple[str, ...]:
    """The plan's aftercare sheet (called by the engine with the validated profile)."""
    uses = [
        _Use(
            r.area,
            r.technique,
            _with_contents(ref, r.formula),
            r.request.concern,
            r.protocol,
        )
        for r in resolved
    ]
    return tuple(_sheet(ref, uses, facts))


def _use(ref: Reference, item: Treated, where: str) -> _Use:
    area = ref.areas.get(item.area)
    if area is None:
        raise RulesInputError(f"{where}.area", item.area, "unknown area")
    technique = ref.techniques.get(item.technique)
    if technique is None:
        raise RulesInputError(f"{where}.technique", item.technique, "unknown technique")
    if isinstance(item.ingredients, str):
        raise RulesInputError(f"{where}.ingredients", item.ingredients, "expected a list")
    for slug in item.ingredients:
        if slug not in ref.ingredients:
            raise RulesInputError(f"{where}.ingredients", slug, "unknown ingredient slug")
    if item.concern is not None and item.concern not in ref.concerns:
        raise RulesInputError(f"{where}.concern", item.concern, "unknown concern")
    proto = None
    if item.protocol is not None:
        proto = ref.protocols.get(item.protocol)
        if proto is None:
            raise RulesInputError(f"{where}.protocol", item.protocol, "unknown protocol")
    return _Use(area, technique, _with_contents(ref, item.ingredients), item.concern, proto)


def aftercare_for(
    profile: PatientProfile,
    treated: Iterable[Treated],
    *,
    today: dt.date | None = None,
    reference: Reference | None = None,
) -> list[str]:
    """The aftercare sheet for what was actually treated, tailored to today's profile.

    With nothing treated it is seed 000's base sheet. Unknown slugs raise
    :class:`RulesInputError`.
    """
    ref = reference or load_reference()
    facts = validate_profile(profile, ref, today or dt.date.today())
    uses = [_use(ref, item, f"treated[{i}]") for i, item in enumerate(treated)]
    return _sheet(ref, uses, facts)


@cache
def _sources(ref: Reference) -> Mapping[str, Source]:
    out: dict[str, Source] = {}
    for line in ref.aftercare:
        out.setdefault(line.text, line.source)
        if line.instead is not None:
            out.setdefault(line.instead.text, line.instead.source)
    practice = ref.sources["practice-default"]
    for proto in ref.protocols.values():
        for area in ref.areas.values():
            if proto.follow_up_days is not None:
                out.setdefault(_follow_up(proto, area), practice)
            if proto.maintenance_interval_days is not None:
                out.setdefault(_maintenance(proto, area), proto.schedule_source)
    return out


def aftercare_source(text: str, reference: Reference | None = None) -> Source | None:
    """Where an aftercare line comes from, for the "source" a patient can open; None if
    the line is not one this version of the data writes (an older sheet's wording)."""
    return _sources(reference or load_reference()).get(text)
