"""The benchmarked jobs, from the handles `mesoclinic bench-prepare` printed."""

from __future__ import annotations

from urllib.parse import quote


def pages(h: dict, in_process: bool = False) -> list[dict]:
    doc, owner = h["practitioner"], h["owner"]
    # The last two prepared sessions are for counting queries in process, the rest for load.
    sign = h["signoff_sessions"]
    sign = sign[-2:] if in_process else sign[:-2]
    jobs = [
        {"name": "healthz", "user": "", "paths": ["/healthz"], "floor": True},
        # The floor: a signed-in page that reads nothing but the user (the home page is
        # each role's Today since issue 17, measured below as the "today" jobs).
        {"name": "home", "user": doc, "paths": ["/accounts/password/"], "floor": True},
        {"name": "today", "user": doc, "paths": ["/"]},
        {"name": "login", "kind": "login", "email": doc, "user": doc, "paths": ["/"]},
        {
            "name": "search",
            "user": doc,
            "paths": [f"/patients/?q={quote(t)}" for t in h["search_terms"]],
        },
        {"name": "chart", "user": doc, "paths": [f"/patients/{p}/" for p in h["chart_patients"]]},
        {"name": "plan_editor", "user": doc, "paths": [f"/plans/{p}/" for p in h["draft_plans"]]},
        {
            "name": "signoff",
            "user": doc,
            "method": "POST",
            "paths": [f"/sessions/{s}/sign/" for s in sign],
            "expect": [302],
            "consume": True,
        },
        {"name": "recall", "user": doc, "paths": [f"/lots/recall/?lot={quote(h['recall_lot'])}"]},
        {"name": "audit_log", "user": owner, "paths": ["/audit/", "/audit/?page=2"]},
        {
            "name": "evidence",
            "user": owner,
            "paths": ["/evidence/", f"/evidence/?protocol={quote(h['evidence_protocol'])}"],
        },
    ]
    # The owner's Today is a site's day with the clinic's alerts; reception's the arrivals.
    jobs.append({"name": "today_owner", "user": owner, "paths": ["/"]})
    if h.get("reception"):
        jobs.append({"name": "today_reception", "user": h["reception"], "paths": ["/"]})
    if h.get("calendar_paths"):
        jobs.append({"name": "calendar", "user": doc, "paths": h["calendar_paths"]})
    if h.get("calendar_day_paths"):
        jobs.append({"name": "calendar_day", "user": doc, "paths": h["calendar_day_paths"]})
    # The photo comparison page and its two screen images, for series of 2 and 20 photos.
    for count, paths in sorted(h.get("compare_paths", {}).items(), key=lambda kv: int(kv[0])):
        jobs.append({"name": f"compare_{count}", "user": doc, "paths": paths})
    if in_process:
        jobs = [j for j in jobs if j.get("kind") != "login" and j["user"]]
    return jobs


def mixed(h: dict) -> dict:
    """Audited reads (half the clients search, half open charts): auditing on vs off."""
    doc = h["practitioner"]
    paths = []
    for i in range(20):
        paths.append(f"/patients/?q={quote(h['search_terms'][i % len(h['search_terms'])])}")
        paths.append(f"/patients/{h['chart_patients'][i % len(h['chart_patients'])]}/")
    return {"name": "mixed_reads", "user": doc, "paths": paths}
