"""Load a running mesoclinic server from a separate process: N concurrent clients.

    python bench/load.py SCENARIO.json > RESULTS.json

Each client is logged in with its own session cookie (as a browser is) and
opens a new connection per request (see `main`). A job runs until it has made `max_requests` or
`duration` seconds have passed, whichever comes first, after `warmup` untimed
requests per client. Latency is measured from sending the request to having
read the whole response.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import time

import httpx


def percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = min(len(sorted_ms) - 1, max(0, round(p / 100 * (len(sorted_ms) - 1))))
    return sorted_ms[k]


def summary(latencies: list[float], errors: int, elapsed: float, codes: dict) -> dict:
    ms = sorted(latencies)
    return {
        "requests": len(ms),
        "errors": errors,
        "error_codes": codes,
        "seconds": round(elapsed, 2),
        "rps": round(len(ms) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else float("nan"),
    }


async def login(client: httpx.AsyncClient, email: str, password: str) -> float:
    """Log in as the form does; returns the seconds the POST took."""
    client.cookies.clear()
    page = await client.get("/accounts/login/")
    page.raise_for_status()
    token = client.cookies.get("csrftoken")
    started = time.perf_counter()
    response = await client.post(
        "/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
    )
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"login as {email} failed: HTTP {response.status_code}")
    return elapsed


async def request(client: httpx.AsyncClient, method: str, path: str) -> httpx.Response:
    if method == "POST":
        token = client.cookies.get("csrftoken", "")
        return await client.post(
            path, data={"csrfmiddlewaretoken": token}, headers={"X-CSRFToken": token}
        )
    return await client.get(path)


async def run_job(job: dict, clients: list[httpx.AsyncClient], password: str) -> dict:
    kind = job.get("kind", "request")
    expect = set(job.get("expect", [200]))
    paths = job.get("paths") or ["/"]
    consume = job.get("consume", False)
    shared = iter(paths) if consume else None
    deadline_box: list[float] = []
    latencies: list[float] = []
    codes: dict[str, int] = {}
    errors = 0
    count = itertools.count()
    limit = job.get("max_requests", 10_000)

    def next_path(i: int, k: int) -> str | None:
        if shared is not None:
            return next(shared, None)
        return paths[(k * len(clients) + i) % len(paths)]

    warmed = asyncio.Event()
    ready = [0]

    async def worker(i: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        if kind == "request" and not consume:
            for k in range(job.get("warmup", 2)):
                await request(client, job.get("method", "GET"), next_path(i, k))
        ready[0] += 1
        if ready[0] == len(clients):
            deadline_box.append(time.perf_counter() + job.get("duration", 5))
            started_box.append(time.perf_counter())
            warmed.set()
        await warmed.wait()
        k = 0
        while time.perf_counter() < deadline_box[0] and next(count) < limit:
            if kind == "login":
                try:
                    latencies.append(1000 * await login(client, job["email"], password))
                except RuntimeError:
                    errors += 1
                continue
            path = next_path(i, k)
            k += 1
            if path is None:
                return
            started = time.perf_counter()
            response = await request(client, job.get("method", "GET"), path)
            elapsed = time.perf_counter() - started
            if response.status_code in expect:
                latencies.append(1000 * elapsed)
            else:
                errors += 1
                codes[str(response.status_code)] = codes.get(str(response.status_code), 0) + 1

    started_box: list[float] = []
    tasks = [asyncio.create_task(worker(i, c)) for i, c in enumerate(clients)]
    await asyncio.gather(*tasks)
    return summary(latencies, errors, time.perf_counter() - started_box[0], codes)


async def main(scenario: dict) -> dict:
    base, password = scenario["base"], scenario["password"]
    concurrency = scenario.get("concurrency", 8)
    sessions: dict[str, list[httpx.AsyncClient]] = {}
    # A new connection per request: gunicorn's workers each accept connections, and a
    # kept-alive connection stays with the worker that accepted it, so 8 long-lived
    # connections would split 8/0 or 4/4 between the 2 workers by chance (measured:
    # throughput halved or not, run to run). Browsers of many users spread evenly.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=0)
    results = {}
    try:
        for job in scenario["jobs"]:
            user = job.get("user", "")
            if job.get("kind") == "login" or not user:
                clients = [
                    httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
                    for _ in range(concurrency)
                ]
                results[job["name"]] = await run_job(job, clients, password)
                for c in clients:
                    await c.aclose()
                continue
            if user not in sessions:
                sessions[user] = [
                    httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
                    for _ in range(concurrency)
                ]
                await asyncio.gather(*(login(c, user, password) for c in sessions[user]))
            results[job["name"]] = await run_job(job, sessions[user], password)
    finally:
        for clients in sessions.values():
            for c in clients:
                await c.aclose()
    return results


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        scenario = json.load(handle)
    print(json.dumps(asyncio.run(main(scenario)), indent=1))
