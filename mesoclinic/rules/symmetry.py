"""Facial symmetry from landmarks placed on a frontal photograph, and the similarity
transform that lines two photographs up by their pupils.

Coordinates are image pixels (x to the right, y down). Sides are the patient's: the
patient's right is on the viewer's left of a frontal photo. From the landmarks:

- the facial midline, fitted through the midline points (glabella, nasion,
  subnasale, chin) by least squares, or the perpendicular bisector of the pupils when
  fewer than two are placed;
- each pair's asymmetry: the difference of the two sides' distances to the midline
  and their offset along it, as a percentage of the inter-pupillary distance (IPD),
  and in millimetres when the photo's scale is known;
- the symmetry index: 100 minus the mean pair asymmetry (its length, % of IPD);
- the mirror-and-superimpose score: the face mirrored and laid on itself by the best
  rotation and shift (orthogonal Procrustes, scipy), the mean distance between each
  landmark and its mirrored partner, % of IPD; it needs no midline;
- head roll (the tilt of the line between the pupils) and yaw (turn, estimated from
  how far the subnasale sits off the pupils' bisector, for an average face's nose
  depth); a photo tilted more than 5° or turned more than 10° is flagged as
  unsuitable for measurement.

These are measurements of a photograph, not clinical limits; the tolerances are a
photography convention of this project (no source gives one), stated on the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.linalg import orthogonal_procrustes

from .errors import RulesInputError

Point = tuple[float, float]

# Paired landmarks: (key, name). Each is placed as "<key>-right" and "<key>-left".
PAIRS: tuple[tuple[str, str], ...] = (
    ("pupil", "Pupils"),
    ("eye-inner", "Inner eye corners"),
    ("eye-outer", "Outer eye corners"),
    ("brow-peak", "Brow peaks"),
    ("alar-base", "Alar bases"),
    ("mouth-corner", "Mouth corners"),
    ("cheek", "Cheek prominences"),
    ("jaw-angle", "Jaw angles"),
)
MIDLINE: tuple[tuple[str, str], ...] = (
    ("glabella", "Glabella"),
    ("nasion", "Nasion"),
    ("subnasale", "Subnasale"),
    ("chin", "Chin"),
)
SIDES = ("right", "left")
LANDMARKS: tuple[str, ...] = tuple(f"{k}-{s}" for k, _ in PAIRS for s in SIDES) + tuple(
    k for k, _ in MIDLINE
)
# Tolerances of a measurable frontal photo: this project's convention, no source.
ROLL_TOLERANCE_DEG = 5.0
YAW_TOLERANCE_DEG = 10.0
# How far in front of the pupils an average face's subnasale sits, in IPDs (about
# 20 mm for a 62 mm IPD): an average-face assumption of the yaw estimate, a
# measurement aid and not a clinical figure.
NOSE_DEPTH_IPD = 0.32


@dataclass(frozen=True)
class PairAsymmetry:
    key: str
    name: str
    horizontal_pct: float  # right's distance to the midline minus left's, % of IPD
    vertical_pct: float  # right's position along the midline minus left's (down +)
    total_pct: float
    horizontal_mm: float | None = None
    vertical_mm: float | None = None


@dataclass(frozen=True)
class Symmetry:
    ipd_px: float
    midline: tuple[Point, Point]  # two points on the midline, top and bottom
    pairs: tuple[PairAsymmetry, ...]
    index: float  # 100 = perfectly symmetric
    mirror_score_pct: float
    roll_deg: float
    yaw_deg: float | None  # None: the subnasale is not placed
    unsuitable: tuple[str, ...]  # why the photo should not be measured, if it should not

    @property
    def largest(self) -> tuple[PairAsymmetry, ...]:
        return tuple(sorted(self.pairs, key=lambda p: -p.total_pct)[:3])


def _point(landmarks: Mapping[str, Point], key: str) -> np.ndarray:
    value = landmarks[key]
    if (
        not isinstance(value, tuple | list)
        or len(value) != 2
        or not all(isinstance(c, int | float) and math.isfinite(c) for c in value)
    ):
        raise RulesInputError(f"landmarks.{key}", value, "must be an (x, y) pair of numbers")
    return np.asarray(value, dtype=float)


def _midline(
    landmarks: Mapping[str, Point], right: np.ndarray, left: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A point on the midline and its unit direction pointing down the face."""
    placed = [_point(landmarks, k) for k, _ in MIDLINE if k in landmarks]
    if len(placed) >= 2:
        points = np.vstack(placed)
        centre = points.mean(axis=0)
        _, _, vt = np.linalg.svd(points - centre)
        direction = vt[0]
    else:
        centre = (right + left) / 2
        across = right - left
        direction = np.array([-across[1], across[0]])
    direction = direction / np.linalg.norm(direction)
    if direction[1] < 0:
        direction = -direction
    return centre, direction


