"""Validate a profile and turn each request into concrete settings, or refuse.

Nothing here guesses: an unknown slug, an impossible number or a depth outside
the technique's range raises :class:`RulesInputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import findings as F
from .errors import RulesInputError
from .medications import classify_medication, parse_condition
from .models import Finding, PatientProfile, Point, TreatmentRequest
from .reference import Area, Condition, Phase, Protocol, Reference, Source, Technique
from .schedule import phases_for

MAX_WEIGHT_KG = 400.0
MAX_AGE = 130
# No single area is larger than about a quarter of an adult's ~1.8 m2 of skin.
MAX_AREA_CM2 = 5000.0
# §2's closest spacing is 2 mm (nappage); closer is a typo, and it keeps layouts finite.
MIN_SPACING_MM = 2.0
MAX_SESSIONS = 100
MAX_INTERVAL_DAYS = 365
SIDES = ("left", "right", "both")
SEXES = ("F", "M", "X")

GRADE_LABELS = {
    "A": "grade A, label",
    "B": "grade B, study",
    "C": "grade C, practice default",
    "seed": "seed",
    "none": "no grade",
}


def describe(value: str, grade: str, source: Source) -> str:
    """How a number is explained: value, grade, and the section it traces to."""
    return f"{value} ({GRADE_LABELS.get(grade, grade)}): {source.text}"


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


@dataclass
class Resolved:
    """One request with every setting decided and explained."""

    index: int
    request: TreatmentRequest
    area: Area
    protocol: Protocol
    technique: Technique
    sides: tuple[str | None, ...]
    formula: dict[str, float]
    products: tuple[str, ...]
    depth_mm: float | None
    spacing_mm: float | None
    volume_per_point_ml: float | None
    topical_volume_ml: float | None
    area_cm2: float
    sessions: int
    phases: tuple[Phase, ...]
    basis: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.area.slug


def _number(fld: str, value: object, lo: float, hi: float, *, lo_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RulesInputError(fld, value, "expected a finite number")
    if (value <= lo if lo_open else value < lo) or value > hi:
        bound = f"> {lo:g}" if lo_open else f">= {lo:g}"
        raise RulesInputError(fld, value, f"must be {bound} and <= {hi:g}")
    return float(value)


def _whole(fld: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RulesInputError(fld, value, f"expected a whole number {lo}-{hi}")
    return value


def _age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def validate_profile(profile: PatientProfile, ref: Reference, today: dt.date) -> ProfileFacts:
    weight = None
    if profile.weight_kg is not None:
        weight = _number("profile.weight_kg", profile.weight_kg, 0, MAX_WEIGHT_KG)
    age = profile.age
    if age is not None:
        _whole("profile.age", age, 0, MAX_AGE)
    if profile.birth_date is not None:
        if profile.birth_date > today:
            raise RulesInputError("profile.birth_date", profile.birth_date, "is in the future")
        born_age = _whole("profile.birth_date", _age_on(profile.birth_date, today), 0, MAX_AGE)
        if age is not None and age != born_age:
            raise RulesInputError(
                "profile.age", age, f"disagrees with birth date (age {born_age} on {today})"
            )
        age = born_age
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
    fitz = profile.fitzpatrick
    if fitz is not None:
        _whole("profile.fitzpatrick", fitz, 1, 6)
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
    for slug in sorted(profile.infected_areas):
        if slug not in ref.areas:
            raise RulesInputError("profile.infected_areas", slug, "unknown area slug")
    conditions, lifestyle = [], []
    for text in sorted(profile.conditions):
        condition, area, slug = parse_condition(text, ref, "profile.conditions")
        if condition is None:
            lifestyle.append(slug)
        else:
            conditions.append((condition, area))
    meds = []
    for name in profile.medications:
        if not isinstance(name, str) or not name.strip():
            raise RulesInputError("profile.medications", name, "expected a medication name")
        meds.append((name.strip(), classify_medication(name, ref)))
    return ProfileFacts(
        weight_kg=weight,
        age=age,
        pregnant=bool(profile.pregnant),
        breastfeeding=bool(profile.breastfeeding),
        allergies=frozenset(profile.allergies),
        medications=tuple(meds),
        conditions=tuple(conditions),
        lifestyle=tuple(lifestyle),
        infected_areas=frozenset(profile.infected_areas),
        fitzpatrick=fitz,
        jurisdiction=profile.jurisdiction,
        unresolved_allergies=tuple(dict.fromkeys(unresolved)),
    )


def _choose_protocol(req: TreatmentRequest, ref: Reference, where: str) -> Protocol:
    if req.concern not in ref.concerns:
        raise RulesInputError(f"{where}.concern", req.concern, "unknown concern")
    if req.area not in ref.areas:
        raise RulesInputError(f"{where}.area", req.area, "unknown area")
    if req.protocol is not None:
        proto = ref.protocols.get(req.protocol)
        if proto is None:
            raise RulesInputError(f"{where}.protocol", req.protocol, "unknown protocol")
        if req.concern not in proto.concerns:
            raise RulesInputError(
                f"{where}.protocol",
                req.protocol,
                f"does not treat {req.concern} (treats {', '.join(proto.concerns)})",
            )
        return proto
    candidates = ref.protocols_for(req.concern, req.area)
    if not candidates:
        raise RulesInputError(
            f"{where}.area", req.area, f"no protocol treats {req.concern} there; name a protocol"
        )
    return candidates[0]


def _formula(
    req: TreatmentRequest, proto: Protocol, ref: Reference, where: str
) -> tuple[dict[str, float], tuple[str, ...], str]:
    if req.formula is not None and req.products is not None:
        raise RulesInputError(
            f"{where}.formula", dict(req.formula), "give a formula or products, not both"
        )
    if req.formula is not None:
        if not req.formula:
            raise RulesInputError(f"{where}.formula", {}, "an empty formula")
        formula = {}
        for slug, conc in req.formula.items():
            if slug not in ref.ingredients:
                raise RulesInputError(f"{where}.formula", slug, "unknown ingredient slug")
            formula[slug] = _number(f"{where}.formula.{slug}", conc, 0, 1000)
        return formula, (), "custom formula given by the practitioner (mg/mL)"
    products = tuple(req.products) if req.products is not None else proto.products
    if req.products is not None and not products:
        raise RulesInputError(f"{where}.products", [], "an empty product list")
    if not products:
        return dict(proto.formula), (), f"formula of protocol {proto.slug} (mg/mL)"
    for slug in products:
        if slug not in ref.products:
            raise RulesInputError(f"{where}.products", slug, "unknown product slug")
    return mix(products, ref), products, "one vial of each product mixed: " + ", ".join(products)


def mix(products: tuple[str, ...], ref: Reference) -> dict[str, float]:
    """Concentrations when one vial of each product is drawn into one syringe."""
    total = sum(ref.products[p].vial_ml for p in products)
    out: dict[str, float] = {}
    for slug in products:
        product = ref.products[slug]
        for ing, conc in product.contents.items():
            out[ing] = out.get(ing, 0.0) + conc * product.vial_ml / total
    return {k: round(v, 6) for k, v in out.items()}


def _sides(req: TreatmentRequest, area: Area, where: str) -> tuple[str | None, ...]:
    if not area.paired:
        if req.side not in (None, "both"):
            raise RulesInputError(f"{where}.side", req.side, f"{area.slug} is not a paired area")
        return (None,)
    side = req.side or "both"
    if side not in SIDES:
        raise RulesInputError(f"{where}.side", req.side, "expected left, right or both")
    return ("right", "left") if side == "both" else (side,)


def _layout_settings(
    req: TreatmentRequest, proto: Protocol, tech: Technique, ref: Reference, where: str
) -> tuple[float | None, float | None, float | None, dict[str, str]]:
    basis: dict[str, str] = {}
    if not tech.injection:
        for name in ("depth_mm", "spacing_mm", "volume_per_point_ml", "points"):
            if getattr(req, name) is not None:
                raise RulesInputError(
                    f"{where}.{name}", getattr(req, name), f"{tech.slug} is needle-free"
                )
        return None, None, None, basis
    own = proto.technique == tech.slug
    assert tech.depth_min_mm is not None and tech.depth_max_mm is not None
    lo, hi = ref.depth_bounds_mm
    if req.depth_mm is not None:
        depth = _number(f"{where}.depth_mm", req.depth_mm, -math.inf, math.inf)
        if not lo <= depth <= hi:
            raise RulesInputError(
                f"{where}.depth_mm", req.depth_mm, f"outside the {lo:g}-{hi:g} mm injection range"
            )
        if not tech.depth_min_mm <= depth <= tech.depth_max_mm:
            raise RulesInputError(
                f"{where}.depth_mm",
                req.depth_mm,
                f"outside the {tech.slug} range {tech.depth_min_mm:g}-{tech.depth_max_mm:g} mm",
            )
        basis["depth_mm"] = f"{depth:g} mm set by the practitioner"
    elif own and proto.depth_mm is not None:
        depth = proto.depth_mm
        basis["depth_mm"] = describe(f"{depth:g} mm", *proto.cite("depth_mm"))
    else:
        assert tech.depth_default_mm is not None
        depth = tech.depth_default_mm
        basis["depth_mm"] = describe(f"{depth:g} mm", tech.grade, tech.source)
    if req.spacing_mm is not None:
        spacing = _number(
            f"{where}.spacing_mm", req.spacing_mm, MIN_SPACING_MM, 1000, lo_open=False
        )
        basis["spacing_mm"] = f"{spacing:g} mm set by the practitioner"
    elif own and proto.spacing_mm is not None:
        spacing = proto.spacing_mm
        basis["spacing_mm"] = describe(f"{spacing:g} mm", *proto.cite("spacing_mm"))
    else:
        assert tech.spacing_mm is not None
        spacing = tech.spacing_mm
        basis["spacing_mm"] = describe(f"{spacing:g} mm", tech.grade, tech.source)
    if req.volume_per_point_ml is not None:
        vpp = _number(f"{where}.volume_per_point_ml", req.volume_per_point_ml, 0, 100)
        basis["volume_per_point_ml"] = f"{vpp:g} mL set by the practitioner"
    elif own and proto.volume_per_point_ml is not None:
        vpp = proto.volume_per_point_ml
        basis["volume_per_point_ml"] = describe(f"{vpp:g} mL", *proto.cite("volume_per_point_ml"))
    else:
        assert tech.volume_per_point_ml is not None
        vpp = tech.volume_per_point_ml
        basis["volume_per_point_ml"] = describe(f"{vpp:g} mL", tech.grade, tech.source)
    return depth, spacing, vpp, basis


def resolve_request(req: TreatmentRequest, index: int, ref: Reference, start: dt.date) -> Resolved:
    where = f"requests[{index}]"
    proto = _choose_protocol(req, ref, where)
    area = ref.areas[req.area]
    tech_slug = req.technique or proto.technique
    tech = ref.techniques.get(tech_slug)
    if tech is None:
        raise RulesInputError(f"{where}.technique", tech_slug, "unknown technique")
    formula, products, formula_basis = _formula(req, proto, ref, where)
    depth, spacing, vpp, basis = _layout_settings(req, proto, tech, ref, where)
    basis["formula"] = formula_basis
    if req.area_cm2 is not None:
        area_cm2 = _number(f"{where}.area_cm2", req.area_cm2, 0, MAX_AREA_CM2)
        basis["area_cm2"] = f"{area_cm2:g} cm2 measured by the practitioner"
    else:
        area_cm2 = area.default_cm2
        basis["area_cm2"] = describe(f"{area_cm2:g} cm2 default", area.grade, area.source)
    topical = None
    if not tech.injection:
        topical = proto.topical_volume_ml if proto.technique == tech.slug else None
        if topical is None:
            raise RulesInputError(
                f"{where}.technique", tech_slug, f"protocol {proto.slug} gives no volume for it"
            )
        basis["total_volume_ml"] = describe(
            f"{topical:g} mL per area", proto.layout_grade, proto.layout_source
        )
    if req.sessions is not None:
        _whole(f"{where}.sessions", req.sessions, 1, MAX_SESSIONS)
    if req.interval_days is not None:
        _whole(f"{where}.interval_days", req.interval_days, 1, MAX_INTERVAL_DAYS)
    for prior in req.prior_sessions:
        if prior >= start:
            raise RulesInputError(
                f"{where}.prior_sessions", prior.isoformat(), "not before the start date"
            )
    phases = phases_for(proto, req.sessions, req.interval_days)
    sessions = sum(p.sessions for p in phases)
    basis["sessions"] = (
        f"{sessions} set by the practitioner"
        if req.sessions is not None or req.interval_days is not None
        else describe(str(sessions), proto.schedule_grade, proto.schedule_source)
    )
    resolved = Resolved(
        index=index,
        request=req,
        area=area,
        protocol=proto,
        technique=tech,
        sides=_sides(req, area, where),
        formula=formula,
        products=products,
        depth_mm=depth,
        spacing_mm=spacing,
        volume_per_point_ml=vpp,
        topical_volume_ml=topical,
        area_cm2=area_cm2,
        sessions=sessions,
        phases=phases,
        basis=basis,
    )
    if area.slug not in proto.areas:
        resolved.findings.append(
            F.make(
                F.AREA_OUTSIDE_PROTOCOL,
                "warning",
                f"{proto.name} is written for "
                f"{', '.join(ref.areas[a].name for a in proto.areas)}, not {area.name}.",
                proto.layout_source,
                "C",
                area=area.slug,
            )
        )
    return resolved


def explicit_points_by_side(
    points: tuple[Point, ...],
    outlines: Mapping[str | None, tuple[Point, ...]],
    where: str,
) -> dict[str | None, tuple[Point, ...]]:
    """Assign each explicit point to the side whose outline holds it; refuse strays."""
    from .layout import contains

    out: dict[str | None, list[Point]] = {side: [] for side in outlines}
    for p in points:
        for side, outline in outlines.items():
            if contains(outline, p):
                out[side].append(p)
                break
        else:
            raise RulesInputError(f"{where}.points", list(p), "outside the area outline")
    return {side: tuple(pts) for side, pts in out.items()}
