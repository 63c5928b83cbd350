"""Injection points: inside the outline, never closer than the spacing, clear of nerves."""

from __future__ import annotations

import pytest

from mesoclinic.rules import layout


def test_points_respect_the_submental_keep_clear_zones(plan_for):
    area = plan_for("localized-fat:submental").areas[0]
    assert area.keep_clear
    for zone in area.keep_clear:
        for p in area.points:
            assert layout.distance_to_path(p, zone.path) >= zone.margin_mm


def test_explicit_points_in_the_keep_clear_zone_stop(plan_for):
    area = plan_for("localized-fat:submental").areas[0]
    zone = area.keep_clear[0]
    near_nerve = next(
        p
        for p in layout.hex_grid(area.outline, 2)
        if layout.distance_to_path(p, zone.path) < zone.margin_mm
    )
    plan = plan_for("localized-fat:submental", points=[near_nerve])
    (stop,) = plan.hard_stops
    assert stop.code == "KEEP_CLEAR_ZONE" and "marginal mandibular nerve" in stop.message


def test_a_measured_area_scales_the_outline(plan_for):
    small = plan_for("localized-fat:abdomen", area_cm2=200).areas[0]
    large = plan_for("localized-fat:abdomen", area_cm2=800).areas[0]
    assert layout.polygon_area(small.outline) / 100 == pytest.approx(200, rel=0.001)
    assert layout.polygon_area(large.outline) / 100 == pytest.approx(800, rel=0.001)
    assert len(large.points) > 3 * len(small.points)


def test_left_side_points_mirror_the_right_side(plan_for, ref):
    plan = plan_for("cellulite:thighs-outer")
    right, left = plan.areas
    mid = ref.views["body-front"].midline_x_mm
    mirrored = {(round(2 * mid - x, 2), y) for x, y in right.points}
    assert mirrored == set(left.points)


def test_needle_free_areas_have_no_points(plan_for):
    area = plan_for("skin-rejuvenation:cheeks:electroporation-needle-free").areas[0]
    assert area.points == () and area.depth_mm is None and area.total_volume_ml == 5.0


def test_hex_grid_on_a_square():
    square = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)]
    points = layout.hex_grid(square, 10)
    assert all(layout.contains(square, p) for p in points)
    assert layout.min_pair_distance(points) >= 10
    assert 100 <= len(points) <= 116  # about 1/(0.866 x 1 cm2) per cm2


def test_evenly_chosen_spreads_over_the_sequence():
    points = [(float(i), 0.0) for i in range(10)]
    assert layout.evenly_chosen(points, 2) == [(2.0, 0.0), (7.0, 0.0)]
    assert layout.evenly_chosen(points, 20) == points
