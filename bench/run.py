"""`make bench`: mesoclinic at clinic-chain scale, on SQLite and PostgreSQL.

    python bench/run.py [--quick] [--sizes 10000,100000] [--databases sqlite,postgresql]

For each database and size: a seeded chain (cached under var/bench/, keyed by
size, seed and the seeder's code; migrations added later are applied to the cache
and recorded, --reseed rebuilds it), fresh sessions to sign, queries
per page and the database floor in process, then the real server (gunicorn as
`make demo` runs it) loaded from a separate process by 8 clients on loopback;
once more with audit events not written, to state what auditing costs. Results
go to bench/results/ as JSON and Markdown. Asserts nothing: it measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
VAR = Path(os.environ.get("MESOCLINIC_BENCH_DIR", ROOT / "var" / "bench"))
RESULTS = HERE / "results"
SEED = 1
SESSION_KEY = re.compile(r"session_key\" = '[a-z0-9]+'")
CONCURRENCY = 8
sys.path.insert(0, str(HERE))

from pages import mixed, pages  # noqa: E402
from pgcluster import Cluster, free_port  # noqa: E402
from table import markdown  # noqa: E402


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _digest(files) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def dataset_key() -> str:
    """The seeder's code: a change rebuilds the cached databases."""
    scale = ROOT / "mesoclinic" / "scale"
    # Every module of the seeder; prepare.py runs on each benchmark, on the cached data.
    return _digest(sorted(p for p in scale.glob("*.py") if p.name != "prepare.py"))


def migration_state() -> str:
    return _digest(sorted(ROOT.glob("mesoclinic/*/migrations/*.py")))


def reconcile(env: dict, marker: Path, reseed: bool) -> bool:
    """A cached database is reused if its migration state matches, or after `migrate`
    brings it up to date (other work adds migrations often); False means seed anew."""
    if reseed or not marker.exists():
        return False
    state = migration_state()
    if marker.read_text().strip() != state:
        log(f"applying migrations added since {marker.stem} was seeded")
        try:
            manage(env, "migrate", "--noinput", "-v0")
        except subprocess.CalledProcessError:
            return False
        marker.write_text(state)
    return True


def base_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        MESOCLINIC_DATA_DIR=str(VAR / "data"),
        MESOCLINIC_DATABASE_URL=database_url,
        MESOCLINIC_HTTPS="False",
        MESOCLINIC_DEBUG="False",
        MESOCLINIC_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        MESOCLINIC_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        MESOCLINIC_LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
        # seed-scale and bench-prepare live in an app that only the benchmark installs
        DJANGO_SETTINGS_MODULE="mesoclinic.bench_settings",
    )
    return env


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603
        [str(BIN / "mesoclinic"), *args],
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout if capture else ""


def seed(env: dict, size: int, quiet: bool) -> None:
    started = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v0")
    args = ["seed-scale", "--patients", str(size), "--seed", str(SEED)]
    manage(env, *args, *(["--no-progress"] if quiet else []))
    log(f"seeded {size:,} patients in {time.perf_counter() - started:.0f} s")


def sqlite_database(size: int, key: str, quiet: bool, reseed: bool) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"sqlite-{size}-s{SEED}-{key}.sqlite3"
    done = path.with_suffix(".done")
    for stale in VAR.glob(f"sqlite-{size}-s{SEED}-*"):
        if not stale.name.startswith(path.stem):
            stale.unlink()
    url = f"sqlite:///{path}"
    if not reconcile(base_env(url), done, reseed):
        for extra in ("", "-wal", "-shm"):
            Path(f"{path}{extra}").unlink(missing_ok=True)
        log(f"seeding SQLite with {size:,} patients (cached afterwards in {path.name})")
        seed(base_env(url), size, quiet)
        done.write_text(migration_state())
    return url


def postgres_database(cluster: Cluster, size: int, key: str, quiet: bool, reseed: bool) -> str:
    name = f"bench_{size}_s{SEED}_{key}"
    markers = VAR / "pg-done"
    markers.mkdir(parents=True, exist_ok=True)
    existing = cluster.psql("SELECT datname FROM pg_database").split()
    for db in existing:
        if db.startswith(f"bench_{size}_s{SEED}_") and db != name:
            cluster.psql(f'DROP DATABASE "{db}"')
            (markers / db).unlink(missing_ok=True)
    marker = markers / name
    if name not in existing:
        marker.unlink(missing_ok=True)
    if not reconcile(base_env(cluster.url(name)), marker, reseed):
        if name in existing:
            cluster.psql(f'DROP DATABASE "{name}"')
        cluster.psql(f'CREATE DATABASE "{name}"')
        log(f"seeding PostgreSQL with {size:,} patients (cached afterwards as {name})")
        seed(base_env(cluster.url(name)), size, quiet)
        marker.write_text(migration_state())
    return cluster.url(name)


