"""What a patient may have: conditions, lifestyle, medications, allergens; and the
aftercare lines and prices that depend on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import terms
from ..reference import (
    PATIENT_FACTS,
    AftercareLine,
    AftercareWording,
    Allergen,
    Area,
    Condition,
    Drug,
    Ingredient,
    LifestyleFactor,
    MedicationClass,
    Pricing,
)
from ..toml_tables import SLUG, Table
from .base import BuilderBase

# The allergen that an allergy of severity "anaphylaxis" adds (§7, HA labels).
ANAPHYLAXIS_HISTORY = "anaphylaxis-history"
_ALLERGEN_KINDS = ("substance", "class", "reaction")


class PatientBuilder(BuilderBase):
    def build_conditions(self, areas: Mapping[str, Area]) -> dict[str, Condition]:
        out: dict[str, Condition] = {}
        for slug, t in self.files["conditions"].entries("conditions"):
            code = t.text("code", None)
            self.slug_in(t, "areas", areas, "area")
            out[slug] = Condition(
                slug=slug,
                name=t.text("name"),
                code=code,
                message=t.text("message") if code else "",
                grade=self.grade(t) if code else "none",
                source=self.source(t) if code else None,
                areas=t.texts("areas"),
                area_specific=t.flag("area_specific"),
            )
        return out

    def build_lifestyle(self) -> dict[str, LifestyleFactor]:
        return {
            slug: LifestyleFactor(slug, t.text("name"), self.source(t))
            for slug, t in self.files["conditions"].entries("lifestyle")
        }

    def build_medications(self) -> tuple[dict[str, MedicationClass], tuple[Drug, ...]]:
        f = self.files["medications"]
        classes = {
            slug: MedicationClass(
                slug, t.text("name"), self.grade(t), self.source(t), t.flag("bleeding_risk")
            )
            for slug, t in f.entries("classes")
        }
        drugs = []
        for slug, t in f.entries("drugs"):
            self.slug_in(t, "classes", classes, "medication class")
            if not t.texts("classes"):
                raise t.error("classes", "a drug needs at least one class")
            drugs.append(Drug(slug, t.texts("names"), t.texts("classes")))
        return classes, tuple(drugs)

    def build_allergens(self, ingredients: Mapping[str, Ingredient]) -> dict[str, Allergen]:
        f = self.files["allergens"]
        if "allergy" not in self.sources:
            raise self.files["sources"].error("sources", "needs 'allergy' (§4) for ingredients")
        out: dict[str, Allergen] = {}
        owner: dict[str, str] = {}  # term -> allergen slug: one name, one meaning
        for slug, t in f.entries("allergens"):
            if slug in ingredients:
                raise t.error("name", f"{slug!r} is an ingredient, already an allergen")
            self.slug_in(t, "stops", ingredients, "ingredient")
            self.slug_in(t, "members", ingredients, "ingredient")
            names = t.texts("names")
            if not names:
                raise t.error("names", "an allergen needs at least one name")
            keys = tuple(dict.fromkeys(terms.key(n) for n in (t.text("name"), *names)))
            for k in keys:
                if k in owner:
                    raise t.error("names", f"{k!r} is already a name of {owner[k]}")
                owner[k] = slug
            stops = t.texts("stops")
            note = t.text("note", "")
            if not stops and not note:
                raise t.error("note", "an allergen that stops nothing says why it is recorded")
            out[slug] = Allergen(
                slug=slug,
                name=t.text("name"),
                kind=t.choice("kind", _ALLERGEN_KINDS),
                terms=keys,
                stops=_containing(ingredients, set(stops)),
                source=self.source(t),
                note=note,
                members=t.texts("members"),
            )
        if ANAPHYLAXIS_HISTORY not in out or out[ANAPHYLAXIS_HISTORY].kind != "reaction":
            raise f.error("allergens", f"needs the reaction {ANAPHYLAXIS_HISTORY!r}")
        for slug, ing in ingredients.items():
            out[slug] = self.ingredient_allergen(ing, ingredients, out)
        return out

    def ingredient_allergen(
        self,
        ing: Ingredient,
        ingredients: Mapping[str, Ingredient],
        explicit: Mapping[str, Allergen],
    ) -> Allergen:
        """An ingredient as an allergen: itself, what it contains and what contains it."""
        own = {ing.slug, *ing.contains}
        stops = set(_containing(ingredients, own))
        for allergen in explicit.values():
            if ing.slug in allergen.members:
                stops |= allergen.stops
        # "Vitamin C (ascorbic acid)" is found as itself, as "vitamin C" and as "ascorbic acid".
        plain, _, aside = ing.name.partition("(")
        names = (ing.slug, ing.name, plain, aside.rstrip(")"))
        return Allergen(
            slug=ing.slug,
            name=ing.name,
            kind="ingredient",
            terms=tuple(dict.fromkeys(k for k in map(terms.key, names) if k)),
            stops=frozenset(stops),
            source=self.sources["allergy"],
        )

    def check_patient_facts(self, t: Table, conditions: Mapping[str, Condition]) -> None:
        for fact in t.texts("not_for"):
            kind, _, slug = fact.partition(":")
            if fact in PATIENT_FACTS or (kind == "allergy" and SLUG.match(slug)):
                continue
            if kind == "condition" and slug in conditions:
                continue
            raise t.error("not_for", f"unknown patient fact {fact!r}")

    def build_aftercare(
        self, ref: dict[str, Any], conditions: Mapping[str, Condition]
    ) -> tuple[AftercareLine, ...]:
        lines = []
        for t in self.files["aftercare"].tables("lines"):
            self.slug_in(t, "techniques", ref["techniques"], "technique")
            self.slug_in(t, "ingredients", ref["ingredients"], "ingredient")
            self.slug_in(t, "concerns", ref["concerns"], "concern")
            self.slug_in(t, "areas", ref["areas"], "area")
            self.slug_in(t, "views", ref["views"], "view")
            self.check_patient_facts(t, conditions)
            instead = None
            if t.texts("not_for"):
                instead = AftercareWording(
                    t.text("instead"),
                    self.grade(t, "instead_grade"),
                    self.source(t, "instead_source"),
                )
            elif "instead" in t.data:
                raise t.error("instead", "only a line with `not_for` has an alternative")
            lines.append(
                AftercareLine(
                    text=t.text("text"),
                    grade=self.grade(t),
                    source=self.source(t),
                    always=t.flag("always"),
                    injection=t.flag("injection"),
                    techniques=t.texts("techniques"),
                    ingredients=t.texts("ingredients"),
                    concerns=t.texts("concerns"),
                    areas=t.texts("areas"),
                    views=t.texts("views"),
                    not_for=t.texts("not_for"),
                    instead=instead,
                )
            )
        return tuple(lines)

    def build_pricing(self) -> Pricing:
        t = self.files["pricing"]
        pricing = Pricing(
            currency=t.text("currency"),
            visit_fee_low=t.number("visit_fee_low", positive=False),
            visit_fee_high=t.number("visit_fee_high", positive=False),
            area_fee_low=t.number("area_fee_low", positive=False),
            area_fee_high=t.number("area_fee_high", positive=False),
            grade=self.grade(t),
            source=self.source(t),
        )
        if pricing.visit_fee_low > pricing.visit_fee_high:
            raise t.error("visit_fee_low", "greater than visit_fee_high")
        if pricing.area_fee_low > pricing.area_fee_high:
            raise t.error("area_fee_low", "greater than area_fee_high")
        if self.files["products"].text("currency") != pricing.currency:
            raise self.files["products"].error("currency", "differs from pricing.toml")
        return pricing


def _containing(ingredients: Mapping[str, Ingredient], slugs: set[str]) -> frozenset[str]:
    """``slugs`` and every ingredient that contains one of them (lidocaine with epinephrine)."""
    out = set(slugs)
    while grown := {s for s, i in ingredients.items() if s not in out and out & set(i.contains)}:
        out |= grown
    return frozenset(out)
