"""Plane geometry for area outlines and injection points (millimetres, y down).

Points are laid on a hexagonal grid clipped to the outline row by row: each
row's inside stretches come from the polygon's edge crossings, so a layout costs
one pass over the edges per row instead of a point-in-polygon test per point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]

# Output coordinates are rounded to 0.01 mm; the grid pitch is widened by more
# than the worst rounding shift of two points (2 * 0.005 * sqrt 2 = 0.0142 mm),
# so rounding can never bring two points closer than the stated spacing.
ROUND_DIGITS = 2
PITCH_MARGIN_MM = 0.02


def polygon_area(poly: Sequence[Point]) -> float:
    """Area in mm2 (shoelace formula), whatever the winding."""
    total = 0.0
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def centroid(poly: Sequence[Point]) -> Point:
    signed = 0.0
    cx = cy = 0.0
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        cross = x1 * y2 - x2 * y1
        signed += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    signed /= 2.0
    return (cx / (6.0 * signed), cy / (6.0 * signed))


def scale_about(points: Sequence[Point], origin: Point, factor: float) -> tuple[Point, ...]:
    ox, oy = origin
    return tuple((ox + (x - ox) * factor, oy + (y - oy) * factor) for x, y in points)


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def orient(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2 = orient(c, d, a), orient(c, d, b)
    d3, d4 = orient(a, b, c), orient(a, b, d)
    return (d1 * d2 < 0) and (d3 * d4 < 0)


def is_simple_polygon(poly: Sequence[Point]) -> bool:
    """True when no two non-adjacent edges cross (enough to catch a mistyped vertex)."""
    n = len(poly)
    edges = [(poly[i], poly[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if _segments_cross(*edges[i], *edges[j]):
                return False
    return True


def _row_crossings(poly: Sequence[Point], y: float) -> list[float]:
    xs = []
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        # Half-open rule: a vertex on the row counts once, never twice.
        if (y1 <= y < y2) or (y2 <= y < y1):
            xs.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    xs.sort()
    return xs


def contains(poly: Sequence[Point], p: Point) -> bool:
    """Even-odd point-in-polygon test; points on an edge may go either way."""
    x, y = p
    return sum(1 for cx in _row_crossings(poly, y) if cx > x) % 2 == 1


def distance_to_path(p: Point, path: Sequence[Point]) -> float:
    """Shortest distance from ``p`` to a polyline (a single point counts as a path)."""
    if len(path) == 1:
        return math.dist(p, path[0])
    best = math.inf
    px, py = p
    for (ax, ay), (bx, by) in zip(path, path[1:], strict=False):
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
        best = min(best, math.hypot(px - (ax + t * dx), py - (ay + t * dy)))
    return best


def hex_grid(
    poly: Sequence[Point],
    spacing: float,
    keep_clear: Sequence[tuple[Sequence[Point], float]] = (),
) -> list[Point]:
    """Points inside ``poly``, no two closer than ``spacing``, in row order.

    The grid is centred on the outline's bounding box so that a symmetric outline
    gets a symmetric layout, and its mirror image gets the mirrored points.
    ``keep_clear`` lists (path, margin) pairs: no point lies within margin of path.
    """
    if spacing <= 0:
        raise ValueError("spacing must be positive")
    pitch = spacing + PITCH_MARGIN_MM
    row_step = pitch * math.sqrt(3) / 2
    xs = [x for x, _ in poly]
    ys = [y for _, y in poly]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    rows_up = math.ceil((cy - min(ys)) / row_step)
    rows_down = math.ceil((max(ys) - cy) / row_step)
    points: list[Point] = []
    for r in range(-rows_up, rows_down + 1):
        # Crossings are taken at the rounded row, and the inside test is made on
        # the rounded x, so the point that is output is the point that was tested.
        y = round(cy + r * row_step, ROUND_DIGITS)
        offset = pitch / 2 if r % 2 else 0.0
        crossings = _row_crossings(poly, y)
        for left, right in zip(crossings[::2], crossings[1::2], strict=False):
            k_lo = math.floor((left - cx - offset) / pitch)
            k_hi = math.ceil((right - cx - offset) / pitch)
            for k in range(k_lo, k_hi + 1):
                x = round(cx + offset + k * pitch, ROUND_DIGITS)
                if left < x < right:
                    points.append((x, y))
    if keep_clear:
        points = [
            p for p in points if all(distance_to_path(p, path) >= m for path, m in keep_clear)
        ]
    return points


def evenly_chosen(points: Sequence[Point], count: int) -> list[Point]:
    """``count`` of ``points`` spread over the whole sequence (a subset keeps the spacing)."""
    n = len(points)
    if count >= n:
        return list(points)
    if count <= 0:
        return []
    return [points[(2 * i + 1) * n // (2 * count)] for i in range(count)]


def min_pair_distance(points: Sequence[Point]) -> float:
    """Smallest distance between two points (inf for fewer than two).

    Sweep in x order and stop comparing once the x gap alone exceeds the best so
    far: near-linear for spread-out injection points, where all-pairs would not be.
    """
    ordered = sorted(points)
    best = math.inf
    for i, p in enumerate(ordered):
        for q in ordered[i + 1 :]:
            if q[0] - p[0] >= best:
                break
            best = min(best, math.dist(p, q))
    return best
