"""Patient-level stops and cautions: allergy, pregnancy, infection, medications, conditions.

Dose, count and area limits are not here; they live in :mod:`.limits`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from . import allergens as A
from . import findings as F
from .inputs import Resolved
from .profile import ProfileFacts
from .reference import Reference
from .results import Finding


def allergy_hits(ref: Reference, allergies: frozenset[str], slug: str) -> tuple[str, ...]:
    """The patient's allergen slugs that stop ingredient ``slug`` (empty: none)."""
    return tuple(a.slug for a in A.hits(ref, allergies, slug))


def allergy_findings(
    ref: Reference, facts: ProfileFacts, ingredients: Iterable[str], area: str, *, given: bool
) -> list[Finding]:
    """ALLERGY stops for what goes into one area: planned (the formula) or ``given``.

    One stop per ingredient, naming each allergy that stops it in plain words.
    """
    out = []
    where = ref.areas[area].name if area else "a numbing cream"
    for slug in sorted(ingredients):
        found = A.hits(ref, facts.allergies, slug)
        if not found:
            continue
        named = [A.phrase(ref, allergen, slug) for allergen in found]
        what = " and ".join(dict.fromkeys(text for text, _ in named))
        name = ref.ingredients[slug].name
        out.append(
            F.make(
                F.ALLERGY,
                "stop",
                f"Known allergy to {what}: {name} given in {where}."
                if given
                else f"Known allergy to {what}: the formula for {where} contains {name}.",
                named[0][1].source,
                "A",
                area=area or None,
                ingredient=slug,
            )
        )
    return out


def uncoded_allergy_findings(ref: Reference, facts: ProfileFacts) -> list[Finding]:
    """An allergy nobody could match to a substance stops everything until it is coded."""
    return [
        F.make(
            F.ALLERGY_UNCODED,
            "stop",
            f"Allergy recorded as “{text}” could not be matched to a known substance: "
            "a practitioner codes it or records why it does not apply before treatment.",
            ref.sources["allergy"],
            "A",
        )
        for text in facts.unresolved_allergies
    ]


ADULT_AGE = 18
# Cosmetic hyaluronic-acid filler below 18 is against the law in England (§7).
HA_MINOR_BANNED = frozenset({"GB-ENG"})


def age_findings(ref: Reference, facts: ProfileFacts, slugs: Sequence[str]) -> list[Finding]:
    """Labels' minimum ages (deoxycholic acid: 18) and the under-18 rule of §7."""
    if facts.age is None:
        return []
    out = []
    for slug in sorted(slugs):
        ing = ref.ingredients[slug]
        if ing.min_age is not None and ing.min_age_source is not None and facts.age < ing.min_age:
            out.append(
                F.make(
                    F.AGE_BELOW_LABEL,
                    "stop",
                    f"{ing.name} is not used below {ing.min_age} years: safety and effectiveness "
                    f"are not established (the patient is {facts.age}).",
                    ing.min_age_source,
                    ing.min_age_grade,
                    ingredient=slug,
                )
            )
    if facts.age < ADULT_AGE and slugs:
        if "hyaluronic-acid" in slugs and facts.jurisdiction in HA_MINOR_BANNED:
            out.append(
                F.make(
                    F.AGE_BELOW_LABEL,
                    "stop",
                    f"Cosmetic hyaluronic-acid injections are illegal below 18 in England "
                    f"(the patient is {facts.age}).",
                    ref.sources["england-fillers"],
                    "A",
                    ingredient="hyaluronic-acid",
                )
            )
        out.append(
            F.make(
                F.MINOR,
                "stop",
                f"The patient is {facts.age}: treatment below 18 needs a parent's or "
                "guardian's consent and the practitioner's reason (record them as the override).",
                ref.sources["minor-consent"],
                "B",
            )
        )
    return out


def route_findings(
    ref: Reference,
    formula: Mapping[str, float],
    technique: str,
    depth_mm: float | None,
    area: str | None,
) -> list[Finding]:
    """Subcutaneous-only ingredients (deoxycholic acid): a subcutaneous technique, and no
    depth shallower than that technique's subcutaneous range (§7)."""
    tech = ref.techniques[technique]
    out = []
    for slug in sorted(formula):
        ing = ref.ingredients[slug]
        if ing.route != "subcutaneous" or ing.route_source is None:
            continue
        if not tech.injection:
            continue
        where = ref.areas[area].name if area else "this area"
        if tech.route != "subcutaneous":
            problem = f"{tech.name.lower()} does not reach subcutaneous fat"
        elif (
            depth_mm is not None
            and tech.subcutaneous_min_mm is not None
            and depth_mm < tech.subcutaneous_min_mm
        ):
            problem = (
                f"{depth_mm:g} mm is shallower than subcutaneous fat "
                f"({tech.subcutaneous_min_mm:g} mm or deeper with {tech.name.lower()})"
            )
        else:
            continue
        out.append(
            F.make(
                F.ROUTE_NOT_SUBCUTANEOUS,
                "stop",
                f"{ing.name} is injected into subcutaneous fat only ({where}): {problem}; "
                "intradermal injection risks ulceration and necrosis.",
                ing.route_source,
                "A",
                area=area,
                ingredient=slug,
            )
        )
    return out


