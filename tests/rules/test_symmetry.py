"""Facial symmetry from landmarks of synthetic faces with known asymmetry, and the
pupil alignment of two photos of one face. No photo of anyone: a face model in mm."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesoclinic.rules import RulesInputError, symmetry
from mesoclinic.rules.symmetry import LANDMARKS, align, measure

# A symmetric face, in mm: (lateral x of the patient's right side, y down, depth z
# towards the camera). Midline points have x = 0. IPD 62 mm.
HALF = {
    "pupil": (31, 0, 0),
    "eye-inner": (16, 1, -2),
    "eye-outer": (46, 2, -8),
    "brow-peak": (36, -18, 2),
    "alar-base": (17, 42, 4),
    "mouth-corner": (25, 62, 2),
    "cheek": (45, 30, 0),
    "jaw-angle": (55, 80, -40),
}
MID = {"glabella": (0, -14, 8), "nasion": (0, -4, 4), "subnasale": (0, 45, 20), "chin": (0, 105, 6)}


def face(*, moved=None, yaw=0.0, roll=0.0, shift=(500.0, 400.0), px_per_mm=4.0):
    """The landmarks of the face photographed frontally, in pixels: ``moved`` displaces
    some landmarks (mm, before the photo), the head is turned by ``yaw`` and tilted by
    ``roll`` degrees, then projected (orthographic) and placed at ``shift``."""
    points = {}
    for key, (x, y, z) in HALF.items():
        points[f"{key}-right"] = (-x, y, z)  # patient's right: viewer's left
        points[f"{key}-left"] = (x, y, z)
    points.update(MID)
    for key, (dx, dy) in (moved or {}).items():
        x, y, z = points[key]
        points[key] = (x + dx, y + dy, z)
    t, r = math.radians(yaw), math.radians(roll)
    out = {}
    for key, (x, y, z) in points.items():
        x, z = x * math.cos(t) + z * math.sin(t), -x * math.sin(t) + z * math.cos(t)
        x, y = x * math.cos(r) - y * math.sin(r), x * math.sin(r) + y * math.cos(r)
        out[key] = (shift[0] + x * px_per_mm, shift[1] + y * px_per_mm)
    return out


def pair(result, key):
    return next(p for p in result.pairs if p.key == key)


def test_a_symmetric_face_scores_100():
    result = measure(face())
    assert result.index == pytest.approx(100)
    assert result.mirror_score_pct == pytest.approx(0, abs=1e-9)
    assert result.ipd_px == pytest.approx(62 * 4)
    assert result.unsuitable == ()


def test_a_known_asymmetry_is_recovered_in_percent_of_ipd_and_mm():
    # The left mouth corner 3.1 mm further out and 1.24 mm lower: 5% and 2% of IPD.
    result = measure(face(moved={"mouth-corner-left": (3.1, 1.24)}), mm_per_px=0.25)
    mouth = pair(result, "mouth-corner")
    assert mouth.horizontal_pct == pytest.approx(-5.0, abs=0.05)
    assert mouth.vertical_pct == pytest.approx(-2.0, abs=0.05)
    assert mouth.horizontal_mm == pytest.approx(-3.1, abs=0.02)
    assert result.largest[0].key == "mouth-corner"
    assert all(abs(pair(result, k).total_pct) < 0.1 for k in HALF if k != "mouth-corner")
    assert result.index == pytest.approx(100 - math.hypot(5, 2) / len(HALF), abs=0.05)
    assert result.mirror_score_pct > 0.5


@given(
    roll=st.floats(-4.5, 4.5),
    x=st.floats(100, 900),
    y=st.floats(100, 900),
    zoom=st.floats(2, 8),
)
def test_the_measure_ignores_where_the_face_is_and_a_small_tilt(roll, x, y, zoom):
    moved = {"cheek-left": (2.0, 0.0), "jaw-angle-right": (0.0, 3.0)}
    still = measure(face(moved=moved))
    other = measure(face(moved=moved, roll=roll, shift=(x, y), px_per_mm=zoom))
    assert other.index == pytest.approx(still.index, abs=1e-6)
    assert other.mirror_score_pct == pytest.approx(still.mirror_score_pct, abs=1e-6)
    assert other.roll_deg == pytest.approx(roll, abs=1e-6)
    assert other.unsuitable == ()


def test_a_tilted_or_turned_head_is_flagged_as_unsuitable():
    tilted = measure(face(roll=8))
    assert tilted.unsuitable == ("the head is tilted 8° (more than 5°)",)
    turned = measure(face(yaw=25))
    assert turned.yaw_deg == pytest.approx(25, abs=1.5)
    assert turned.unsuitable == ("the head is turned about 25° (more than 10°)",)
    slightly = measure(face(yaw=-6))
    assert slightly.yaw_deg == pytest.approx(-6, abs=1) and slightly.unsuitable == ()
    assert measure({k: v for k, v in face().items() if k != "subnasale"}).yaw_deg is None


def test_without_midline_points_the_pupils_give_the_midline():
    landmarks = {k: v for k, v in face(moved={"alar-base-left": (2.48, 0)}).items() if "-" in k}
    assert pair(measure(landmarks), "alar-base").horizontal_pct == pytest.approx(-4.0, abs=0.05)


def test_impossible_landmarks_are_refused():
    base = face()
    with pytest.raises(RulesInputError, match="unknown landmark"):
        measure({**base, "ear": (1, 1)})
    with pytest.raises(RulesInputError, match="both pupils"):
        measure({k: v for k, v in base.items() if k != "pupil-left"})
    with pytest.raises(RulesInputError, match="at least one pair"):
        measure({"pupil-right": (1, 1), "pupil-left": (100, 1)})
    with pytest.raises(RulesInputError, match="number"):
        measure({**base, "chin": (float("nan"), 3)})
    with pytest.raises(RulesInputError, match="same place"):
        measure({**base, "pupil-left": base["pupil-right"]})
    with pytest.raises(RulesInputError, match="positive"):
        measure(base, mm_per_px=0)
    assert len(LANDMARKS) == 20


@given(
    angle=st.floats(-30, 30),
    scale=st.floats(0.5, 2),
    dx=st.floats(-200, 200),
    dy=st.floats(-200, 200),
)
def test_two_photos_of_a_face_shifted_and_rotated_line_up_by_their_pupils(angle, scale, dx, dy):
    fixed = face()
    moving = face(roll=angle, shift=(500 + dx, 400 + dy), px_per_mm=4 * scale)
    transform = align(
        (moving["pupil-right"], moving["pupil-left"]), (fixed["pupil-right"], fixed["pupil-left"])
    )
    for key in ("chin", "mouth-corner-left", "jaw-angle-right"):
        x, y = transform.apply(moving[key])
        assert (x, y) == pytest.approx(fixed[key], abs=1e-6)
    back = transform.inverse()
    assert back.apply(transform.apply((10.0, 20.0))) == pytest.approx((10.0, 20.0), abs=1e-6)


@pytest.mark.parametrize("angle", [0.0, 3.0, -20.0, 90.0])
def test_a_point_reflected_across_the_midline_lands_on_its_mirror_image(angle):
    """On a face tilted by `angle`, the left pupil mirrored across the midline is the
    right pupil; reflecting twice gives the point back."""
    t = math.radians(angle)
    down = (-math.sin(t), math.cos(t))
    midline = ((100.0, 100.0), (100.0 + 50 * down[0], 100.0 + 50 * down[1]))
    across = (math.cos(t), math.sin(t))
    right = (100 - 30 * across[0] + 10 * down[0], 100 - 30 * across[1] + 10 * down[1])
    left = (100 + 30 * across[0] + 10 * down[0], 100 + 30 * across[1] + 10 * down[1])
    assert symmetry.reflect(left, midline) == pytest.approx(right, abs=1e-9)
    assert symmetry.reflect(symmetry.reflect((3.0, 7.0), midline), midline) == pytest.approx(
        (3.0, 7.0)
    )