def measure(landmarks: Mapping[str, Point], *, mm_per_px: float | None = None) -> Symmetry:
    """Symmetry of a frontal face from its landmarks (at least the two pupils and one
    other pair). Unknown keys and impossible points raise :class:`RulesInputError`."""
    _check(landmarks, mm_per_px)
    right, left = _point(landmarks, "pupil-right"), _point(landmarks, "pupil-left")
    ipd = float(np.linalg.norm(right - left))
    if ipd < 1:
        raise RulesInputError("landmarks", "pupils", "the pupils are at the same place")
    placed = [
        (k, name)
        for k, name in PAIRS
        if f"{k}-right" in landmarks and f"{k}-left" in landmarks and k != "pupil"
    ]
    if not placed:
        raise RulesInputError("landmarks", "pairs", "place at least one pair besides the pupils")
    centre, down = _midline(landmarks, right, left)
    across = np.array([down[1], -down[0]])  # towards the patient's left (viewer's right)

    def local(p: np.ndarray) -> tuple[float, float]:
        offset = p - centre
        return float(offset @ across), float(offset @ down)

    pairs = []
    for key, name in (("pupil", "Pupils"), *placed):
        rx, ry = local(_point(landmarks, f"{key}-right"))
        lx, ly = local(_point(landmarks, f"{key}-left"))
        horizontal, vertical = abs(rx) - abs(lx), ry - ly
        scale = 100 / ipd
        pairs.append(
            PairAsymmetry(
                key,
                name,
                horizontal * scale,
                vertical * scale,
                math.hypot(horizontal, vertical) * scale,
                horizontal * mm_per_px if mm_per_px else None,
                vertical * mm_per_px if mm_per_px else None,
            )
        )
    index = max(0.0, 100 - sum(p.total_pct for p in pairs) / len(pairs))
    roll = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
    yaw = _yaw(landmarks, right, left)
    top, bottom = centre - down * ipd * 1.5, centre + down * ipd * 1.5
    return Symmetry(
        ipd,
        ((float(top[0]), float(top[1])), (float(bottom[0]), float(bottom[1]))),
        tuple(pairs),
        index,
        _mirror_score(landmarks, placed, ipd),
        roll,
        yaw,
        _unsuitable(roll, yaw),
    )


def _check(landmarks: Mapping[str, Point], mm_per_px: float | None) -> None:
    for key in landmarks:
        if key not in LANDMARKS:
            raise RulesInputError("landmarks", key, "unknown landmark")
    if "pupil-right" not in landmarks or "pupil-left" not in landmarks:
        raise RulesInputError("landmarks", "pupils", "both pupils are needed")
    if mm_per_px is not None and not (math.isfinite(mm_per_px) and mm_per_px > 0):
        raise RulesInputError("mm_per_px", mm_per_px, "must be a positive number")


def _unsuitable(roll: float, yaw: float | None) -> tuple[str, ...]:
    found = []
    if abs(roll) > ROLL_TOLERANCE_DEG:
        found.append(f"the head is tilted {abs(roll):.0f}° (more than {ROLL_TOLERANCE_DEG:g}°)")
    if yaw is not None and abs(yaw) > YAW_TOLERANCE_DEG:
        found.append(f"the head is turned about {abs(yaw):.0f}° (more than {YAW_TOLERANCE_DEG:g}°)")
    return tuple(found)


