"""A throwaway PostgreSQL cluster for the benchmarks, as .ci/run makes one.

Its data directory lives under var/bench/pg so seeded databases survive between
runs; the server runs only while the benchmark does (fsync off: it is a cache).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
from pathlib import Path


def _bindir() -> Path | None:
    try:
        out = subprocess.run(
            ["pg_config", "--bindir"],  # noqa: S607 - found on PATH like .ci/run does
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, root: Path):
        self.bindir = _bindir()
        self.root = root
        self.data = root / "data"
        self.port = 0

    @property
    def available(self) -> bool:
        return self.bindir is not None

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb refuses root: run as the postgres system user
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)  # noqa: S603

    def start(self, durable: bool = True) -> str:
        """Start the cluster: durable (fsync and synchronous commit on, as in production)
        for measuring; `durable=False` only to seed faster. A restart keeps the port."""
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb", "-D", str(self.data), "--auth=trust", "--username=postgres",
                "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        self.port = getattr(self, "last_port", 0) or free_port()
        fast = "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            + ("" if durable else fast)
            + "-c shared_buffers=1GB "
            "-c max_wal_size=2GB -c checkpoint_timeout=30min -c maintenance_work_mem=512MB "
            "-c work_mem=32MB -c effective_cache_size=8GB -c max_connections=100"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
            "-o", opts, "start",
        )  # fmt: skip
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def pid(self) -> int | None:
        """The postmaster's process id: its tree is the database's CPU."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, db: str = "postgres") -> str:
        return self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
            "-Atc", sql,
        ).stdout.strip()  # fmt: skip

    def stop(self) -> None:
        if self.port:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.last_port, self.port = self.port, 0
