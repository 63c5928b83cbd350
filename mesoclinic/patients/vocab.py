"""The clinical vocabulary of forms and models, taken from the rules engine.

Choices are callables so that Django reads them lazily, and the engine's data
files stay the one list of ingredients, areas, conditions and concerns.
"""

from collections.abc import Iterable
from functools import cache

from mesoclinic import rules


@cache
def _ref() -> rules.Reference:
    return rules.load_reference()


def ingredient_choices() -> list[tuple[str, str]]:
    return sorted(((i.slug, i.name) for i in _ref().ingredients.values()), key=lambda c: c[1])


def ingredient_name(slug: str) -> str:
    item = _ref().ingredients.get(slug)
    return item.name if item else slug


def area_choices() -> list[tuple[str, str]]:
    return [(a.slug, a.name) for a in _ref().areas.values()]


def area_name(slug: str) -> str:
    item = _ref().areas.get(slug)
    return item.name if item else slug


def condition_choices() -> list[tuple[str, str]]:
    return [(c.slug, c.name) for c in _ref().conditions.values()]


def lifestyle_choices() -> list[tuple[str, str]]:
    return [(f.slug, f.name) for f in _ref().lifestyle_factors.values()]


def concern_choices() -> list[tuple[str, str]]:
    return [(c.slug, c.name) for c in _ref().concerns.values()]


def classify_medication(name: str) -> frozenset[str]:
    return rules.classify_medication(name)


def bleeding_risk(classes: Iterable[str]) -> bool:
    return rules.bleeding_risk(classes)


def medication_class_name(slug: str) -> str:
    item = _ref().medication_classes.get(slug)
    return item.name if item else slug


ANAPHYLAXIS_HISTORY = rules.ANAPHYLAXIS_HISTORY


def resolve_allergy(text: str) -> rules.AllergyMatch:
    return rules.resolve_allergy(text)


def allergen_name(slug: str) -> str:
    return rules.allergen_name(slug)


def allergen_note(slug: str) -> str:
    """Why an allergen that stops no product still matters ("gloves and other equipment")."""
    item = _ref().allergens.get(slug)
    return item.note if item else ""


def allergen_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Classes and substances first (what free text usually means), then ingredients."""
    allergens = _ref().allergens.values()
    wide = [(a.slug, _sentence(a.name)) for a in allergens if a.kind != "ingredient"]
    own = [(a.slug, a.name) for a in allergens if a.kind == "ingredient"]
    return [
        ("Classes and substances", sorted(wide, key=lambda c: c[1].lower())),
        ("Ingredients", sorted(own, key=lambda c: c[1].lower())),
    ]


def _sentence(name: str) -> str:
    return name[:1].upper() + name[1:]
