"""Load and validate the TOML reference data once per data directory.

A malformed file fails at start-up with the file and field named
(:class:`ReferenceDataError`), not later in the middle of a plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar, cast

from . import layout, terms
from .reference import (
    GRADES,
    LIMIT_KINDS,
    PATIENT_FACTS,
    AftercareLine,
    AftercareWording,
    Allergen,
    Area,
    ConcentrationRange,
    Concern,
    Condition,
    Drug,
    Ingredient,
    KeepClear,
    LifestyleFactor,
    Limit,
    MedicationClass,
    Mixture,
    Phase,
    Point,
    Pricing,
    Product,
    Protocol,
    Reference,
    Source,
    Technique,
    View,
)
from .toml_tables import SLUG, Table, read_file

DATA_DIR = Path(__file__).resolve().parent / "data"
FILES = (
    "sources",
    "ingredients",
    "products",
    "techniques",
    "areas",
    "protocols",
    "conditions",
    "medications",
    "allergens",
    "aftercare",
    "pricing",
)
# The allergen that an allergy of severity "anaphylaxis" adds (§7, HA labels).
ANAPHYLAXIS_HISTORY = "anaphylaxis-history"
_ALLERGEN_KINDS = ("substance", "class", "reaction")
_SECTION = re.compile(r"^§[1-8]$")
# An outline may differ a little from its stated area (rounded vertices); more
# than this means the drawing and the number disagree.
_AREA_TOLERANCE = 0.05
_CITED_FIELDS = {"depth_mm": "depth", "spacing_mm": "spacing", "volume_per_point_ml": "volume"}
T = TypeVar("T")
L = TypeVar("L", Limit, ConcentrationRange)


class _Builder:
    def __init__(self, data_dir: Path) -> None:
        self.files = {name: read_file(data_dir, name) for name in FILES}
        self.sources: dict[str, Source] = {}

    def source(self, table: Table, key: str = "source") -> Source:
        slug = table.text(key)
        if slug not in self.sources:
            raise table.error(key, f"unknown source {slug!r} (see sources.toml)")
        return self.sources[slug]

    def grade(self, table: Table, key: str = "grade") -> str:
        return cast(str, table.choice(key, GRADES))

    def slug_in(self, table: Table, key: str, known: Mapping[str, object], what: str) -> None:
        for slug in table.texts(key):
            if slug not in known:
                raise table.error(key, f"unknown {what} {slug!r}")

    def build_sources(self) -> None:
        for slug, t in self.files["sources"].entries("sources"):
            section = t.text("section")
            if not _SECTION.match(section):
                raise t.error(
                    "section", f"expected a clinical-reference section like §3, got {section!r}"
                )
            self.sources[slug] = Source(slug, section, t.text("cites"))

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

    def build_views(self) -> dict[str, View]:
        out: dict[str, View] = {}
        for slug, t in self.files["areas"].entries("views"):
            out[slug] = View(
                slug=slug,
                name=t.text("name"),
                width_mm=t.number("width_mm"),
                height_mm=t.number("height_mm"),
                midline_x_mm=t.number("midline_x_mm", None),
                right_side=t.choice("right_side", ("viewer-left", "viewer-right")),
            )
        return out

    def build_areas(self, views: Mapping[str, View]) -> dict[str, Area]:
        out: dict[str, Area] = {}
        for slug, t in self.files["areas"].entries("areas"):
            view_slug = t.text("view")
            if view_slug not in views:
                raise t.error("view", f"unknown view {view_slug!r}")
            view = views[view_slug]
            outline = t.points("outline")
            self.check_outline(t, outline, view)
            default_cm2 = t.number("default_cm2")
            drawn = layout.polygon_area(outline) / 100.0
            if abs(drawn - default_cm2) > _AREA_TOLERANCE * default_cm2:
                raise t.error(
                    "default_cm2", f"{default_cm2} cm2 but the outline measures {drawn:.1f} cm2"
                )
            paired = t.flag("paired")
            if paired:
                self.check_right_side(t, outline, view)
            keep_clear = tuple(
                KeepClear(
                    structure=k.text("structure"),
                    margin_mm=k.number("margin_mm"),
                    path=k.points("path"),
                    grade=self.grade(k),
                    source=self.source(k),
                )
                for k in t.tables("keep_clear")
            )
            out[slug] = Area(
                slug=slug,
                name=t.text("name"),
                view=view,
                default_cm2=default_cm2,
                paired=paired,
                outline=outline,
                grade=self.grade(t),
                source=self.source(t),
                structures=t.texts("structures"),
                keep_clear=keep_clear,
            )
        return out

    @staticmethod
    def check_outline(t: Table, outline: tuple[Point, ...], view: View) -> None:
        if len(outline) < 3:
            raise t.error("outline", "a polygon needs at least 3 vertices")
        for x, y in outline:
            if not (0 <= x <= view.width_mm and 0 <= y <= view.height_mm):
                raise t.error("outline", f"vertex ({x}, {y}) lies outside the {view.slug} view")
        if not layout.is_simple_polygon(outline):
            raise t.error("outline", "the polygon crosses itself")

    @staticmethod
    def check_right_side(t: Table, outline: tuple[Point, ...], view: View) -> None:
        if view.midline_x_mm is None:
            raise t.error("paired", f"view {view.slug} has no midline to mirror about")
        xs = [x for x, _ in outline]
        on_left = max(xs) <= view.midline_x_mm
        on_right = min(xs) >= view.midline_x_mm
        if not (on_left if view.right_side == "viewer-left" else on_right):
            raise t.error(
                "outline", f"a paired outline is the patient's right side ({view.right_side})"
            )

    def build_concerns(self) -> dict[str, Concern]:
        return {
            slug: Concern(slug, t.text("name"), self.source(t))
            for slug, t in self.files["protocols"].entries("concerns")
        }

    def build_protocols(self, ref: dict[str, Any]) -> dict[str, Protocol]:
        out: dict[str, Protocol] = {}
        for slug, t in self.files["protocols"].entries("protocols"):
            self.slug_in(t, "concerns", ref["concerns"], "concern")
            self.slug_in(t, "areas", ref["areas"], "area")
            self.slug_in(t, "products", ref["products"], "product")
            technique = t.text("technique")
            if technique not in ref["techniques"]:
                raise t.error("technique", f"unknown technique {technique!r}")
            formula_t = t.table("formula", None)
            formula: dict[str, float] = {}
            if formula_t is not None:
                for ing in formula_t.data:
                    if ing not in ref["ingredients"]:
                        raise formula_t.error(ing, "unknown ingredient")
                    formula[ing] = formula_t.number(ing)
            if bool(formula) == bool(t.texts("products")):
                raise t.error("products", "give either products or formula")
            phases = tuple(
                Phase(p.integer("sessions"), p.integer("interval_days")) for p in t.tables("phases")
            )
            sessions = t.integer("sessions")
            if not phases or sum(p.sessions for p in phases) != sessions:
                raise t.error("phases", f"the phases must add up to {sessions} sessions")
            smin, smax = t.integer("sessions_min"), t.integer("sessions_max")
            if not smin <= sessions <= smax:
                raise t.error("sessions", "need sessions_min <= sessions <= sessions_max")
            proto = Protocol(
                slug=slug,
                name=t.text("name"),
                concerns=t.texts("concerns"),
                areas=t.texts("areas"),
                technique=technique,
                sessions=sessions,
                sessions_min=smin,
                sessions_max=smax,
                phases=phases,
                schedule_grade=self.grade(t, "schedule_grade"),
                schedule_source=self.source(t, "schedule_source"),
                layout_grade=self.grade(t, "layout_grade"),
                layout_source=self.source(t, "layout_source"),
                products=t.texts("products"),
                formula=MappingProxyType(formula),
                depth_mm=t.number("depth_mm", None),
                spacing_mm=t.number("spacing_mm", None),
                volume_per_point_ml=t.number("volume_per_point_ml", None),
                points_per_side=t.integer("points_per_side", None),
                topical_volume_ml=t.number("topical_volume_ml", None),
                min_interval_days=t.integer("min_interval_days", None),
                maintenance_interval_days=t.integer("maintenance_interval_days", None),
                follow_up_days=t.integer("follow_up_days", None),
                notes=t.texts("notes"),
                cites=MappingProxyType(
                    {
                        name: (self.grade(t, f"{short}_grade"), self.source(t, f"{short}_source"))
                        for name, short in _CITED_FIELDS.items()
                        if f"{short}_grade" in t.data or f"{short}_source" in t.data
                    }
                ),
            )
            self.check_protocol_technique(t, proto, ref["techniques"][technique])
            if not proto.concerns or not proto.areas:
                raise t.error("areas", "a protocol needs at least one concern and one area")
            out[slug] = proto
        return out

    @staticmethod
    def check_protocol_technique(t: Table, proto: Protocol, tech: Technique) -> None:
        if tech.injection:
            if proto.topical_volume_ml is not None:
                raise t.error("topical_volume_ml", "only for non-injection techniques")
            depth = proto.depth_mm
            assert tech.depth_min_mm is not None and tech.depth_max_mm is not None
            if depth is not None and not tech.depth_min_mm <= depth <= tech.depth_max_mm:
                raise t.error("depth_mm", f"outside the {tech.slug} range")
        elif proto.topical_volume_ml is None:
            raise t.error("topical_volume_ml", "a non-injection protocol needs a volume")
        elif proto.depth_mm is not None or proto.spacing_mm is not None:
            raise t.error("depth_mm", "a non-injection protocol has no depth or spacing")

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

    def build(self) -> Reference:
        self.build_sources()
        ingredients = self.build_ingredients()
        techniques, depth_bounds, depth_source = self.build_techniques()
        views = self.build_views()
        areas = self.build_areas(views)
        ref: dict[str, Any] = {
            "ingredients": ingredients,
            "products": self.build_products(ingredients),
            "techniques": techniques,
            "areas": areas,
            "concerns": self.build_concerns(),
            "depth": depth_bounds,
        }
        self.check_limit_areas(ingredients, areas)
        classes, drugs = self.build_medications()
        conditions = self.build_conditions(areas)
        ref["views"] = views
        return Reference(
            versions=MappingProxyType({n: f.data["version"] for n, f in self.files.items()}),
            depth_bounds_mm=depth_bounds,
            depth_source=depth_source,
            sources=_frozen(self.sources),
            ingredients=_frozen(ingredients),
            products=_frozen(ref["products"]),
            techniques=_frozen(techniques),
            views=_frozen(views),
            areas=_frozen(areas),
            concerns=_frozen(ref["concerns"]),
            protocols=_frozen(self.build_protocols(ref)),
            conditions=_frozen(conditions),
            lifestyle_factors=_frozen(self.build_lifestyle()),
            medication_classes=_frozen(classes),
            drugs=drugs,
            allergens=_frozen(self.build_allergens(ingredients)),
            aftercare=self.build_aftercare(ref, conditions),
            pricing=self.build_pricing(),
        )

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


def _containing(ingredients: Mapping[str, Ingredient], slugs: set[str]) -> frozenset[str]:
    """``slugs`` and every ingredient that contains one of them (lidocaine with epinephrine)."""
    out = set(slugs)
    while grown := {s for s, i in ingredients.items() if s not in out and out & set(i.contains)}:
        out |= grown
    return frozenset(out)


def _frozen(mapping: dict[str, T]) -> Mapping[str, T]:
    return MappingProxyType(mapping)


@cache
def _load(data_dir: Path) -> Reference:
    return _Builder(data_dir).build()


def load_reference(data_dir: str | Path | None = None) -> Reference:
    """The validated reference data; loaded once per directory and cached."""
    return _load(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)
