"""Results of bench/run.py as a Markdown table (also rebuilt from a JSON file).

python bench/table.py bench/results/FILE.json
"""

from __future__ import annotations

import json
import sys

JOBS = [
    ("healthz", "framework floor: /healthz (no session)"),
    ("home", "framework floor: a signed-in page"),
    ("today", "Today, practitioner (home page)"),
    ("today_owner", "Today, owner: a site's day and alerts"),
    ("today_reception", "Today, reception: arrivals"),
    ("login", "log in (Argon2 by design)"),
    ("search", "patient search"),
    ("chart", "patient chart, 30 sessions (cached)"),
    ("chart_uncached", "patient chart, 30 sessions (uncached)"),
    ("plan_editor", "plan editor, three areas (cached)"),
    ("plan_editor_uncached", "plan editor, three areas (uncached)"),
    ("signoff", "session sign-off (write)"),
    ("recall", "lot recall, busiest lot"),
    ("audit_log", "audit log page"),
    ("evidence", "evidence per protocol"),
    ("calendar", "week calendar"),
    ("calendar_day", "day grid, busiest site and day (by practitioner, by room)"),
    ("compare_2", "photo comparison, 2 photos (page + 2 screen images)"),
    ("compare_20", "photo comparison, 20 photos (page + 2 screen images)"),
    ("mixed_reads", "mixed audited reads"),
]


# Issue 13's goals: server plus database CPU per request (ms), and p95 (ms).
CPU_GOALS = {
    "chart_uncached": 8.0,
    "chart": 2.5,
    "search": 4.0,
    "signoff": 7.0,
    "plan_editor_uncached": 10.0,
    "plan_editor": 3.0,
    "calendar": 15.0,
    "home": 1.5,
}
P95_GOAL_JOBS = ("chart", "search", "plan_editor", "signoff")
P95_GOAL_MS = 50.0
# Reads per second per core, from the CPU per request.
PER_CORE_GOALS = {"chart": 350.0, "chart_uncached": 130.0}
GROWTH_GOAL = 1.2
AUDIT_GOAL = 0.10


def _cpu(stats: dict) -> float | None:
    server, db = stats.get("server_cpu_ms"), stats.get("db_cpu_ms")
    if server is None:
        return None
    return server + (db or 0.0)


def _verdict(value: float, goal: float, *, lower_is_better: bool = True) -> str:
    met = value <= goal if lower_is_better else value >= goal
    if met:
        return "met"
    return (
        f"missed by {abs(value - goal):,.1f} ({value / goal:.1f}x)"
        if lower_is_better
        else (f"missed by {goal - value:,.1f} ({goal / value:.2f}x short)")
    )


def _goal_lines(runs: list[dict]) -> list[str]:
    """Each goal of issue 13 for the largest run of one database: met, or by how much not."""
    run = runs[-1]
    load = run["load"]
    lines = [f"Goals at {run['patients']:,} patients:", ""]
    for job, goal in CPU_GOALS.items():
        cpu = _cpu(load.get(job, {}))
        if cpu is not None:
            lines.append(
                f"- {job.replace('_', ' ')}: {cpu:,.2f} ms of CPU per request "
                f"(goal {goal:g}): {_verdict(cpu, goal)}"
            )
    for job in P95_GOAL_JOBS:
        p95 = load.get(job, {}).get("p95_ms")
        if p95 is not None:
            lines.append(
                f"- {job.replace('_', ' ')} p95: {p95:,.1f} ms (goal < {P95_GOAL_MS:g}): "
                + _verdict(p95, P95_GOAL_MS)
            )
    for job, goal in PER_CORE_GOALS.items():
        cpu = _cpu(load.get(job, {}))
        if cpu:
            per_core = 1000 / cpu
            lines.append(
                f"- {job.replace('_', ' ')}: {per_core:,.0f} reads per second per core "
                f"(goal {goal:g}): {_verdict(per_core, goal, lower_is_better=False)}"
            )
    lines += _audit_line(run)
    if len(runs) > 1:
        lines += _growth_line(runs[0], run)
    return [*lines, ""]


def _audit_line(run: dict) -> list[str]:
    on = run["load"].get("mixed_reads", {}).get("rps")
    off = run["audit_off"].get("mixed_reads", {}).get("rps")
    if not (on and off):
        return []
    cost = 1 - on / off
    return [
        f"- auditing: {cost * 100:.0f}% of throughput (goal < {AUDIT_GOAL * 100:.0f}%): "
        + ("met" if cost < AUDIT_GOAL else f"missed by {(cost - AUDIT_GOAL) * 100:.0f} points")
    ]


def _growth_line(small: dict, run: dict) -> list[str]:
    worst = []
    for job in CPU_GOALS:
        a, b = _cpu(small["load"].get(job, {})), _cpu(run["load"].get(job, {}))
        if a and b:
            worst.append((b / a, job))
    if not worst:
        return []
    ratio, job = max(worst)
    return [
        f"- growth {small['patients']:,} to {run['patients']:,} patients, CPU per "
        f"request, worst job {job.replace('_', ' ')}: {ratio:.2f}x "
        f"(goal {GROWTH_GOAL:g}x): " + ("met" if ratio <= GROWTH_GOAL else "missed")
    ]


