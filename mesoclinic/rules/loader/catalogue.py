"""Ingredients with their limits, products and techniques."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TypeVar

from ..reference import (
    LIMIT_KINDS,
    Area,
    ConcentrationRange,
    Ingredient,
    Limit,
    Mixture,
    Product,
    Source,
    Technique,
)
from ..toml_tables import Table
from .base import BuilderBase

L = TypeVar("L", Limit, ConcentrationRange)


class CatalogueBuilder(BuilderBase):
    def build_ingredients(self) -> dict[str, Ingredient]:
        out: dict[str, Ingredient] = {}
        for slug, t in self.files["ingredients"].entries("ingredients"):
            mix_t = t.table("mixture", None)
            mixture = None
            if mix_t is not None:
                mixture = Mixture(
                    mix_t.text("with"),
                    mix_t.number("ratio"),
                    mix_t.number("tolerance"),
                    self.source(mix_t),
                )
            conc_t = t.table("concentration", None)
            conc = None
            if conc_t is not None:
                conc = ConcentrationRange(
                    conc_t.number("min"),
                    conc_t.number("max"),
                    self.grade(conc_t),
                    self.source(conc_t),
                    conc_t.text("unless_with", None),
                )
                conc = self.with_mixture(conc_t, conc, mixture)
                if conc.min_mg_per_ml > conc.max_mg_per_ml:
                    raise conc_t.error("min", "greater than max")
            out[slug] = Ingredient(
                slug=slug,
                name=t.text("name"),
                patient_name=t.text("patient_name"),
                purpose=t.text("purpose"),
                grade=self.grade(t),
                source=self.source(t),
                measure=t.choice("measure", ("mg", "mL"), "mg"),
                group=t.flag("group"),
                pregnancy=t.choice("pregnancy", ("stop", "caution"), "caution"),
                breastfeeding=t.choice("breastfeeding", ("stop", "caution"), "caution"),
                contains=t.texts("contains"),
                family=t.text("family", None),
                prescription=t.flag("prescription"),
                route=t.choice("route", ("subcutaneous",)) if "route" in t.data else None,
                route_source=self.source(t, "route_source") if "route" in t.data else None,
                min_age=t.integer("min_age") if "min_age" in t.data else None,
                min_age_grade=self.grade(t, "min_age_grade") if "min_age" in t.data else "none",
                min_age_source=self.source(t, "min_age_source") if "min_age" in t.data else None,
                mixture=mixture,
                no_sourced_limit=t.flag("no_sourced_limit"),
                concentration=conc,
                limits=tuple(
                    self.with_mixture(lt, self.limit(lt), mixture) for lt in t.tables("limits")
                ),
            )
        for slug, ing in out.items():
            t = self.files["ingredients"].table("ingredients").table(slug)
            self.slug_in(t, "contains", out, "ingredient")
            for i, lim in enumerate(ing.limits):
                lt = t.tables("limits")[i]
                if lim.unless_with is not None and lim.unless_with not in out:
                    raise lt.error("unless_with", f"unknown ingredient {lim.unless_with!r}")
        return out

    def with_mixture(self, t: Table, item: L, mixture: Mixture | None) -> L:
        """`unless_with` stands for the ingredient's recognised mixture, which must be given."""
        if item.unless_with is None:
            return item
        if mixture is None or mixture.with_ != item.unless_with:
            raise t.error("unless_with", "needs the ingredient's [mixture] with that co-ingredient")
        return replace(item, unless_ratio=mixture.ratio, unless_tolerance=mixture.tolerance)

    def limit(self, t: Table) -> Limit:
        kind = t.choice("kind", LIMIT_KINDS)
        areas: tuple[str, ...] = ()
        value = None
        if kind in ("labelled_areas", "established_areas"):
            areas = t.texts("areas")
            if not areas:
                raise t.error("areas", "needs at least one area")
        else:
            value = t.number("value")
        return Limit(
            kind=kind,
            grade=self.grade(t),
            source=self.source(t),
            value=value,
            areas=areas,
            unless_with=t.text("unless_with", None),
            note=t.text("note", ""),
            counts_family=t.choice("counts", ("family",)) == "family"
            if "counts" in t.data
            else False,
            window_hours=t.integer("window_hours") if "window_hours" in t.data else None,
        )

    def build_products(self, ingredients: Mapping[str, Ingredient]) -> dict[str, Product]:
        out: dict[str, Product] = {}
        for slug, t in self.files["products"].entries("products"):
            contents_t = t.table("contents")
            if not contents_t.data:
                raise t.error("contents", "a product needs at least one ingredient")
            contents = {}
            for ing in contents_t.data:
                if ing not in ingredients:
                    raise contents_t.error(ing, "unknown ingredient")
                contents[ing] = contents_t.number(ing)
            out[slug] = Product(
                slug=slug,
                name=t.text("name"),
                contents=MappingProxyType(contents),
                vial_ml=t.number("vial_ml"),
                price=t.number("price"),
                grade=self.grade(t),
                source=self.source(t),
                form=t.choice("form", ("injectable", "topical"), "injectable"),
                multi_dose=t.flag("multi_dose"),
                in_use_days=t.integer("in_use_days") if "in_use_days" in t.data else None,
                in_use_source=self.source(t, "in_use_source") if "in_use_days" in t.data else None,
            )
        return out

    def build_techniques(self) -> tuple[dict[str, Technique], tuple[float, float], Source]:
        f = self.files["techniques"]
        lo, hi = f.number("injection_depth_min_mm"), f.number("injection_depth_max_mm")
        depth_source = self.source(f, "injection_depth_source")
        out: dict[str, Technique] = {}
        for slug, t in f.entries("techniques"):
            injection = t.flag("injection")
            tech = Technique(
                slug=slug,
                name=t.text("name"),
                injection=injection,
                grade=self.grade(t),
                source=self.source(t),
                depth_min_mm=t.number("depth_min_mm") if injection else None,
                depth_max_mm=t.number("depth_max_mm") if injection else None,
                depth_default_mm=t.number("depth_default_mm") if injection else None,
                spacing_mm=t.number("spacing_mm") if injection else None,
                volume_per_point_ml=t.number("volume_per_point_ml") if injection else None,
                needle_gauge=t.integer("needle_gauge") if injection else None,
                needle_length_mm=t.number("needle_length_mm") if injection else None,
                notes=t.texts("notes"),
                route=t.choice("route", ("intradermal", "subcutaneous", "topical"), "intradermal"),
                subcutaneous_min_mm=t.number("subcutaneous_min_mm", None),
            )
            if injection:
                assert tech.depth_min_mm is not None and tech.depth_max_mm is not None
                assert tech.depth_default_mm is not None
                if not lo <= tech.depth_min_mm <= tech.depth_default_mm <= tech.depth_max_mm <= hi:
                    raise t.error(
                        "depth_default_mm",
                        f"need {lo} <= depth_min <= default <= depth_max <= {hi} mm",
                    )
            else:
                for key in ("depth_min_mm", "spacing_mm", "volume_per_point_ml"):
                    if key in t.data:
                        raise t.error(key, "a non-injection technique has no depth or points")
            out[slug] = tech
        return out, (lo, hi), depth_source

    def check_limit_areas(
        self, ingredients: Mapping[str, Ingredient], areas: Mapping[str, Area]
    ) -> None:
        table = self.files["ingredients"].table("ingredients")
        for slug, ing in ingredients.items():
            for i, lim in enumerate(ing.limits):
                for area in lim.areas:
                    if area not in areas:
                        lt = table.table(slug).tables("limits")[i]
                        raise lt.error("areas", f"unknown area {area!r}")
