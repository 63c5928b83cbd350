"""Validate a patient profile and resolve its free text (medications, conditions).

Nothing here guesses: an unknown slug or an impossible number raises
:class:`RulesInputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import RulesInputError
from .medications import classify_medication, parse_condition
from .models import PatientProfile
from .reference import Condition, Reference
from .values import number, whole

MAX_WEIGHT_KG = 400.0
MAX_AGE = 130
SEXES = ("F", "M", "X")


@dataclass(frozen=True)
class ProfileFacts:
    """A validated profile with its free text resolved."""

    weight_kg: float | None
    age: int | None
    pregnant: bool
    breastfeeding: bool
    allergies: frozenset[str]
    medications: tuple[tuple[str, frozenset[str]], ...]
    conditions: tuple[tuple[Condition, str | None], ...]
    lifestyle: tuple[str, ...]
    infected_areas: frozenset[str]
    fitzpatrick: int | None
    jurisdiction: str | None = None
    # Allergies as recorded that no allergen matched, each a hard stop until coded.
    unresolved_allergies: tuple[str, ...] = ()


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _age(profile: PatientProfile, today: dt.date) -> int | None:
    """The age given, or the one the birth date gives; both must agree."""
    age = profile.age
    if age is not None:
        whole("profile.age", age, 0, MAX_AGE)
    if profile.birth_date is None:
        return age
    if profile.birth_date > today:
        raise RulesInputError("profile.birth_date", profile.birth_date, "is in the future")
    born_age = whole("profile.birth_date", _age_on(profile.birth_date, today), 0, MAX_AGE)
    if age is not None and age != born_age:
        raise RulesInputError(
            "profile.age", age, f"disagrees with birth date (age {born_age} on {today})"
        )
    return born_age


def _check_person(profile: PatientProfile) -> None:
    """Sex, pregnancy, jurisdiction and skin type are each one of the known values."""
    if profile.sex is not None and profile.sex not in SEXES:
        raise RulesInputError("profile.sex", profile.sex, f"expected one of {', '.join(SEXES)}")
    if profile.sex == "M" and profile.pregnant:
        raise RulesInputError("profile.pregnant", True, "a male patient cannot be pregnant")
    if profile.jurisdiction is not None and not re.fullmatch(
        r"[A-Z]{2}(-[A-Z0-9]{1,3})?", profile.jurisdiction
    ):
        raise RulesInputError(
            "profile.jurisdiction", profile.jurisdiction, "expected an ISO code such as GB-ENG"
        )
    if profile.fitzpatrick is not None:
        whole("profile.fitzpatrick", profile.fitzpatrick, 1, 6)


def _allergies(profile: PatientProfile, ref: Reference) -> tuple[str, ...]:
    """Coded allergies are known slugs; the uncoded ones, as recorded, without repeats."""
    for slug in sorted(profile.allergies):
        if slug not in ref.allergens:
            raise RulesInputError("profile.allergies", slug, "unknown allergen or ingredient slug")
    unresolved = []
    for text in profile.unresolved_allergies:
        if not text.strip():
            raise RulesInputError(
                "profile.unresolved_allergies", text, "expected the allergy as recorded"
            )
        unresolved.append(text.strip())
    return tuple(dict.fromkeys(unresolved))


def _conditions(
    profile: PatientProfile, ref: Reference
) -> tuple[list[tuple[Condition, str | None]], list[str]]:
    """Conditions (with the area, for area-specific ones) and lifestyle factors."""
    conditions, lifestyle = [], []
    for text in sorted(profile.conditions):
        condition, area, slug = parse_condition(text, ref, "profile.conditions")
        if condition is None:
            lifestyle.append(slug)
        else:
            conditions.append((condition, area))
    return conditions, lifestyle


def _medications(profile: PatientProfile, ref: Reference) -> tuple[tuple[str, frozenset[str]], ...]:
    meds = []
    for name in profile.medications:
        if not isinstance(name, str) or not name.strip():
            raise RulesInputError("profile.medications", name, "expected a medication name")
        meds.append((name.strip(), classify_medication(name, ref)))
    return tuple(meds)


def validate_profile(profile: PatientProfile, ref: Reference, today: dt.date) -> ProfileFacts:
    weight = None
    if profile.weight_kg is not None:
        weight = number("profile.weight_kg", profile.weight_kg, 0, MAX_WEIGHT_KG)
    age = _age(profile, today)
    _check_person(profile)
    unresolved = _allergies(profile, ref)
    for slug in sorted(profile.infected_areas):
        if slug not in ref.areas:
            raise RulesInputError("profile.infected_areas", slug, "unknown area slug")
    conditions, lifestyle = _conditions(profile, ref)
    return ProfileFacts(
        weight_kg=weight,
        age=age,
        pregnant=bool(profile.pregnant),
        breastfeeding=bool(profile.breastfeeding),
        allergies=frozenset(profile.allergies),
        medications=_medications(profile, ref),
        conditions=tuple(conditions),
        lifestyle=tuple(lifestyle),
        infected_areas=frozenset(profile.infected_areas),
        fitzpatrick=profile.fitzpatrick,
        jurisdiction=profile.jurisdiction,
        unresolved_allergies=unresolved,
    )
