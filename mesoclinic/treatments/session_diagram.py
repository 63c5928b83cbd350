"""Charted areas drawn on their diagram: the plan's points still to do, the points done.

A charted row keeps the points actually injected (``SessionArea.points``, in the
reference's millimetres). Plan points not yet marked are drawn hollow; tapping one
marks it done, tapping a done point unmarks it, tapping elsewhere in the area adds a
point where the needle actually went.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mesoclinic import rules
from mesoclinic.plans.diagram import Zoomed, area_sides, bounding_box, svg_path
from mesoclinic.rules import layout
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession

TOLERANCE_MM = 0.05
TAP_TARGET_PX = 44
MIN_WIDTH_PX, MAX_WIDTH_PX = 220, 900


@dataclass
class ChartedDiagram(Zoomed):
    row_id: str
    name: str
    outline: str
    box: tuple[float, float, float, float]
    spacing: float | None
    done: list[tuple[float, float]]
    pending: list[tuple[float, float]]
    keep_clear: list[str] = field(default_factory=list)
    editable: bool = False

    @property
    def hit_radius(self) -> float:
        """Each point's tap target, in mm: half the spacing, so neighbours never overlap."""
        if self.spacing:
            return self.spacing / 2
        return max(self.box[2], self.box[3]) / 20

    @property
    def display_width(self) -> int:
        """Pixels wide enough for a 44 px tap target per point (WCAG 2.5.5), within the page."""
        mm_wide = self.box[2]
        wanted = math.ceil(TAP_TARGET_PX / (2 * self.hit_radius) * mm_wide)
        return max(MIN_WIDTH_PX, min(MAX_WIDTH_PX, wanted))


def same_point(a: Sequence[float], b: Sequence[float]) -> bool:
    return abs(a[0] - b[0]) <= TOLERANCE_MM and abs(a[1] - b[1]) <= TOLERANCE_MM


def session_areas(session: TreatmentSession) -> list[dict[str, Any]]:
    """The engine's areas for this session: the plan version's, or the ad hoc check's."""
    if session.plan_version is not None:
        return session.plan_version.result["areas"]
    return session.precheck.get("areas", [])


def planned_area(session: TreatmentSession, area: str, side: str) -> dict[str, Any] | None:
    """The engine's area dict for this area and side, if the session has one."""
    for planned in session_areas(session):
        if planned["area"] == area and (planned.get("side") or "") == (side or ""):
            return planned
    return None


def outline_for(session: TreatmentSession, area: str, side: str) -> list[tuple[float, float]]:
    planned = planned_area(session, area, side)
    if planned is not None:
        return [tuple(p) for p in planned["outline"]]
    ref_area = rules.load_reference().areas[area]
    return list(dict(area_sides(ref_area)).get(side or None, ref_area.outline))


def inside(session: TreatmentSession, area: str, side: str, point: layout.Point) -> bool:
    return layout.contains(outline_for(session, area, side), point)


def plan_points(session: TreatmentSession, area: str, side: str) -> list[list[float]]:
    planned = planned_area(session, area, side)
    return [list(p) for p in planned["points"]] if planned else []


def build(session: TreatmentSession, rows: Iterable[SessionArea]) -> list[ChartedDiagram]:
    """One diagram per charted injection area (non-injection modalities have no points)."""
    ref = rules.load_reference()
    diagrams = []
    for row in rows:
        if not ref.techniques[row.technique].injection:
            continue
        planned = planned_area(session, row.area, row.side)
        outline = outline_for(session, row.area, row.side)
        done = [(float(x), float(y)) for x, y in row.points]
        plan = [tuple(p) for p in planned["points"]] if planned else []
        pending = [p for p in plan if not any(same_point(p, d) for d in done)]
        name = ref.areas[row.area].name + (f" ({row.side})" if row.side else "")
        diagrams.append(
            ChartedDiagram(
                row_id=str(row.public_id),
                name=name,
                outline=svg_path(outline),
                box=bounding_box(outline),
                spacing=planned.get("spacing_mm") if planned else None,
                done=done,
                pending=pending,
                keep_clear=[svg_path(z["path"]) for z in (planned or {}).get("keep_clear", [])],
                editable=session.status == SessionStatus.IN_PROGRESS,
            )
        )
    return diagrams