def _yaw(landmarks: Mapping[str, Point], right: np.ndarray, left: np.ndarray) -> float | None:
    """Turn of the head, from how far the subnasale (in front of the eyes) sits off the
    perpendicular bisector of the pupils: tan(yaw) = offset / depth, the depth being an
    average face's (NOSE_DEPTH_IPD). None when the subnasale is not placed."""
    if "subnasale" not in landmarks:
        return None
    across = left - right
    ipd = float(np.linalg.norm(across))
    offset = float((_point(landmarks, "subnasale") - (right + left) / 2) @ (across / ipd))
    return math.degrees(math.atan2(offset, NOSE_DEPTH_IPD * ipd))


def _mirror_score(
    landmarks: Mapping[str, Point], placed: list[tuple[str, str]], ipd: float
) -> float:
    """Mean distance (% of IPD) between each landmark and its mirrored partner once the
    mirrored face is laid on the face by the best rotation and shift."""
    keys = [f"{k}-{s}" for k in ("pupil", *(k for k, _ in placed)) for s in SIDES]
    keys += [k for k, _ in MIDLINE if k in landmarks]
    partner = {
        **{f"{k}-right": f"{k}-left" for k, _ in PAIRS},
        **{f"{k}-left": f"{k}-right" for k, _ in PAIRS},
    }
    face = np.vstack([_point(landmarks, k) for k in keys])
    mirrored = np.vstack([_point(landmarks, partner.get(k, k)) for k in keys]) * [-1.0, 1.0]
    face_c, mirror_c = face - face.mean(axis=0), mirrored - mirrored.mean(axis=0)
    rotation, _ = orthogonal_procrustes(mirror_c, face_c)
    laid = mirror_c @ rotation
    return float(np.linalg.norm(laid - face_c, axis=1).mean() / ipd * 100)


def reflect(point: Point, midline: tuple[Point, Point]) -> Point:
    """The point mirrored across the midline: where a landmark's partner would be on a
    perfectly symmetric face (what the overlay picture draws beside the partner)."""
    a, b = np.asarray(midline[0], dtype=float), np.asarray(midline[1], dtype=float)
    direction = (b - a) / np.linalg.norm(b - a)
    offset = np.asarray(point, dtype=float) - a
    mirrored = a + 2 * (offset @ direction) * direction - offset
    return float(mirrored[0]), float(mirrored[1])


@dataclass(frozen=True)
class Similarity:
    """x' = scale * R(angle) x + shift: maps a point of one photo onto another."""

    scale: float
    angle_deg: float
    shift: Point

    def apply(self, p: Point) -> Point:
        a = math.radians(self.angle_deg)
        x, y = p
        return (
            self.scale * (math.cos(a) * x - math.sin(a) * y) + self.shift[0],
            self.scale * (math.sin(a) * x + math.cos(a) * y) + self.shift[1],
        )

    def inverse(self) -> Similarity:
        a = -math.radians(self.angle_deg)
        s = 1 / self.scale
        tx, ty = self.shift
        return Similarity(
            s,
            -self.angle_deg,
            (
                -s * (math.cos(a) * tx - math.sin(a) * ty),
                -s * (math.sin(a) * tx + math.cos(a) * ty),
            ),
        )


def align(moving: tuple[Point, Point], fixed: tuple[Point, Point]) -> Similarity:
    """The similarity transform that puts the two pupils of one photo (`moving`: right,
    left) on those of another (`fixed`), so differences are not camera differences."""
    m1, m2 = (np.asarray(p, dtype=float) for p in moving)
    f1, f2 = (np.asarray(p, dtype=float) for p in fixed)
    dm, df = m2 - m1, f2 - f1
    if np.linalg.norm(dm) < 1 or np.linalg.norm(df) < 1:
        raise RulesInputError("pupils", "", "the two pupils are at the same place")
    scale = float(np.linalg.norm(df) / np.linalg.norm(dm))
    angle = math.atan2(df[1], df[0]) - math.atan2(dm[1], dm[0])
    c, s = math.cos(angle), math.sin(angle)
    shift = f1 - scale * np.array([c * m1[0] - s * m1[1], s * m1[0] + c * m1[1]])
    return Similarity(scale, math.degrees(angle), (float(shift[0]), float(shift[1])))
