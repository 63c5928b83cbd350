"""Turn each request into concrete settings, or refuse (the profile: :mod:`.profile`).

Nothing here guesses: an unknown slug, an impossible number or a depth outside
the technique's range raises :class:`RulesInputError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import findings as F
from .errors import RulesInputError
from .models import Point, TreatmentRequest
from .reference import Area, Phase, Protocol, Reference, Source, Technique
from .results import Finding
from .schedule import phases_for
from .values import number, whole

# No single area is larger than about a quarter of an adult's ~1.8 m2 of skin.
MAX_AREA_CM2 = 5000.0
# §2's closest spacing is 2 mm (nappage); closer is a typo, and it keeps layouts finite.
MIN_SPACING_MM = 2.0
MAX_SESSIONS = 100
MAX_INTERVAL_DAYS = 365
SIDES = ("left", "right", "both")

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
            formula[slug] = number(f"{where}.formula.{slug}", conc, 0, 1000)
        return formula, (), "custom formula given by the practitioner (mg/mL)"
    products = tuple(req.products) if req.products is not None else proto.products
    if req.products is not None and not products:
        raise RulesInputError(f"{where}.products", [], "an empty product list")
    if not products:
        return dict(proto.formula), (), f"the formula of the protocol {proto.name} (mg/mL)"
    for slug in products:
        if slug not in ref.products:
            raise RulesInputError(f"{where}.products", slug, "unknown product slug")
    names = ", ".join(ref.products[p].name for p in products)
    return mix(products, ref), products, "one vial of each product mixed: " + names


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


def _given_depth(req: TreatmentRequest, tech: Technique, ref: Reference, where: str) -> float:
    assert req.depth_mm is not None
    assert tech.depth_min_mm is not None and tech.depth_max_mm is not None
    lo, hi = ref.depth_bounds_mm
    depth = number(f"{where}.depth_mm", req.depth_mm, -math.inf, math.inf)
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
    return depth


def _setting(
    name: str,
    unit: str,
    given: float | None,
    proto: Protocol,
    tech: Technique,
    basis: dict[str, str],
) -> float:
    """The practitioner's value, else the protocol's (when it uses this technique), else the
    technique's default; ``basis`` records which, and its source."""
    own = getattr(proto, name) if proto.technique == tech.slug else None
    if given is not None:
        basis[name] = f"{given:g} {unit} set by the practitioner"
        return given
    if own is not None:
        basis[name] = describe(f"{own:g} {unit}", *proto.cite(name))
        return float(own)
    default = tech.depth_default_mm if name == "depth_mm" else getattr(tech, name)
    assert default is not None
    basis[name] = describe(f"{default:g} {unit}", tech.grade, tech.source)
    return float(default)


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
    given_depth = _given_depth(req, tech, ref, where) if req.depth_mm is not None else None
    given_spacing = (
        number(f"{where}.spacing_mm", req.spacing_mm, MIN_SPACING_MM, 1000, lo_open=False)
        if req.spacing_mm is not None
        else None
    )
    given_vpp = (
        number(f"{where}.volume_per_point_ml", req.volume_per_point_ml, 0, 100)
        if req.volume_per_point_ml is not None
        else None
    )
    depth = _setting("depth_mm", "mm", given_depth, proto, tech, basis)
    spacing = _setting("spacing_mm", "mm", given_spacing, proto, tech, basis)
    vpp = _setting("volume_per_point_ml", "mL", given_vpp, proto, tech, basis)
    return depth, spacing, vpp, basis


def _area_cm2(req: TreatmentRequest, area: Area, where: str, basis: dict[str, str]) -> float:
    if req.area_cm2 is not None:
        area_cm2 = number(f"{where}.area_cm2", req.area_cm2, 0, MAX_AREA_CM2)
        basis["area_cm2"] = f"{area_cm2:g} cm² measured by the practitioner"
        return area_cm2
    basis["area_cm2"] = describe(f"{area.default_cm2:g} cm² default", area.grade, area.source)
    return area.default_cm2


def _topical_volume(
    proto: Protocol, tech: Technique, tech_slug: str, where: str, basis: dict[str, str]
) -> float | None:
    """A needle-free technique's volume per area, which only its own protocol gives."""
    if tech.injection:
        return None
    topical = proto.topical_volume_ml if proto.technique == tech.slug else None
    if topical is None:
        raise RulesInputError(
            f"{where}.technique", tech_slug, f"protocol {proto.slug} gives no volume for it"
        )
    basis["total_volume_ml"] = describe(
        f"{topical:g} mL per area", proto.layout_grade, proto.layout_source
    )
    return topical


def _phases(
    req: TreatmentRequest, proto: Protocol, start: dt.date, where: str, basis: dict[str, str]
) -> tuple[Phase, ...]:
    if req.sessions is not None:
        whole(f"{where}.sessions", req.sessions, 1, MAX_SESSIONS)
    if req.interval_days is not None:
        whole(f"{where}.interval_days", req.interval_days, 1, MAX_INTERVAL_DAYS)
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
    return phases


def _outside_protocol(ref: Reference, proto: Protocol, area: Area) -> Finding:
    return F.make(
        F.AREA_OUTSIDE_PROTOCOL,
        "warning",
        f"{proto.name} is written for "
        f"{', '.join(ref.areas[a].name for a in proto.areas)}, not {area.name}.",
        proto.layout_source,
        "C",
        area=area.slug,
    )


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
    area_cm2 = _area_cm2(req, area, where, basis)
    topical = _topical_volume(proto, tech, tech_slug, where, basis)
    phases = _phases(req, proto, start, where, basis)
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
        sessions=sum(p.sessions for p in phases),
        phases=phases,
        basis=basis,
    )
    if area.slug not in proto.areas:
        resolved.findings.append(_outside_protocol(ref, proto, area))
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
