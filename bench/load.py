"""Load a running mesoclinic server from a separate process: N concurrent clients.

    python bench/load.py SCENARIO.json > RESULTS.json

Each client is logged in with its own session cookie (as a browser is) and
opens a new connection per request (see `main`). A job runs until it has made `max_requests` or
`duration` seconds have passed, whichever comes first, after `warmup` untimed
requests per client. Latency is measured from sending the request to having
read the whole response.

CPU per request is read from `/proc` (user plus system time of the server's process
tree, and of the database's where it is a separate server), between the end of the
warm-up and the end of the job, divided by the requests completed; the client's own
CPU is reported apart, so that it is never charged to the server.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int | None) -> float | None:
    """Seconds of CPU used by `root` and all its descendants, living or reaped.

    utime + stime of every process in the tree, plus cutime + cstime (children that
    have exited and been waited for), from /proc/PID/stat; None off Linux or if gone.
    """
    if not root:
        return None
    children: dict[int, list[int]] = {}
    times: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(f) for f in fields[11:15])
    if root not in times:
        return None
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / TICK


class CpuMeter:
    """CPU of the server, the database and this client over one job."""

    def __init__(self, server_pid: int | None, db_pid: int | None) -> None:
        self.pids = {"server": server_pid, "db": db_pid}
        self.start: dict[str, float | None] = {}

    def begin(self) -> None:
        self.start = {k: tree_cpu(pid) for k, pid in self.pids.items()}
        self.start["client"] = time.process_time()

    def per_request(self, requests: int) -> dict:
        now = {k: tree_cpu(pid) for k, pid in self.pids.items()}
        now["client"] = time.process_time()
        out = {}
        for name in ("server", "db", "client"):
            before, after = self.start.get(name), now.get(name)
            ok = before is not None and after is not None and requests
            out[f"{name}_cpu_ms"] = round(1000 * (after - before) / requests, 2) if ok else None
        return out


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


class _Job:
    """One job's clients: warm up together, then request until the deadline or the limit."""

    def __init__(
        self, job: dict, clients: list[httpx.AsyncClient], password: str, meter: CpuMeter
    ) -> None:
        self.job, self.clients, self.password, self.meter = job, clients, password, meter
        self.kind = job.get("kind", "request")
        self.method = job.get("method", "GET")
        self.expect = set(job.get("expect", [200]))
        self.paths = job.get("paths") or ["/"]
        self.consume = job.get("consume", False)
        self.shared = iter(self.paths) if self.consume else None
        self.latencies: list[float] = []
        self.codes: dict[str, int] = {}
        self.errors = 0
        self.count = itertools.count()
        self.limit = job.get("max_requests", 10_000)
        self.warmed = asyncio.Event()
        self.ready = 0
        self.started = self.deadline = 0.0

    def next_path(self, i: int, k: int) -> str | None:
        if self.shared is not None:
            return next(self.shared, None)
        return self.paths[(k * len(self.clients) + i) % len(self.paths)]

    async def warm_up(self, i: int, client: httpx.AsyncClient) -> None:
        if self.kind == "request" and not self.consume:
            for k in range(self.job.get("warmup", 2)):
                await request(client, self.method, self.next_path(i, k))
        self.ready += 1
        if self.ready == len(self.clients):
            self.meter.begin()
            self.started = time.perf_counter()
            self.deadline = self.started + self.job.get("duration", 5)
            self.warmed.set()
        await self.warmed.wait()

    async def worker(self, i: int, client: httpx.AsyncClient) -> None:
        await self.warm_up(i, client)
        k = 0
        while time.perf_counter() < self.deadline and next(self.count) < self.limit:
            if self.kind == "login":
                await self.log_in(client)
                continue
            path = self.next_path(i, k)
            k += 1
            if path is None:
                return
            await self.timed(client, path)

    async def log_in(self, client: httpx.AsyncClient) -> None:
        try:
            self.latencies.append(1000 * await login(client, self.job["email"], self.password))
        except RuntimeError:
            self.errors += 1

    async def timed(self, client: httpx.AsyncClient, path: str) -> None:
        started = time.perf_counter()
        response = await request(client, self.method, path)
        elapsed = time.perf_counter() - started
        if response.status_code in self.expect:
            self.latencies.append(1000 * elapsed)
        else:
            self.errors += 1
            code = str(response.status_code)
            self.codes[code] = self.codes.get(code, 0) + 1


async def run_job(
    job: dict, clients: list[httpx.AsyncClient], password: str, meter: CpuMeter
) -> dict:
    state = _Job(job, clients, password, meter)
    await asyncio.gather(*(state.worker(i, c) for i, c in enumerate(clients)))
    elapsed = time.perf_counter() - state.started
    out = summary(state.latencies, state.errors, elapsed, state.codes)
    return out | meter.per_request(len(state.latencies) + state.errors)


async def main(scenario: dict) -> dict:
    base, password = scenario["base"], scenario["password"]
    concurrency = scenario.get("concurrency", 8)
    meter = CpuMeter(scenario.get("server_pid"), scenario.get("db_pid"))
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
                results[job["name"]] = await run_job(job, clients, password, meter)
                for c in clients:
                    await c.aclose()
                continue
            if user not in sessions:
                sessions[user] = [
                    httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
                    for _ in range(concurrency)
                ]
                await asyncio.gather(*(login(c, user, password) for c in sessions[user]))
            results[job["name"]] = await run_job(job, sessions[user], password, meter)
    finally:
        for clients in sessions.values():
            for c in clients:
                await c.aclose()
    return results


if __name__ == "__main__":
    with open(sys.argv[1]) as handle:
        scenario = json.load(handle)
    print(json.dumps(asyncio.run(main(scenario)), indent=1))
