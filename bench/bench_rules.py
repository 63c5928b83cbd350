"""Time the rules engine: a three-area plan, and the layout of the largest area.

    python bench/bench_rules.py [--runs 300] [--json PATH]

Measures and prints; asserts nothing (the goal for a three-area plan is < 5 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mesoclinic.rules import (  # noqa: E402
    PatientProfile,
    TreatmentRequest,
    build_plan,
    layout,
    load_reference,
)

PROFILE = PatientProfile(
    weight_kg=68, birth_date=dt.date(1985, 4, 1), medications=("aspirin",), fitzpatrick=3
)
THREE_AREAS = [
    TreatmentRequest("localized-fat", "submental"),
    TreatmentRequest("skin-rejuvenation", "cheeks", protocol="skin-booster-ha"),
    TreatmentRequest("hair-loss", "scalp", protocol="hair-minoxidil"),
]


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    ref = load_reference()
    load_ms = (time.perf_counter() - t0) * 1000

    start = dt.date(2026, 3, 2)
    plan_ms = _median_ms(lambda: build_plan(PROFILE, THREE_AREAS, start=start), args.runs)

    largest = max(ref.areas.values(), key=lambda a: a.default_cm2)
    finest = min(
        t.spacing_mm for t in ref.techniques.values() if t.injection and t.spacing_mm is not None
    )
    points = layout.hex_grid(largest.outline, finest)
    layout_ms = _median_ms(
        lambda: layout.hex_grid(largest.outline, finest), max(5, args.runs // 10)
    )
    # Any protocol on the largest area, at the finest spacing: the worst layout a plan meets.
    proto = next(p for p in ref.protocols.values() if largest.slug in p.areas)
    request = TreatmentRequest(
        proto.concerns[0], largest.slug, protocol=proto.slug, technique="nappage"
    )
    largest_plan_ms = _median_ms(
        lambda: build_plan(PROFILE, [request], start=start), max(5, args.runs // 10)
    )

    results = {
        "python": sys.version.split()[0],
        "runs": args.runs,
        "load_reference_ms": round(load_ms, 2),
        "plan_three_areas_median_ms": round(plan_ms, 3),
        "plan_three_areas_goal_ms": 5.0,
        "largest_area": largest.slug,
        "largest_area_cm2": largest.default_cm2,
        "layout_spacing_mm": finest,
        "layout_points": len(points),
        "layout_median_ms": round(layout_ms, 3),
        "plan_largest_area_median_ms": round(largest_plan_ms, 3),
    }
    print(f"reference data loaded in {load_ms:.1f} ms (once per process)")
    print(
        f"plan, 3 areas (submental, cheeks x2, scalp): median {plan_ms:.3f} ms "
        f"over {args.runs} runs (goal < 5 ms)"
    )
    print(
        f"layout, largest area ({largest.slug}, {largest.default_cm2:g} cm2 at {finest:g} mm): "
        f"{len(points)} points, median {layout_ms:.3f} ms"
    )
    print(f"plan of that area ({proto.slug}, nappage): median {largest_plan_ms:.3f} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