def _pregnancy(ref: Reference, facts: ProfileFacts, r: Resolved) -> list[Finding]:
    out = []
    source = ref.sources["pregnancy"]
    for state, code, active in (
        ("pregnancy", F.PREGNANCY, facts.pregnant),
        ("breastfeeding", F.BREASTFEEDING, facts.breastfeeding),
    ):
        if not active:
            continue
        stops = [s for s in sorted(r.formula) if getattr(ref.ingredients[s], state) == "stop"]
        for slug in stops:
            out.append(
                F.make(
                    code,
                    "stop",
                    f"{ref.ingredients[slug].name} must not be used during {state} "
                    f"({r.area.slug}).",
                    source,
                    "B",
                    area=r.area.slug,
                    ingredient=slug,
                )
            )
        if not stops:
            names = ", ".join(ref.ingredients[s].name for s in sorted(r.formula))
            out.append(
                F.make(
                    code,
                    "warning",
                    f"Safety not established during {state} for {names} ({r.area.slug}).",
                    source,
                    "B",
                    area=r.area.slug,
                )
            )
    return out


def _area_findings(ref: Reference, facts: ProfileFacts, r: Resolved) -> list[Finding]:
    area = r.area.slug
    out = allergy_findings(ref, facts, r.formula, area, given=False)
    if area in facts.infected_areas:
        out.append(
            F.make(
                F.SITE_INFECTION,
                "stop",
                f"Infection at the injection site: do not treat {area} until it has cleared.",
                ref.sources["site-infection"],
                "A",
                area=area,
            )
        )
    out += _pregnancy(ref, facts, r)
    out += route_findings(ref, r.formula, r.technique.slug, r.depth_mm, area)
    for condition, cond_area in facts.conditions:
        if condition.code is None or condition.source is None:
            continue
        if condition.areas and area not in condition.areas:
            continue
        if cond_area is not None and cond_area != area:
            continue
        out.append(
            F.make(
                condition.code,
                "warning",
                condition.message,
                condition.source,
                condition.grade,
                # Plan-wide cautions carry no area so that they are reported once.
                area=area if condition.areas else None,
            )
        )
    return out


def _medication_findings(ref: Reference, facts: ProfileFacts, needles: bool) -> list[Finding]:
    out = []
    classes = ref.medication_classes
    flagged = [
        (name, sorted(c for c in found if classes[c].bleeding_risk))
        for name, found in facts.medications
    ]
    flagged = [(name, found) for name, found in flagged if found]
    if flagged and needles:
        listed = "; ".join(
            f"{name} ({', '.join(classes[c].name for c in found)})" for name, found in flagged
        )
        # Anticoagulants and antiplatelets rest on the Kybella label (A); NSAIDs and
        # supplements on §7's consensus lists (B).
        label = [classes[c] for _, found in flagged for c in found if classes[c].grade == "A"]
        basis = label[0] if label else classes[flagged[0][1][0]]
        out.append(
            F.make(
                F.ANTICOAGULANT,
                "warning",
                f"Medicines that raise bleeding risk: {listed}. Bruising and haematoma are "
                "more likely; the practitioner confirms before injecting.",
                basis.source,
                basis.grade,
            )
        )
    for name, found in facts.medications:
        if not found:
            out.append(
                F.make(
                    F.MEDICATION_UNRECOGNISED,
                    "warning",
                    f"Medicine “{name}” not recognised: practitioner review.",
                    ref.sources["bleeding-risk-medicines"],
                    "B",
                )
            )
    return out


def check_patient(
    ref: Reference, facts: ProfileFacts, resolved: Sequence[Resolved]
) -> list[Finding]:
    out = uncoded_allergy_findings(ref, facts)
    for r in resolved:
        out += _area_findings(ref, facts, r)
    out += age_findings(ref, facts, sorted({s for r in resolved for s in r.formula}))
    needles = any(r.technique.injection for r in resolved)
    out += _medication_findings(ref, facts, needles)
    if facts.fitzpatrick is not None and facts.fitzpatrick >= 4:
        out.append(
            F.make(
                F.FITZPATRICK_PIH,
                "warning",
                f"Fitzpatrick type {['I', 'II', 'III', 'IV', 'V', 'VI'][facts.fitzpatrick - 1]}: "
                "risk of post-inflammatory hyperpigmentation.",
                ref.sources["fitzpatrick"],
                "C",
            )
        )
    if facts.lifestyle and any(r.request.concern == "cellulite" for r in resolved):
        names = ", ".join(ref.lifestyle_factors[s].name.lower() for s in facts.lifestyle)
        out.append(
            F.make(
                F.CELLULITE_TRIGGER,
                "warning",
                f"Cellulite triggers to discuss: {names}.",
                ref.sources["seed-cellulite-triggers"],
                "seed",
            )
        )
    return F.dedupe(out)
