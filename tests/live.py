"""Real servers for the tests that need them: gunicorn as `make demo` runs it, on a
database of its own (a temporary SQLite file, or a new database in the PostgreSQL
cluster named by MESOCLINIC_DATABASE_URL), and Debian's Redis."""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # gunicorn.conf.py, as make demo uses it
PASSWORD = "browser test password 1"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(tmp: Path) -> tuple[str, Callable[[], None]]:
    base = os.environ.get("MESOCLINIC_DATABASE_URL", "")
    if not base.startswith("postgres"):
        return f"sqlite:///{tmp / 'live.sqlite3'}", lambda: None
    import psycopg

    name = f"mesoclinic_live_{uuid.uuid4().hex[:8]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.rsplit("/", 1)[0] + "/" + name, drop


def app_env(tmp: Path, url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESOCLINIC_")}
    env.update(
        MESOCLINIC_DATA_DIR=str(tmp),
        MESOCLINIC_DATABASE_URL=url,
        MESOCLINIC_HTTPS="False",
        MESOCLINIC_DEMO_PASSWORD=PASSWORD,
        # One file a message in DATA_DIR/mail (settings.EMAIL_FILE_PATH): a test reads
        # what a patient would find in their inbox, such as the portal invitation.
        MESOCLINIC_EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        **extra,
    )
    return env


# Migrating a new SQLite file takes about 45 s and collecting the static files about 20 s.
# A run does each once: the test database, freshly migrated, is copied to MIGRATED (see
# conftest.django_db_setup) and the first collected static files to a folder beside it;
# every later server or subprocess starts from copies.
MIGRATED: Path | None = None
_COLLECTED: Path | None = None


def keep_migrated(connection, path: Path) -> None:
    """Copy the just-migrated in-memory SQLite test database to `path` (SQLite's backup)."""
    global MIGRATED
    target = sqlite3.connect(path)
    try:
        connection.ensure_connection()
        connection.connection.backup(target)
    finally:
        target.close()
    MIGRATED = path


def start_from_migrated(path: Path) -> bool:
    """Put a copy of the migrated database at `path`, if this run has one."""
    if MIGRATED is None or not MIGRATED.exists():
        return False
    shutil.copyfile(MIGRATED, path)
    return True


def prepare(env: dict[str, str], patients: int = 8) -> None:
    """Migrate, collect static files and load the demo clinic."""
    global _COLLECTED
    cli = [sys.executable, "-m", "mesoclinic.cli"]
    url = env["MESOCLINIC_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        # migrate still runs: on a copy it finds nothing to apply.
        start_from_migrated(Path(url.removeprefix("sqlite:///")))
    static = Path(env["MESOCLINIC_DATA_DIR"]) / "static"
    steps = [["migrate", "--noinput"], ["demo", "--patients", str(patients)]]
    if _COLLECTED is not None and _COLLECTED.exists():
        shutil.copytree(_COLLECTED, static)
    else:
        steps.insert(1, ["collectstatic", "--noinput"])
    for args in steps:
        subprocess.run(cli + args, env=env, check=True, capture_output=True, timeout=300)
    if _COLLECTED is None:
        # Beside the data dir, which the test removes when it is done with its server.
        _COLLECTED = static.parent.parent / f"collected-static-{uuid.uuid4().hex[:6]}"
        shutil.copytree(static, _COLLECTED)


def serve(env: dict[str, str], tmp: Path, name: str = "server") -> tuple[str, subprocess.Popen]:
    """Start gunicorn and wait until /healthz answers; the base URL and the process."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "mesoclinic.wsgi",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(tmp / f"{name}-access.log"),
        ],
        env={**env, "MESOCLINIC_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / f"{name}.log", "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    _wait(lambda: urllib.request.urlopen(base + "/healthz", timeout=2), server, tmp / f"{name}.log")  # noqa: S310
    return base, server


def redis(tmp: Path) -> tuple[str, subprocess.Popen]:
    """Debian's redis-server on a free port, in memory only."""
    port = free_port()
    process = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=open(tmp / "redis.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"

    def ping() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                raise OSError("redis not ready")

    _wait(ping, process, tmp / "redis.log")
    return url, process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def _wait(probe: Callable[[], object], process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            probe()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(log.read_text()[-3000:]) from None
            time.sleep(0.3)