class Server:
    """gunicorn as `make demo` runs it (gunicorn.conf.py: sync workers, one per core)."""

    def __init__(self, env: dict, audit: bool = True):
        self.env, self.audit = env, audit
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        app = "mesoclinic.wsgi" if self.audit else "wsgi_noaudit"
        self.log = open(VAR / "server.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                app,
                "--pythonpath",
                str(HERE),
                "--config",
                str(HERE.parent / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
            ],  # fmt: skip
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("the server did not start; see var/bench/server.log")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def load(
    server: Server, jobs: list[dict], password: str, settings: dict, db_pid: int | None = None
) -> dict:
    for job in jobs:
        job.setdefault("duration", settings["duration"])
        job.setdefault("max_requests", settings["max_requests"])
        job.setdefault("warmup", 3)
    scenario = {
        "base": server.base,
        "password": password,
        "concurrency": CONCURRENCY,
        "jobs": jobs,
        "server_pid": server.proc.pid,
        "db_pid": db_pid,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(scenario, handle)
    try:
        out = subprocess.run(  # noqa: S603
            [sys.executable, str(HERE / "load.py"), handle.name],
            check=True,
            text=True,
            stdout=subprocess.PIPE,
        ).stdout
    finally:
        os.unlink(handle.name)
    return json.loads(out)


def calendar_paths(env: dict, handles: dict) -> list[str]:
    """This week's calendar of a site, if the scheduling app serves one (it may not yet)."""
    probe = (
        "import json, datetime as dt\n"
        "from django.urls import reverse, NoReverseMatch\n"
        "try:\n"
        f"    url = reverse('calendar_board', args=['site', '{handles['site']}', 'week'])\n"
        "except NoReverseMatch:\n"
        "    url = ''\n"
        "print(json.dumps([url] if url else []))\n"
    )
    result = subprocess.run(  # noqa: S603
        [str(BIN / "mesoclinic"), "shell", "-c", probe],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return []


def _mean(runs: list[dict]) -> dict:
    keys = ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms")
    out = {k: round(sum(r[k] for r in runs) / len(runs), 2) for k in keys}
    out.update(
        requests=sum(r["requests"] for r in runs),
        errors=sum(r["errors"] for r in runs),
        runs=[r["rps"] for r in runs],
    )
    return out


def run_config(
    db: str, url: str, size: int, settings: dict, password: str, db_pid: int | None = None
) -> dict:
    env = base_env(url)
    log(f"{db} {size:,}: preparing {settings['signoffs']} sessions to sign")
    handles = json.loads(
        manage(
            env,
            "bench-prepare",
            "--organization",
            f"Scale Clinic {size} s{SEED}",
            "--sessions",
            str(settings["signoffs"] + 2),
            "--seed",
            str(int(time.time())),
            capture=True,
        )
    )
    handles["calendar_paths"] = calendar_paths(env, handles)
    busiest = handles.get("busiest_day") or {}
    if busiest and handles["calendar_paths"]:
        # The day grid of the busiest site on its busiest day, by practitioner and by room.
        base = f"/calendar/site/{busiest['site']}/day/?date={busiest['date']}"
        handles["calendar_day_paths"] = [base, base + "&by=room"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(handles, handle)
    try:
        log(f"{db} {size:,}: queries per page and database floor")
        inproc = json.loads(
            subprocess.run(  # noqa: S603
                [sys.executable, str(HERE / "inprocess.py"), handle.name],
                env={**env, "BENCH_FLOOR_SECONDS": str(settings["floor_seconds"])},
                check=True,
                text=True,
                stdout=subprocess.PIPE,
            ).stdout
        )
    finally:
        os.unlink(handle.name)
    load_average = os.getloadavg()[0]
    log(f"{db} {size:,}: load (1-minute load average before: {load_average:.2f})")
    with Server(env) as server:
        results = load(server, pages(handles), password, settings, db_pid)
    # The chart and the editor above are served from their caches after the first view
    # of each; the same jobs again on a server that caches nothing give their uncached cost.
    log(f"{db} {size:,}: the chart and the plan editor again with their caches off")
    uncached = [
        {**job, "name": f"{job['name']}_uncached"}
        for job in pages(handles)
        if job["name"] in ("chart", "plan_editor")
    ]
    with Server({**env, "MESOCLINIC_CHART_CACHE_SECONDS": "0"}) as server:
        results |= load(server, uncached, password, settings, db_pid)
    # Auditing on and off, alternated twice so that drift from other work on the
    # machine falls on both; each figure is the mean of its two runs.
    log(f"{db} {size:,}: audited reads with audit events written and not written")
    on_runs, off_runs = [], []
    for _ in range(2):
        for audit, runs in ((True, on_runs), (False, off_runs)):
            with Server(env, audit=audit) as server:
                runs.append(
                    load(server, [mixed(handles)], password, settings, db_pid)["mixed_reads"]
                )
    results["mixed_reads"] = _mean(on_runs)
    off = {"mixed_reads": _mean(off_runs)}
    return {
        "database": db,
        "patients": size,
        "recall_rows": handles["recall_rows"],
        "queries": inproc["queries"],
        "database_floor": inproc["database_floor"],
        # Kept to show what the floor replays; the test client's session key is masked.
        "chart_sql": [SESSION_KEY.sub("session_key\" = '…'", q) for q in inproc["chart_sql"]],
        "load": results,
        "audit_off": off,
        "calendar": bool(handles["calendar_paths"]),
        "load_average_before": round(load_average, 2),
    }


def rules_median(runs: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        path = handle.name
    subprocess.run(  # noqa: S603
        [sys.executable, str(HERE / "bench_rules.py"), "--runs", str(runs), "--json", path],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    data = json.loads(Path(path).read_text())
    os.unlink(path)
    return data


def machine(versions_env: dict) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import sqlite3

    import django
    import gunicorn
    import httpx

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ).stdout.strip()
    return {
        "machine": {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "memory": mem,
            "os": platform.platform(),
        },
        "versions": {
            "mesoclinic": commit,
            "python": platform.python_version(),
            "django": django.get_version(),
            "gunicorn": gunicorn.__version__,
            "sqlite": sqlite3.sqlite_version,
            "httpx": httpx.__version__,
            **versions_env,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k patients, short runs")
    parser.add_argument("--sizes", help="comma-separated patient counts")
    parser.add_argument("--databases", help="sqlite,postgresql")
    parser.add_argument("--duration", type=float, help="seconds per job")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached databases")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    quick = args.quick
    sizes = [int(s) for s in (args.sizes or ("1000,10000" if quick else "10000,100000")).split(",")]
    cluster = Cluster(VAR / "pg")
    default_dbs = "sqlite" if quick else "sqlite,postgresql"
    databases = (args.databases or default_dbs).split(",")
    if "postgresql" in databases and not cluster.available:
        log("PostgreSQL skipped: no initdb found (install postgresql to measure it)")
        databases.remove("postgresql")
    settings = {
        "concurrency": CONCURRENCY,
        "duration": args.duration or (2.5 if quick else 5.0),
        "max_requests": 5000,
        "signoffs": 150 if quick else 400,
        "floor_seconds": 1.5 if quick else 3.0,
        "server": f"{os.cpu_count()} sync workers, as make demo",
    }
    key = dataset_key()
    password = os.environ.get("MESOCLINIC_BENCH_PASSWORD")
    (VAR / "data").mkdir(parents=True, exist_ok=True)
    if password is None:
        sys.path.insert(0, str(ROOT))
        from mesoclinic.envconfig import read_or_create_secret

        password = read_or_create_secret(VAR / "data" / "bench_password", nbytes=12)
    manage(
        base_env(f"sqlite:///{VAR / 'data' / 'static.sqlite3'}"),
        "collectstatic",
        "--noinput",
        "-v0",
    )
    runs, failed, pg_version = [], [], ""
    quiet = not sys.stderr.isatty()
    try:
        for db in databases:
            urls = {}
            if db == "postgresql":
                # Seeded fast, measured durable (fsync and synchronous commit on).
                cluster.start(durable=False)
                for size in sizes:
                    urls[size] = postgres_database(cluster, size, key, quiet, args.reseed)
                cluster.stop()
                cluster.start(durable=True)
                pg_version = cluster.psql("SHOW server_version")
            for size in sizes:
                url = urls.get(size) or sqlite_database(size, key, quiet, args.reseed)
                db_pid = cluster.pid() if db == "postgresql" else None
                try:
                    runs.append(run_config(db, url, size, settings, password, db_pid))
                except (subprocess.CalledProcessError, RuntimeError, ValueError) as error:
                    log(f"{db} {size:,} failed: {error}")
                    failed.append({"database": db, "patients": size, "error": str(error)})
            if db == "postgresql":
                cluster.stop()
    finally:
        cluster.stop()
    log("rules engine")
    rules = rules_median(100 if quick else 300)
    result = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if quick else "full",
        **machine({"postgresql": pg_version} if pg_version else {}),
        "settings": settings,
        "seed": SEED,
        "rules": rules,
        "runs": runs,
        "failed": failed,
        "elapsed_s": round(time.perf_counter() - started),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    name = f"{stamp}-{'quick' if quick else 'full'}"
    (args.out / f"{name}.json").write_text(json.dumps(result, indent=1))
    table = markdown(result)
    (args.out / f"{name}.md").write_text(table)
    (args.out / ("latest-quick.md" if quick else "latest.md")).write_text(table)
    print(table)
    log(f"done in {result['elapsed_s']} s: bench/results/{name}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
