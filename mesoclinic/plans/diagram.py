"""Face and body diagrams as data for an SVG template, drawn from the rules' area outlines.

Coordinates stay in the reference's millimetres (the SVG viewBox), so a point the
engine placed at (x, y) is drawn exactly there and a tap maps straight back.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from mesoclinic import rules
from mesoclinic.rules.reference import Point
from mesoclinic.rules.reference import View as AreaView

# A polygon: (x, y) pairs, as the reference's tuples or the engine's JSON lists.
_Points = Sequence[Sequence[float]]

# Faint silhouettes so that areas read as a face or a body; purely decorative.
_SILHOUETTES = {
    "face-front": "M100 20 C40 20 28 90 30 160 C32 230 60 300 100 305 C140 300 168 230 170 160 "
    "C172 90 160 20 100 20 Z",
    "face-profile": "M150 20 C80 20 50 80 52 150 C54 210 70 250 95 290 L170 300 C175 270 180 250 "
    "200 235 C215 225 215 210 205 200 C220 190 222 170 210 160 L225 140 C230 90 210 20 150 20 Z",
    "body-front": "M300 30 C260 30 250 80 260 120 C265 150 280 170 280 180 C200 190 150 220 140 "
    "300 L90 700 L120 710 L180 420 L190 700 L200 1000 L220 1700 L290 1710 L300 1050 L310 1710 "
    "L380 1700 L400 1000 L410 700 L420 420 L480 710 L510 700 L460 300 C450 220 400 190 320 180 "
    "C320 170 335 150 340 120 C350 80 340 30 300 30 Z",
    "body-back": "M300 30 C260 30 250 80 260 120 C265 150 280 170 280 180 C200 190 150 220 140 "
    "300 L90 700 L120 710 L180 420 L190 700 L200 1000 L220 1700 L290 1710 L300 1050 L310 1710 "
    "L380 1700 L400 1000 L410 700 L420 420 L480 710 L510 700 L460 300 C450 220 400 190 320 180 "
    "C320 170 335 150 340 120 C350 80 340 30 300 30 Z",
}


def svg_path(points: _Points) -> str:
    if not points:
        return ""
    head, *rest = points
    return f"M{head[0]:.1f} {head[1]:.1f} " + " ".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + " Z"


def _label_at(points: _Points) -> tuple[float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


@dataclass
class Region:
    area: str
    side: str | None
    name: str
    path: str
    label_x: float
    label_y: float
    selected: bool = False


class Zoomed:
    """A close-up of one area: its box as the SVG viewBox, points sized to be tapped."""

    box: tuple[float, float, float, float]
    spacing: float | None

    @property
    def viewbox(self) -> str:
        return " ".join(f"{v:.1f}" for v in self.box)

    @property
    def point_radius(self) -> float:
        # A third of the spacing: as large as possible to tap, never touching a neighbour.
        if self.spacing:
            return self.spacing / 3
        return max(self.box[2], self.box[3]) / 60


@dataclass
class PlannedArea(Zoomed):
    item: int
    area: str
    side: str | None
    name: str
    outline: str
    points: list[tuple[int, float, float]]
    keep_clear: list[str] = field(default_factory=list)
    box: tuple[float, float, float, float] = (0, 0, 1, 1)
    spacing: float | None = None
    overview_radius: float = 1.2
    editable: bool = False

    @property
    def overview_dots(self) -> SafeString:
        """The points on the whole-face or whole-body view, as one path of round dots."""
        if not self.points:
            return format_html("")
        d = " ".join(f"M{x:.1f} {y:.1f}h0" for _, x, y in self.points)
        return format_html(
            '<path class="dots" d="{}" stroke-width="{}"/>', d, f"{2 * self.overview_radius:.1f}"
        )

    @property
    def tappable_points(self) -> SafeString:
        """The close-up's points as SVG circles, built here rather than by the template
        (hundreds per plan); app.js turns a tap on one into a removal."""
        r = f"{self.point_radius:.2f}"
        if not self.editable:
            return format_html_join(
                "", '<circle class="point" cx="{}" cy="{}" r="{}"/>',
                ((f"{x:.1f}", f"{y:.1f}", r) for _, x, y in self.points),
            )  # fmt: skip
        return format_html_join(
            "",
            '<circle class="point" cx="{}" cy="{}" r="{}" data-index="{}" role="button"'
            ' tabindex="0" aria-label="Remove point {}"/>',
            ((f"{x:.1f}", f"{y:.1f}", r, i, n) for n, (i, x, y) in enumerate(self.points, 1)),
        )


def bounding_box(points: _Points, margin: float = 0.12) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    pad = max(w, h) * margin
    return (min(xs) - pad, min(ys) - pad, w + 2 * pad, h + 2 * pad)


@dataclass
class View:
    slug: str
    name: str
    width: float
    height: float
    silhouette: str
    regions: list[Region]
    planned: list[PlannedArea]

    @property
    def point_radius(self) -> float:
        return max(self.width / 160, 1.2)


def area_sides(area: rules.Area) -> list[tuple[str | None, tuple[Point, ...]]]:
    if not area.paired or area.view.midline_x_mm is None:
        return [(None, area.outline)]
    return [("right", area.outline), ("left", area.mirror(area.outline))]


def build_views(
    reference: rules.Reference,
    selected: set[tuple[str, str | None]],
    planned_areas: list[dict[str, Any]],
    editable: bool = False,
) -> list[View]:
    """Every view, its tappable regions, and the planned areas with their points.

    `planned_areas` are the engine's area dicts, each with the index of the plan
    item that produced it under "item"; `editable` makes their points tappable.
    """
    views = {
        slug: View(slug, v.name, v.width_mm, v.height_mm, _SILHOUETTES.get(slug, ""), [], [])
        for slug, v in _views(reference).items()
    }
    for area in reference.areas.values():
        for side, outline in area_sides(area):
            x, y = _label_at(outline)
            views[area.view.slug].regions.append(
                Region(
                    area.slug,
                    side,
                    area.name,
                    svg_path(outline),
                    x,
                    y,
                    (area.slug, side) in selected or (area.slug, None) in selected,
                )
            )
    for planned in planned_areas:
        view = views.get(planned["view"])
        if view is None:
            continue
        name = reference.areas[planned["area"]].name
        view.planned.append(
            PlannedArea(
                item=planned["item"],
                area=planned["area"],
                side=planned.get("side"),
                name=f"{name} ({planned['side']})" if planned.get("side") else name,
                outline=svg_path(planned["outline"]),
                points=[(i, x, y) for i, (x, y) in enumerate(planned["points"])],
                keep_clear=[svg_path(z["path"]) for z in planned.get("keep_clear", [])],
                box=bounding_box(planned["outline"]),
                spacing=planned.get("spacing_mm"),
                overview_radius=view.point_radius,
                editable=editable,
            )
        )
    return [v for v in views.values()]


def _views(reference: rules.Reference) -> dict[str, AreaView]:
    seen: dict[str, AreaView] = {}
    for area in reference.areas.values():
        seen.setdefault(area.view.slug, area.view)
    order = ["face-front", "face-profile", "body-front", "body-back"]
    return {
        slug: seen[slug] for slug in sorted(seen, key=lambda s: order.index(s) if s in order else 9)
    }