def _fmt(x, digits=1) -> str:
    if x is None or x != x:  # NaN
        return "–"
    return f"{x:,.{digits}f}"


def _job_table(runs: list[dict]) -> list[str]:
    head = "| job |"
    rule = "|---|"
    for run in runs:
        n = f"{run['patients'] // 1000}k"
        head += (
            f" {n} p50 | {n} p95 | {n} p99 | {n} req/s | {n} queries |"
            f" {n} server CPU | {n} db CPU |"
        )
        rule += "---:|---:|---:|---:|---:|---:|---:|"
    if len(runs) > 1:
        head += " p95 growth |"
        rule += "---:|"
    rows = [
        _job_row(job, label, runs) for job, label in JOBS if any(job in r["load"] for r in runs)
    ]
    return [head, rule, *rows]


def _job_row(job: str, label: str, runs: list[dict]) -> str:
    row = f"| {label} |"
    p95s = []
    for run in runs:
        s = run["load"].get(job)
        q = run["queries"].get(job, "–")
        if s is None:
            row += " – | – | – | – | – | – | – |"
            continue
        err = f" ({s['errors']} errors)" if s["errors"] else ""
        row += (
            f" {_fmt(s['p50_ms'])} | {_fmt(s['p95_ms'])} | {_fmt(s['p99_ms'])} |"
            f" {_fmt(s['rps'], 0)}{err} | {q} |"
            f" {_fmt(s.get('server_cpu_ms'), 2)} | {_fmt(s.get('db_cpu_ms'), 2)} |"
        )
        p95s.append(s["p95_ms"])
    if len(runs) > 1:
        growth = p95s[-1] / p95s[0] if len(p95s) == len(runs) and p95s[0] else None
        row += f" {_fmt(growth, 2)}x |" if growth else " – |"
    return row


def _run_note(run: dict) -> str:
    n = f"{run['patients']:,}"
    load, floor = run["load"], run["database_floor"]
    chart = load.get("chart", {})
    home = load.get("home", {})
    on = load.get("mixed_reads", {}).get("rps")
    off = run["audit_off"].get("mixed_reads", {}).get("rps")
    cost = f"{(1 - on / off) * 100:.0f}%" if on and off else "–"
    return (
        f"- {n} patients: chart p50 {_fmt(chart.get('p50_ms'))} ms = "
        f"{_fmt(chart.get('p50_ms', 0) / floor['p50_ms'], 1)}x the database floor "
        f"({_fmt(floor['p50_ms'], 2)} ms for its {floor['queries']} SELECTs) and "
        f"{_fmt(chart.get('p50_ms', 0) / home['p50_ms'], 1)}x the signed-in framework "
        f"floor ({_fmt(home.get('p50_ms'))} ms); auditing: {_fmt(on, 0)} req/s on, "
        f"{_fmt(off, 0)} req/s off (cost {cost}); recall lot has "
        f"{run['recall_rows']:,} charted areas"
        + ("" if run.get("calendar") else "; week calendar: no endpoint yet")
        + (
            f"; the load client spent {_fmt(chart['client_cpu_ms'], 2)} ms of CPU per chart "
            "request (not charged)"
            if chart.get("client_cpu_ms") is not None
            else ""
        )
        + (
            f"; machine load average {run['load_average_before']:.1f} before the run"
            if "load_average_before" in run
            else ""
        )
        + "."
    )


def markdown(result: dict) -> str:
    m, v = result["machine"], result["versions"]
    lines = [
        f"### mesoclinic benchmark, {result['date']} ({result['mode']})",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory']}; Python {v['python']}, "
        f"Django {v['django']}, gunicorn {v['gunicorn']} "
        f"({result['settings'].get('server', 'gunicorn, 2 workers x 4 threads')}), "
        f"SQLite {v['sqlite']}"
        + (f", PostgreSQL {v['postgresql']}" if v.get("postgresql") else "")
        + f"; commit {v['mesoclinic']}. {result['settings']['concurrency']} concurrent clients "
        f"on loopback (httpx, a separate process on the same 2 cores), "
        f"{result['settings']['duration']:g} s per job. Latency in ms. CPU in ms per "
        "request, from /proc: the server's process tree (SQLite runs inside it) and "
        "PostgreSQL's own processes; the load client's CPU is never charged to either.",
        "",
    ]
    by_db: dict[str, list[dict]] = {}
    for run in result["runs"]:
        by_db.setdefault(run["database"], []).append(run)
    for db, runs in by_db.items():
        runs.sort(key=lambda r: r["patients"])
        lines += [f"**{'PostgreSQL' if db == 'postgresql' else 'SQLite'}**", ""]
        lines += [*_job_table(runs), ""]
        lines += [*(_run_note(run) for run in runs), ""]
        lines += _goal_lines(runs)
    for fail in result.get("failed", []):
        lines.append(f"- {fail['database']} {fail['patients']:,}: failed ({fail['error']})")
    r = result["rules"]
    lines.append(
        f"Rules engine: three-area plan median {r['plan_three_areas_median_ms']} ms "
        f"(goal < 5 ms). Total run {result['elapsed_s']} s."
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        print(markdown(json.load(handle)))
