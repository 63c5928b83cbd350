"""The symmetry overlay picture: what the measure saw, drawn over the photo.

In the original image's pixels (the SVG's viewBox), so that it lies on the screen image
whatever its displayed size: the facial midline; for each measured pair, the right-side
landmark and, as a ring, the left-side landmark mirrored across the midline (on a
symmetric face the two coincide; the line between them is the asymmetry); the largest
asymmetries labelled in millimetres when a ruler was placed, else in % of the distance
between the pupils.
"""

from dataclasses import dataclass

from mesoclinic.photos.models import Landmarks, Photo
from mesoclinic.rules import symmetry

CHAR_EM = 0.6  # a bold sans-serif character's width, in ems, to estimate a label's length


@dataclass(frozen=True)
class Mark:
    name: str
    right: tuple[float, float]
    mirrored_left: tuple[float, float]
    label: str  # "" for a pair not among the largest
    label_at: tuple[float, float]
    label_anchor: str  # SVG text-anchor: "end" left of the point, "start" right


@dataclass(frozen=True)
class Overlay:
    width: int
    height: int
    midline: tuple[tuple[float, float], tuple[float, float]]
    marks: tuple[Mark, ...]
    stroke: float  # line width and label size scale with the image
    font: float


def size_label(pair: symmetry.PairAsymmetry) -> str:
    if pair.horizontal_mm is not None and pair.vertical_mm is not None:
        return f"{(pair.horizontal_mm**2 + pair.vertical_mm**2) ** 0.5:.1f} mm"
    return f"{pair.total_pct:.1f}%"


def place_label(
    label: str, at: tuple[float, float], width: int, font: float
) -> tuple[tuple[float, float], str]:
    """Where a label is written: left of its point, as the patient's right side is on the
    viewer's left; to its right when it would run off the photo's left edge (an SVG
    clips what leaves it, and a frontal photo's face fills the frame)."""
    gap, length = font * 0.6, len(label) * font * CHAR_EM
    x, y = at[0], at[1] - font * 0.5
    if x - gap - length >= 0:
        return (x - gap, y), "end"
    return (max(0.0, min(x + gap, width - length)), y), "start"


def draw(placed: Landmarks, photo: Photo, result: symmetry.Symmetry) -> Overlay:
    # Named on the picture: the largest (`Symmetry.largest`) that show at all once rounded.
    labelled = {p.key: f"{p.name}: {size_label(p)}" for p in result.largest if p.total_pct >= 0.05}
    top, bottom = result.midline
    # Across the whole image height, not only the face: the eye follows a long line.
    dx, dy = bottom[0] - top[0], bottom[1] - top[1]
    reach = photo.height / max(abs(dy), 1e-9)
    midline = (
        (top[0] - dx * reach, top[1] - dy * reach),
        (bottom[0] + dx * reach, bottom[1] + dy * reach),
    )
    scale = max(photo.width, photo.height)
    font = scale / 36
    marks = []
    for pair in result.pairs:
        right = placed.point(f"{pair.key}-right", photo.width, photo.height)
        left = placed.point(f"{pair.key}-left", photo.width, photo.height)
        if right is None or left is None:
            continue
        label = labelled.get(pair.key, "")
        label_at, anchor = place_label(label, right, photo.width, font)
        marks.append(
            Mark(
                pair.name,
                right,
                symmetry.reflect(left, result.midline),
                label,
                label_at,
                anchor,
            )
        )
    return Overlay(photo.width, photo.height, midline, tuple(marks), stroke=scale / 400, font=font)
