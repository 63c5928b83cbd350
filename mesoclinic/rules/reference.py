"""Reference data as typed, immutable objects (built by :mod:`.loader`).

Every entry that carries a number also carries a ``grade`` and a :class:`Source`,
so the engine can explain where each figure in a plan comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Point = tuple[float, float]
Grade = Literal["A", "B", "C", "seed", "none"]
GRADES: tuple[str, ...] = ("A", "B", "C", "seed", "none")

# What an aftercare line's `not_for` may name: these words, or "condition:<slug>"
# (conditions.toml) or "allergy:<slug>" (matched on the recorded allergy slug).
PATIENT_FACTS: tuple[str, ...] = (
    "pregnant",
    "breastfeeding",
    # Any recognised medication class: medications.toml lists bleeding-risk medicines (§7).
    "bleeding-risk-medicine",
    # A medicine the vocabulary does not know may be one of them: the safe wording is used.
    "unrecognised-medicine",
)

LIMIT_KINDS: tuple[str, ...] = (
    "max_mg",
    "max_mg_per_kg",
    "max_injections",
    "max_volume_ml",
    "max_volume_per_injection_ml",
    "min_spacing_mm",
    "max_sessions",
    "min_interval_days",
    "labelled_areas",
    "established_areas",
)


@dataclass(frozen=True)
class Source:
    id: str
    section: str
    cites: str

    @property
    def text(self) -> str:
        return f"Clinical reference {self.section}: {self.cites}"


@dataclass(frozen=True)
class Limit:
    kind: str
    grade: str
    source: Source
    value: float | None = None
    areas: tuple[str, ...] = ()
    unless_with: str | None = None
    note: str = ""
    # The recognised mixture `unless_with` stands for: co-ingredient / this one.
    unless_ratio: float | None = None
    unless_tolerance: float = 0.0
    counts_family: bool = False
    window_hours: int | None = None


@dataclass(frozen=True)
class ConcentrationRange:
    min_mg_per_ml: float
    max_mg_per_ml: float
    grade: str
    source: Source
    unless_with: str | None = None
    unless_ratio: float | None = None
    unless_tolerance: float = 0.0


@dataclass(frozen=True)
class Mixture:
    """A recognised mixture: ``with_`` at ``ratio`` times this ingredient's strength."""

    with_: str
    ratio: float
    tolerance: float
    source: Source


@dataclass(frozen=True)
class Ingredient:
    slug: str
    name: str
    patient_name: str
    purpose: str
    grade: str
    source: Source
    measure: Literal["mg", "mL"] = "mg"
    group: bool = False
    pregnancy: Literal["stop", "caution"] = "caution"
    breastfeeding: Literal["stop", "caution"] = "caution"
    contains: tuple[str, ...] = ()
    # One drug under several slugs (lidocaine, lidocaine with epinephrine): summed for doses.
    family: str | None = None
    # Charted only by a practitioner or under one named as supervising (§7).
    prescription: bool = False
    # "subcutaneous": only with a subcutaneous technique, no shallower than its range (§7).
    route: str | None = None
    route_source: Source | None = None
    min_age: int | None = None
    min_age_grade: str = "none"
    min_age_source: Source | None = None
    mixture: Mixture | None = None
    no_sourced_limit: bool = False
    concentration: ConcentrationRange | None = None
    limits: tuple[Limit, ...] = ()

    def limits_of(self, kind: str) -> tuple[Limit, ...]:
        return tuple(lim for lim in self.limits if lim.kind == kind)


@dataclass(frozen=True)
class Product:
    slug: str
    name: str
    contents: Mapping[str, float]
    vial_ml: float
    price: float
    grade: str
    source: Source
    form: Literal["injectable", "topical"] = "injectable"
    multi_dose: bool = False
    in_use_days: int | None = None
    in_use_source: Source | None = None


@dataclass(frozen=True)
class Technique:
    slug: str
    name: str
    injection: bool
    grade: str
    source: Source
    depth_min_mm: float | None = None
    depth_max_mm: float | None = None
    depth_default_mm: float | None = None
    spacing_mm: float | None = None
    volume_per_point_ml: float | None = None
    needle_gauge: int | None = None
    needle_length_mm: float | None = None
    notes: tuple[str, ...] = ()
    route: Literal["intradermal", "subcutaneous", "topical"] = "intradermal"
    subcutaneous_min_mm: float | None = None


@dataclass(frozen=True)
class View:
    slug: str
    name: str
    width_mm: float
    height_mm: float
    midline_x_mm: float | None
    right_side: Literal["viewer-left", "viewer-right"]


@dataclass(frozen=True)
class KeepClear:
    structure: str
    margin_mm: float
    path: tuple[Point, ...]
    grade: str
    source: Source


@dataclass(frozen=True)
class Area:
    slug: str
    name: str
    view: View
    default_cm2: float
    paired: bool
    outline: tuple[Point, ...]
    grade: str
    source: Source
    structures: tuple[str, ...] = ()
    keep_clear: tuple[KeepClear, ...] = ()

    def mirror(self, points: tuple[Point, ...]) -> tuple[Point, ...]:
        """The other side of a paired area: reflected about the view's midline."""
        mid = self.view.midline_x_mm
        if mid is None:
            raise ValueError(f"view {self.view.slug} has no midline to mirror about")
        return tuple((2 * mid - x, y) for x, y in points)


