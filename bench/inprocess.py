"""In-process measurements on a seeded database (run by bench/run.py with its environment).

    python bench/inprocess.py HANDLES.json > RESULTS.json

- Queries per request of each benchmarked page, counted with Django's test client
  and CaptureQueriesContext (the page is requested once before, so the session is warm).
- Database floor: the SELECTs the patient chart ran, replayed directly through the
  DB-API cursor, timed per chart (all its queries) on one connection.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.bench_settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from mesoclinic.accounts.models import User  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import summary  # noqa: E402
from pages import pages  # noqa: E402


def count_queries(handles: dict) -> tuple[dict, list[str]]:
    counts, chart_sql = {}, []
    clients: dict[str, Client] = {}
    for page in pages(handles, in_process=True):
        client = clients.get(page["user"])
        if client is None:
            # A page that fails is reported as such, not raised: the run goes on.
            client = clients[page["user"]] = Client(raise_request_exception=False)
            client.force_login(User.objects.get(email=page["user"]))
        path = page["paths"][0]
        method = page.get("method", "GET")
        if method == "GET":
            client.get(path)  # warm: session, caches
        elif len(page["paths"]) > 1:  # a write: warm with another record of the same kind
            client.post(page["paths"][1])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path) if method == "GET" else client.post(path)
        ok = response.status_code in page.get("expect", [200])
        counts[page["name"]] = len(ctx) if ok else f"HTTP {response.status_code}"
        if page["name"] == "chart":
            chart_sql = [q["sql"] for q in ctx.captured_queries]
    return counts, chart_sql


def database_floor(sql: list[str], seconds: float) -> dict:
    selects = [q for q in sql if q.lstrip().upper().startswith("SELECT")]
    connection.ensure_connection()
    raw = connection.connection
    latencies = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        cursor = raw.cursor()
        for q in selects:
            cursor.execute(q)
            cursor.fetchall()
        cursor.close()
        latencies.append(1000 * (time.perf_counter() - t0))
    result = summary(latencies, 0, time.perf_counter() - started, {})
    result["queries"] = len(selects)
    return result


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        data = json.load(handle)
    counts, sql = count_queries(data)
    floor = database_floor(sql, float(os.environ.get("BENCH_FLOOR_SECONDS", "3")))
    print(json.dumps({"queries": counts, "database_floor": floor, "chart_sql": sql}, indent=1))
