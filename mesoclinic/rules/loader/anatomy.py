"""Views and areas: outlines checked against their stated size and side."""

from __future__ import annotations

from collections.abc import Mapping

from .. import layout
from ..reference import (
    Area,
    KeepClear,
    Point,
    View,
)
from ..toml_tables import Table
from .base import BuilderBase

# An outline may differ a little from its stated area (rounded vertices); more
# than this means the drawing and the number disagree.
_AREA_TOLERANCE = 0.05


class AnatomyBuilder(BuilderBase):
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
