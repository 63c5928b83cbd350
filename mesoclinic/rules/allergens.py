"""Allergy vocabulary: free text to allergen slugs, and what each allergen stops.

The patient record resolves an allergy typed as text ("Xylocaine (anaphylaxis)",
"EMLA cream - rash") with :func:`resolve_allergy` when it is saved, and passes the
matched slugs to the engine; what cannot be resolved goes to the engine as
``PatientProfile.unresolved_allergies``, a hard stop until a practitioner codes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import terms
from .loader import ANAPHYLAXIS_HISTORY, load_reference
from .reference import Allergen, Reference

__all__ = ["ANAPHYLAXIS_HISTORY", "AllergyMatch", "allergen_name", "resolve_allergy"]


@dataclass(frozen=True)
class AllergyMatch:
    """What an allergy text names.

    ``allergens`` are slugs for ``PatientProfile.allergies`` (allergen or ingredient
    slugs), ``ingredients`` the ingredient slugs they stop. ``resolved`` is False
    when no substance was recognised: a text naming only a reaction ("anaphylaxis")
    still stops what that reaction stops, and still needs coding.
    """

    text: str
    allergens: tuple[str, ...]
    ingredients: frozenset[str]
    resolved: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "allergens": list(self.allergens),
            "ingredients": sorted(self.ingredients),
            "resolved": self.resolved,
        }


def resolve_allergy(text: str, reference: Reference | None = None) -> AllergyMatch:
    """The allergens named in ``text``: whole words, ignoring case, accents and extra words.

    An ingredient named alongside a wider allergen that already stops everything
    it stops is left out ("lidocaine" is the amide class, not the class and lidocaine).
    """
    ref = reference or load_reference()
    words = terms.key(text)
    matched = [a for a in ref.allergens.values() if any(terms.found(t, words) for t in a.terms)]
    wide = [a for a in matched if a.kind != "ingredient"]
    covered = frozenset().union(*(a.stops for a in wide))
    kept = wide + [a for a in matched if a.kind == "ingredient" and not a.stops <= covered]
    return AllergyMatch(
        text=text,
        allergens=tuple(a.slug for a in kept),
        ingredients=frozenset().union(*(a.stops for a in kept)),
        resolved=any(a.kind != "reaction" for a in kept),
    )


def allergen_name(slug: str, reference: Reference | None = None) -> str:
    """Plain words for staff: "amide local anaesthetics", "Hyaluronic acid"."""
    allergen = (reference or load_reference()).allergens.get(slug)
    return allergen.name if allergen else slug


def hits(ref: Reference, allergies: frozenset[str], ingredient: str) -> tuple[Allergen, ...]:
    """The patient's allergens that stop ``ingredient``, in slug order."""
    found = (ref.allergens[a] for a in sorted(allergies))
    return tuple(a for a in found if ingredient in a.stops)


def phrase(ref: Reference, allergen: Allergen, ingredient: str) -> tuple[str, Allergen]:
    """How an allergy is named in a finding, and the allergen whose source it cites.

    An ingredient that stops another only as a member of a class is named by the
    class: "amide local anaesthetics (lidocaine)" stops prilocaine.
    """
    if allergen.kind == "ingredient":
        own = _plain(allergen.name)
        for wider in ref.allergens.values():
            if allergen.slug in wider.members and ingredient in wider.stops:
                if ingredient == allergen.slug:
                    return own, wider
                return f"{wider.name} ({own})", wider
        return own, allergen
    return allergen.name, allergen


def _plain(name: str) -> str:
    # "Hyaluronic acid" reads "hyaluronic acid" inside a sentence; "PRP" stays.
    return name[0].lower() + name[1:] if name[1:2].islower() else name
