"""Medication recognition and the condition vocabulary: the one place both live.

The Django app calls these to tag what a patient reports; the engine calls the
same functions, so a form and a plan can never disagree about "Eliquis".
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from . import terms
from .errors import RulesInputError
from .loader import load_reference
from .reference import Condition, Reference

PRIOR_SURGERY = "prior-surgery-in-area"


@cache
def _terms(ref: Reference) -> tuple[tuple[str, frozenset[str]], ...]:
    out = []
    for drug in ref.drugs:
        for name in dict.fromkeys(terms.key(n) for n in (drug.generic, *drug.names)):
            out.append((name, frozenset(drug.classes)))
    return tuple(out)


def classify_medication(name: str, reference: Reference | None = None) -> frozenset[str]:
    """Medication classes found in free text, e.g. ``{"anticoagulant"}`` for "Xarelto 20mg".

    Whole words, ignoring case and accents; generic and brand names and listed
    misspellings ("clopidegrel"); empty when nothing is recognised.
    """
    ref = reference or load_reference()
    text = terms.key(name)
    found: set[str] = set()
    for term, classes in _terms(ref):
        if terms.found(term, text):
            found |= classes
    return frozenset(found)


def bleeding_risk(classes: Iterable[str], reference: Reference | None = None) -> bool:
    """True when any of these medication classes raises bleeding risk (§4, §7)."""
    known = (reference or load_reference()).medication_classes
    return any(known[c].bleeding_risk for c in classes if c in known)


def condition_slugs(reference: Reference | None = None) -> tuple[str, ...]:
    """Every condition slug the engine accepts, in data-file order."""
    return tuple((reference or load_reference()).conditions)


def lifestyle_slugs(reference: Reference | None = None) -> tuple[str, ...]:
    """Seed 000's cellulite triggers as slugs (legs-crossed, immobility, ...)."""
    return tuple((reference or load_reference()).lifestyle_factors)


def parse_condition(
    text: str, reference: Reference | None = None, field: str = "condition"
) -> tuple[Condition | None, str | None, str]:
    """Split "prior-surgery-in-area:submental" into (condition, area, slug).

    A lifestyle factor returns (None, None, slug). Unknown slugs raise
    :class:`RulesInputError` rather than being ignored.
    """
    ref = reference or load_reference()
    slug, _, area = text.strip().partition(":")
    if slug in ref.lifestyle_factors and not area:
        return None, None, slug
    condition = ref.conditions.get(slug)
    if condition is None:
        raise RulesInputError(field, text, "unknown condition or lifestyle factor")
    if area:
        if not condition.area_specific:
            raise RulesInputError(field, text, f"{slug} does not take an area")
        if area not in ref.areas:
            raise RulesInputError(field, text, f"unknown area {area!r}")
    return condition, area or None, slug