@dataclass(frozen=True)
class Concern:
    slug: str
    name: str
    source: Source


@dataclass(frozen=True)
class Phase:
    sessions: int
    interval_days: int


@dataclass(frozen=True)
class Protocol:
    slug: str
    name: str
    concerns: tuple[str, ...]
    areas: tuple[str, ...]
    technique: str
    sessions: int
    sessions_min: int
    sessions_max: int
    phases: tuple[Phase, ...]
    schedule_grade: str
    schedule_source: Source
    layout_grade: str
    layout_source: Source
    products: tuple[str, ...] = ()
    formula: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    depth_mm: float | None = None
    spacing_mm: float | None = None
    volume_per_point_ml: float | None = None
    points_per_side: int | None = None
    topical_volume_ml: float | None = None
    min_interval_days: int | None = None
    maintenance_interval_days: int | None = None
    follow_up_days: int | None = None
    notes: tuple[str, ...] = ()
    # Per-field citations (depth_mm, spacing_mm, volume_per_point_ml) where they
    # differ from layout_grade/layout_source, e.g. a label volume with a practice depth.
    cites: Mapping[str, tuple[str, Source]] = field(default_factory=lambda: MappingProxyType({}))

    def cite(self, name: str) -> tuple[str, Source]:
        return self.cites.get(name, (self.layout_grade, self.layout_source))

    @property
    def practice_default(self) -> bool:
        return self.schedule_grade == "C"


@dataclass(frozen=True)
class Condition:
    slug: str
    name: str
    code: str | None = None
    message: str = ""
    grade: str = "none"
    source: Source | None = None
    areas: tuple[str, ...] = ()
    area_specific: bool = False


@dataclass(frozen=True)
class LifestyleFactor:
    slug: str
    name: str
    source: Source


@dataclass(frozen=True)
class MedicationClass:
    slug: str
    name: str
    grade: str
    source: Source
    # Bruising and haematoma are more likely (§4, §7): the ANTICOAGULANT warning.
    bleeding_risk: bool = False


@dataclass(frozen=True)
class Drug:
    generic: str
    names: tuple[str, ...]
    classes: tuple[str, ...]


AllergenKind = Literal["ingredient", "substance", "class", "reaction"]


@dataclass(frozen=True)
class Allergen:
    """What a recorded allergy may name (allergens.toml, plus one per ingredient).

    ``terms`` are the names as :func:`terms.key` words; ``stops`` the ingredient
    slugs it stops, products containing them included. A ``reaction`` (anaphylaxis)
    describes how the patient reacted, not to what: it stops, but a text naming
    only a reaction still needs coding.
    """

    slug: str
    name: str
    kind: AllergenKind
    terms: tuple[str, ...]
    stops: frozenset[str]
    source: Source
    note: str = ""
    # Ingredients whose allergy is an allergy to this whole class (§7: amides).
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class AftercareWording:
    """What a patient for whom a line is unsafe is told instead, with its own source."""

    text: str
    grade: str
    source: Source


@dataclass(frozen=True)
class AftercareLine:
    text: str
    grade: str
    source: Source
    always: bool = False
    injection: bool = False
    techniques: tuple[str, ...] = ()
    ingredients: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    # Patient facts that make the line unsafe ("pregnant", "condition:renal-failure",
    # ...; see PATIENT_FACTS): those patients get `instead`.
    not_for: tuple[str, ...] = ()
    instead: AftercareWording | None = None


@dataclass(frozen=True)
class Pricing:
    currency: str
    visit_fee_low: float
    visit_fee_high: float
    area_fee_low: float
    area_fee_high: float
    grade: str
    source: Source


# eq=False: hashed by identity, so caches keyed on a Reference stay cheap.
@dataclass(frozen=True, eq=False)
class Reference:
    """All reference data, validated. Mappings are read-only and keyed by slug."""

    versions: Mapping[str, int]
    depth_bounds_mm: tuple[float, float]
    depth_source: Source
    sources: Mapping[str, Source]
    ingredients: Mapping[str, Ingredient]
    products: Mapping[str, Product]
    techniques: Mapping[str, Technique]
    views: Mapping[str, View]
    areas: Mapping[str, Area]
    concerns: Mapping[str, Concern]
    protocols: Mapping[str, Protocol]
    conditions: Mapping[str, Condition]
    lifestyle_factors: Mapping[str, LifestyleFactor]
    medication_classes: Mapping[str, MedicationClass]
    drugs: tuple[Drug, ...]
    # Explicit allergens first (allergens.toml order), then one per ingredient.
    allergens: Mapping[str, Allergen]
    aftercare: tuple[AftercareLine, ...]
    pricing: Pricing

    def protocols_for(self, concern: str, area: str | None = None) -> tuple[Protocol, ...]:
        """Protocols treating ``concern`` (in ``area`` if given), in data-file order."""
        return tuple(
            p
            for p in self.protocols.values()
            if concern in p.concerns and (area is None or area in p.areas)
        )
