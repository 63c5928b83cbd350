"""Synthetic faces: drawn, not photographed, so that no one's privacy depends on the
demo clinic's photos or the tests'.

A face is a small 3D model in millimetres (the patient's right on the viewer's left),
which may be made asymmetric, turned (yaw), tilted (roll), zoomed and moved, then
projected and drawn with Pillow. The drawing returns the landmarks where they landed,
in pixels, so a test knows the answer the symmetry measure must recover.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

Point = tuple[float, float]

# One side of a symmetric face (lateral x of the patient's right, y down, depth z
# towards the camera), in mm; midline points have x = 0. Inter-pupillary 62 mm.
HALF: dict[str, tuple[float, float, float]] = {
    "pupil": (31, 0, 0),
    "eye-inner": (16, 1, -2),
    "eye-outer": (46, 2, -8),
    "brow-peak": (36, -18, 2),
    "alar-base": (17, 42, 4),
    "mouth-corner": (25, 62, 2),
    "cheek": (45, 30, 0),
    "jaw-angle": (55, 80, -40),
}
MID: dict[str, tuple[float, float, float]] = {
    "glabella": (0, -14, 8),
    "nasion": (0, -4, 4),
    "subnasale": (0, 45, 20),
    "chin": (0, 105, 6),
}
SKIN = (224, 186, 160)
BACKGROUND = (70, 92, 110)


@dataclass(frozen=True)
class Face:
    """How to draw one face. ``moved`` displaces landmarks (mm, x out to the viewer's
    right, y down) before the photo: the asymmetry the measure should find."""

    moved: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    yaw: float = 0.0
    roll: float = 0.0
    centre: Point = (480.0, 560.0)
    px_per_mm: float = 4.0
    size: tuple[int, int] = (960, 1280)
    # A fuller right cheek (mm): seed 004's "one cheek is slightly rounder".
    cheek_fullness: float = 0.0


def _model(face: Face) -> dict[str, tuple[float, float, float]]:
    points: dict[str, tuple[float, float, float]] = {}
    for key, (x, y, z) in HALF.items():
        points[f"{key}-right"] = (-x, y, z)
        points[f"{key}-left"] = (x, y, z)
    points.update(MID)
    for key, (dx, dy) in face.moved.items():
        x, y, z = points[key]
        points[key] = (x + dx, y + dy, z)
    return points


def project(face: Face, x: float, y: float, z: float) -> Point:
    """A model point (mm) where the camera sees it (px)."""
    t, r = math.radians(face.yaw), math.radians(face.roll)
    x, z = x * math.cos(t) + z * math.sin(t), -x * math.sin(t) + z * math.cos(t)
    x, y = x * math.cos(r) - y * math.sin(r), x * math.sin(r) + y * math.cos(r)
    return (face.centre[0] + x * face.px_per_mm, face.centre[1] + y * face.px_per_mm)


def landmarks(face: Face) -> dict[str, Point]:
    """Where each landmark of the face lands in the photo, in pixels."""
    return {key: project(face, *p) for key, p in _model(face).items()}


def draw(face: Face) -> tuple[Image.Image, dict[str, Point]]:
    """The face as an RGB image, and its landmarks in pixels."""
    image = Image.new("RGB", face.size, BACKGROUND)
    pen = ImageDraw.Draw(image)
    at = landmarks(face)
    model = _model(face)

    def p(x: float, y: float, z: float = 0.0) -> Point:
        return project(face, x, y, z)

    # Head outline: temples, cheeks, jaw angles and chin.
    right_cheek = model["cheek-right"][0] - face.cheek_fullness
    outline = [
        p(-58, -70, -30), p(-66, -20, -30), p(right_cheek - 16, 30, -20),
        at["jaw-angle-right"], p(-30, 100, -10), at["chin"], p(30, 100, -10),
        at["jaw-angle-left"], p(model["cheek-left"][0] + 16, 30, -20), p(66, -20, -30),
        p(58, -70, -30), p(0, -92, -20),
    ]  # fmt: skip
    pen.polygon(outline, fill=SKIN, outline=(150, 110, 90))
    # Cheek prominences, a little rosier.
    for side in ("right", "left"):
        cx, cy = at[f"cheek-{side}"]
        r = 9 * face.px_per_mm * (1 + (face.cheek_fullness / 10 if side == "right" else 0))
        pen.ellipse((cx - r, cy - r * 0.7, cx + r, cy + r * 0.7), fill=(230, 170, 150))
    for side in ("right", "left"):
        inner, outer, pupil = at[f"eye-inner-{side}"], at[f"eye-outer-{side}"], at[f"pupil-{side}"]
        half_height = 4.5 * face.px_per_mm
        pen.polygon(
            [inner, (pupil[0], pupil[1] - half_height), outer, (pupil[0], pupil[1] + half_height)],
            fill=(245, 245, 240),
            outline=(90, 60, 50),
        )
        r = 3.2 * face.px_per_mm
        pen.ellipse((pupil[0] - r, pupil[1] - r, pupil[0] + r, pupil[1] + r), fill=(60, 90, 60))
        r = 1.4 * face.px_per_mm
        pen.ellipse((pupil[0] - r, pupil[1] - r, pupil[0] + r, pupil[1] + r), fill=(10, 10, 10))
        brow = at[f"brow-peak-{side}"]
        ends = [
            p(-14 if side == "right" else 14, -12, 4),
            brow,
            p(-52 if side == "right" else 52, -10, -6),
        ]
        pen.line(ends, fill=(90, 60, 40), width=int(2.5 * face.px_per_mm))
    # Nose: the bridge from the nasion, the alar bases and the subnasale.
    pen.line([at["nasion"], at["subnasale"]], fill=(170, 120, 100), width=int(1.5 * face.px_per_mm))
    for side in ("right", "left"):
        x, y = at[f"alar-base-{side}"]
        r = 3 * face.px_per_mm
        pen.ellipse((x - r, y - r, x + r, y + r), outline=(150, 100, 85), width=3)
    # Mouth: the two corners and the lips between.
    right, left = at["mouth-corner-right"], at["mouth-corner-left"]
    upper, lower = p(0, 59, 8), p(0, 67, 8)
    pen.polygon([right, upper, left, lower], fill=(180, 90, 90), outline=(130, 60, 60))
    return image, at
