"""Concerns and protocols: formula or products, schedule, layout and its citations."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from ..reference import Concern, Phase, Protocol, Source, Technique
from ..toml_tables import Table
from .base import BuilderBase

_CITED_FIELDS = {"depth_mm": "depth", "spacing_mm": "spacing", "volume_per_point_ml": "volume"}


class ProtocolBuilder(BuilderBase):
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
            formula = _formula(t, ref)
            phases, sessions, smin, smax = _schedule(t)
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
                cites=self.cites(t),
            )
            self.check_protocol_technique(t, proto, ref["techniques"][technique])
            if not proto.concerns or not proto.areas:
                raise t.error("areas", "a protocol needs at least one concern and one area")
            out[slug] = proto
        return out

    def cites(self, t: Table) -> MappingProxyType[str, tuple[str, Source]]:
        """Per-field grade and source of a layout figure that has its own citation."""
        return MappingProxyType(
            {
                name: (self.grade(t, f"{short}_grade"), self.source(t, f"{short}_source"))
                for name, short in _CITED_FIELDS.items()
                if f"{short}_grade" in t.data or f"{short}_source" in t.data
            }
        )

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


def _formula(t: Table, ref: dict[str, Any]) -> dict[str, float]:
    """The protocol's own formula; a protocol gives either that or products."""
    formula_t = t.table("formula", None)
    formula: dict[str, float] = {}
    if formula_t is not None:
        for ing in formula_t.data:
            if ing not in ref["ingredients"]:
                raise formula_t.error(ing, "unknown ingredient")
            formula[ing] = formula_t.number(ing)
    if bool(formula) == bool(t.texts("products")):
        raise t.error("products", "give either products or formula")
    return formula


def _schedule(t: Table) -> tuple[tuple[Phase, ...], int, int, int]:
    """Phases, sessions, and the range of sessions; the phases add up to the sessions."""
    phases = tuple(
        Phase(p.integer("sessions"), p.integer("interval_days")) for p in t.tables("phases")
    )
    sessions = t.integer("sessions")
    if not phases or sum(p.sessions for p in phases) != sessions:
        raise t.error("phases", f"the phases must add up to {sessions} sessions")
    smin, smax = t.integer("sessions_min"), t.integer("sessions_max")
    if not smin <= sessions <= smax:
        raise t.error("sessions", "need sessions_min <= sessions <= sessions_max")
    return phases, sessions, smin, smax
