"""mesoclinic.rules: the clinical rules engine. Pure Python; never imports Django.

The web app, the API and the command line all call this package. Every number it
enforces or proposes comes from the TOML files in ``mesoclinic/rules/data`` and
cites a section of clinical-reference.md with a grade: A (label: a hard limit),
B (study: a stop the practitioner may override with a reason), C (practice
default: a warning, never a limit), or seed.

Reference data
    ``load_reference(data_dir=None) -> Reference`` loads and validates every data
    file once (cached per directory); a bad file raises ``ReferenceDataError``
    with ``.file`` and ``.field``. ``Reference`` has read-only mappings keyed by
    slug: ``ingredients``, ``products``, ``techniques``, ``views``, ``areas``,
    ``concerns``, ``protocols``, ``conditions``, ``lifestyle_factors``,
    ``medication_classes``, ``allergens``; also ``aftercare``, ``pricing``,
    ``versions``. Shortcuts on the packaged data: ``ingredients()``,
    ``products()``, ``techniques()``, ``areas()``, ``concerns()``, ``protocols()``,
    ``conditions()``, ``lifestyle_factors()``, ``allergens()``; ``CONDITIONS`` and
    ``LIFESTYLE_FACTORS`` are the slug tuples.

Vocabulary (the one place the app should take it from)
    Names are matched in free text as whole words, ignoring case, accents and
    extra words; misspellings are listed in the data files, never guessed.

    ``classify_medication(name) -> frozenset[str]``: classes ("anticoagulant",
    "antiplatelet", "nsaid", "supplement") from generic names, brands and listed
    misspellings; empty when not recognised (the engine then warns
    ``MEDICATION_UNRECOGNISED``). ``bleeding_risk(classes) -> bool``.

    ``resolve_allergy(text) -> AllergyMatch(text, allergens, ingredients,
    resolved)``: "Xylocaine (anaphylaxis)" names the allergens
    ("amide-local-anaesthetics", "anaphylaxis-history") that stop lidocaine,
    lidocaine with epinephrine, prilocaine and hyaluronic acid. ``resolved`` is
    False when no substance was recognised (nothing, or only a reaction).
    ``Allergen`` (``Reference.allergens``): allergens.toml's substances and
    classes, then every ingredient under its own slug. ``allergen_name(slug)``
    gives staff's words. An allergy of severity anaphylaxis adds
    ``ANAPHYLAXIS_HISTORY``.

    ``parse_condition("prior-surgery-in-area:submental")`` validates a condition.

Planning
    ``build_plan(profile, requests, *, start=None, today=None, overrides=(),
    reference=None) -> Plan`` (alias ``plan``). ``profile`` is a
    ``PatientProfile(weight_kg, birth_date, age, sex, pregnant, breastfeeding,
    allergies, medications, conditions, infected_areas, fitzpatrick,
    unresolved_allergies)``: ``allergies`` are allergen or ingredient slugs;
    ``unresolved_allergies`` the texts nobody could code, each a grade-A
    ``ALLERGY_UNCODED`` stop (in plans and in charting);
    ``requests`` is a list of ``TreatmentRequest(concern, area, protocol=None,
    formula=None | {ingredient: mg/mL}, products=None | [slug], area_cm2=None,
    side=None | "left" | "right" | "both", technique=None, depth_mm=None,
    spacing_mm=None, volume_per_point_ml=None, points=None | [(x_mm, y_mm)],
    sessions=None, interval_days=None, prior_sessions=())``. All requests are one
    visit: doses are summed over them. ``area_cm2`` is per side.

    ``Plan`` holds ``areas`` (``AreaPlan``: outline and points in the area's view
    coordinates, mm, y down), ``doses`` (``DoseLine`` against its limit and
    source), ``schedule``, ``follow_ups``, ``quote``, ``aftercare``,
    ``hard_stops`` and ``warnings`` (``Finding``: code, severity, message,
    source, grade, overridable, area, side, ingredient), ``overridden``,
    ``overrides`` (what each ``Override`` did), and ``proposal`` (the largest
    plan that fits, when a dose, count or volume limit stopped this one).
    ``Plan.to_dict()`` is the CLI's JSON. ``Plan.refused`` is True while a hard
    stop remains.

    ``Override(code, reason, area=None)``: an empty reason raises
    ``RulesInputError``. Grade-B/C findings with that code (and area) move to
    ``overridden``; a grade-A finding stays a hard stop and the outcome is
    "refused".

Aftercare
    ``Plan.aftercare`` is the plan's sheet, tailored to the profile (§7: no ibuprofen
    with a blood thinner, in pregnancy, breastfeeding, renal failure or NSAID
    allergy; no fluid loading in renal or heart failure; red flags for HA on the
    face and for lidocaine). ``aftercare_for(profile, treated, *, today=None,
    reference=None) -> list[str]`` writes the same sheet for what was actually
    treated, with ``treated`` a list of ``Treated(area, technique, ingredients,
    concern=None, protocol=None)``. ``aftercare_source(text) -> Source | None``
    tells where a line comes from.

Consent
    ``labelled_use(products, area) -> bool``: one grade-A product alone, in an area
    its label allows; anything else is off-label or compounded use.

Charting and scheduling
    ``check_exposure(profile, history, current, *, now) -> list[Finding]``: what the
    patient received, checked per session, per rolling 24 h (lidocaine from every
    source, plain and with epinephrine summed), per course and interval (counted
    over every charted session, any plan), plus allergy, age and route. Rows are
    ``Given(session, at, formula, volume_ml, injections, area, side, technique,
    depth_mm, product, protocol, label)``; ``given_product(slug, volume_ml, ...)``
    fills the formula from the catalogue. ``build_plan(..., history=rows)`` counts
    the same history for courses and intervals. ``grade_a_caps(profile)`` lists the
    grade-A mg caps of one session as the database guards them.
    ``check_session_doses(profile, administered) -> list[Finding]`` with rows
    ``(product-or-ingredient slug, volume_ml, area, injections[, mg_per_ml])``:
    the same ALLERGY and ALLERGY_UNCODED stops as a plan, and the dose limits.
    ``minimum_interval(protocol_slug | [ingredient slugs]) -> (days, grade, source)``.

Errors
    ``RulesInputError(ValueError)`` with ``.field`` and ``.value`` for anything the
    engine will not guess about (unknown slug, weight <= 0 or > 400 kg, depth out
    of range, future birth date, ...). ``ReferenceDataError(ValueError)`` for bad
    data files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .aftercare import Treated, aftercare_for, aftercare_source
from .allergens import ANAPHYLAXIS_HISTORY, AllergyMatch, allergen_name, resolve_allergy
from .caps import grade_a_caps
from .doses import Administered, check_session_doses
from .engine import build_plan
from .errors import ReferenceDataError, RulesInputError
from .exposure import Given, check_exposure, given_product, session_totals
from .findings import reason_problem
from .inputs import mix
from .labelling import labelled_use
from .limits import NO_LIMIT_TEXT, MinimumInterval
from .limits import minimum_interval as _minimum_interval
from .loader import load_reference
from .medications import (
    bleeding_risk,
    classify_medication,
    condition_slugs,
    lifestyle_slugs,
    parse_condition,
)
from .models import Override, PatientProfile, TreatmentRequest
from .reference import (
    Allergen,
    Area,
    Concern,
    Condition,
    Ingredient,
    LifestyleFactor,
    Product,
    Protocol,
    Reference,
    Technique,
)
from .results import (
    AreaPlan,
    DoseLine,
    Finding,
    FollowUp,
    OverrideOutcome,
    Plan,
    Proposal,
    ProposedArea,
    Quote,
    ScheduledSession,
)

plan = build_plan


def minimum_interval(
    protocol_or_ingredients: str | Iterable[str], *, reference: Reference | None = None
) -> MinimumInterval:
    """Strictest sourced minimum interval for a protocol slug or a set of ingredient slugs."""
    ref = reference or load_reference()
    if isinstance(protocol_or_ingredients, str):
        proto = ref.protocols.get(protocol_or_ingredients)
        if proto is None:
            raise RulesInputError("protocol", protocol_or_ingredients, "unknown protocol")
        return _minimum_interval(ref, proto)
    formula = {}
    for slug in protocol_or_ingredients:
        if slug not in ref.ingredients:
            raise RulesInputError("ingredients", slug, "unknown ingredient slug")
        formula[slug] = 1.0
    return _minimum_interval(ref, None, formula)


def ingredients() -> Mapping[str, Ingredient]:
    return load_reference().ingredients


def products() -> Mapping[str, Product]:
    return load_reference().products


def techniques() -> Mapping[str, Technique]:
    return load_reference().techniques


def areas() -> Mapping[str, Area]:
    return load_reference().areas


def concerns() -> Mapping[str, Concern]:
    return load_reference().concerns


def protocols() -> Mapping[str, Protocol]:
    return load_reference().protocols


def conditions() -> Mapping[str, Condition]:
    return load_reference().conditions


def lifestyle_factors() -> Mapping[str, LifestyleFactor]:
    return load_reference().lifestyle_factors


def allergens() -> Mapping[str, Allergen]:
    return load_reference().allergens


def __getattr__(name: str) -> tuple[str, ...]:
    # Loaded on first use, not at import: importing the package never reads files.
    if name == "CONDITIONS":
        return condition_slugs()
    if name == "LIFESTYLE_FACTORS":
        return lifestyle_slugs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ANAPHYLAXIS_HISTORY",
    "Administered",
    "Allergen",
    "AllergyMatch",
    "Area",
    "AreaPlan",
    "CONDITIONS",
    "Concern",
    "Condition",
    "DoseLine",
    "Finding",
    "FollowUp",
    "Given",
    "Ingredient",
    "LIFESTYLE_FACTORS",
    "LifestyleFactor",
    "MinimumInterval",
    "NO_LIMIT_TEXT",
    "Override",
    "OverrideOutcome",
    "PatientProfile",
    "Plan",
    "Product",
    "Proposal",
    "ProposedArea",
    "Protocol",
    "Quote",
    "Reference",
    "ReferenceDataError",
    "RulesInputError",
    "ScheduledSession",
    "Technique",
    "Treated",
    "TreatmentRequest",
    "aftercare_for",
    "aftercare_source",
    "allergen_name",
    "allergens",
    "areas",
    "bleeding_risk",
    "build_plan",
    "check_exposure",
    "check_session_doses",
    "given_product",
    "grade_a_caps",
    "classify_medication",
    "concerns",
    "conditions",
    "ingredients",
    "labelled_use",
    "lifestyle_factors",
    "load_reference",
    "minimum_interval",
    "mix",
    "parse_condition",
    "plan",
    "products",
    "protocols",
    "reason_problem",
    "session_totals",
    "resolve_allergy",
    "techniques",
]
