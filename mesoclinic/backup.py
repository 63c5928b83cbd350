"""Back up and restore a clinic's whole installation: database, photos and keys.

A backup is one tar file:

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the server
  runs) or ``database.pgdump`` (``pg_dump --format=custom``);
- ``photos/...``: the photo files exactly as stored (still encrypted) when photos live in
  the data directory; a clinic keeping photos in an S3-compatible store backs that store
  up with its provider's tools, and the manifest says so;
- ``keys/secret_key`` and ``keys/photo_key``: without the photo key the photos cannot be
  read again, so the archive is as sensitive as the server itself;
- ``manifest.json``: when, which release, which database, and the SHA-256 and size of every
  other member.

A file ``<archive>.sha256`` beside it holds the archive's own SHA-256. `restore` checks
both before it writes anything, and refuses to overwrite an existing database or
different keys unless told to.
"""

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
KEY_NAMES = ("secret_key", "photo_key")
CHUNK = 1 << 20


class BackupError(Exception):
    """Something a person must fix; the message says what."""


@dataclass(frozen=True)
class Source:
    """What to back up, or where to restore to (read from settings by the commands)."""

    data_dir: Path
    database: dict[str, Any]  # Django's DATABASES["default"]
    photo_dir: Path | None  # None: photos are not kept in the data directory
    keys: dict[str, str]  # name -> value, as the running settings use them


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _is_sqlite(database: dict[str, Any]) -> bool:
    return "sqlite" in database["ENGINE"]


def _pg_env(database: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    pairs = {
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGDATABASE": database.get("NAME"),
    }
    env.update({k: str(v) for k, v in pairs.items() if v})
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # The command is ours (pg_dump/pg_restore and paths), never text a person typed.
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed on this machine.") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:500]}")


def _dump_database(database: dict[str, Any], connection: Any, into: Path) -> str:
    """Write the database into `into`; the member name it has in the archive."""
    if _is_sqlite(database):
        target = sqlite3.connect(into / SQLITE_MEMBER)
        try:
            if connection.in_transaction:
                # The backup API would wait forever on this connection's own write lock
                # (a caller inside a transaction, as a test is): copy through SQL instead,
                # tables and rows first, then indexes and triggers, as iterdump orders them.
                target.executescript("\n".join(connection.iterdump()))
            else:
                connection.backup(target)
        finally:
            target.close()
        return SQLITE_MEMBER
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(into / PG_MEMBER)],
        _pg_env(database),
    )
    return PG_MEMBER


def _photo_files(photo_dir: Path | None) -> Iterator[Path]:
    if photo_dir is None or not photo_dir.exists():
        return
    yield from sorted(p for p in photo_dir.rglob("*") if p.is_file())


def create(source: Source, connection: Any, archive: Path, release: str) -> dict[str, Any]:
    """Write the backup to `archive` (and `archive`.sha256); its manifest.

    `connection` is the database's DB-API connection (for SQLite, `sqlite3.Connection`).
    """
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=archive.parent) as work:
        staging = Path(work)
        database_member = _dump_database(source.database, connection, staging)
        members: dict[str, Path] = {database_member: staging / database_member}
        for path in _photo_files(source.photo_dir):
            assert source.photo_dir is not None
            members["photos/" + path.relative_to(source.photo_dir).as_posix()] = path
        keys_dir = staging / "keys"
        keys_dir.mkdir()
        for name in KEY_NAMES:
            (keys_dir / name).write_text(source.keys[name])
            members[f"keys/{name}"] = keys_dir / name
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "release": release,
            "database": database_member,
            "photos": "included" if source.photo_dir is not None else "kept in external storage",
            "files": {
                name: {"sha256": sha256_of(path), "bytes": path.stat().st_size}
                for name, path in members.items()
            },
        }
        partial = archive.with_name(archive.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            body = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
            tar.addfile(info, io.BytesIO(body))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        partial.replace(archive)
    (archive.with_name(archive.name + ".sha256")).write_text(
        f"{sha256_of(archive)}  {archive.name}\n"
    )
    return manifest


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for member in members:
        path = Path(member.name)
        if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
            raise BackupError(f"The archive holds an unsafe entry: {member.name}")
    return members


def verify(archive: Path) -> dict[str, Any]:
    """Check the archive against its .sha256 file and every member against the manifest."""
    if not archive.is_file():
        raise BackupError(f"No backup at {archive}.")
    sidecar = archive.with_name(archive.name + ".sha256")
    if sidecar.exists():
        expected = sidecar.read_text().split()[0]
        if sha256_of(archive) != expected:
            raise BackupError("The backup does not match its checksum file: it is damaged.")
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in _safe_members(tar)}
        if "manifest.json" not in members:
            raise BackupError("This file is not a mesoclinic backup (no manifest).")
        extracted = tar.extractfile(members["manifest.json"])
        assert extracted is not None
        manifest: dict[str, Any] = json.load(extracted)
        if manifest.get("format") != FORMAT:
            raise BackupError("This backup was written by another version of mesoclinic.")
        for name, expected_file in manifest["files"].items():
            if name not in members:
                raise BackupError(f"The backup is missing {name}.")
            handle = tar.extractfile(members[name])
            assert handle is not None
            digest = hashlib.sha256()
            while block := handle.read(CHUNK):
                digest.update(block)
            if digest.hexdigest() != expected_file["sha256"]:
                raise BackupError(f"{name} does not match the manifest: the backup is damaged.")
    return manifest


def restore(
    archive: Path, target: Source, *, database_empty: bool, force: bool = False
) -> dict[str, Any]:
    """Restore `archive` into `target`; nothing is written unless every check passes.

    `database_empty`: the target database has no tables yet (a fresh installation).
    """
    manifest = verify(archive)
    database = target.database
    member = manifest["database"]
    if (member == SQLITE_MEMBER) != _is_sqlite(database):
        kind = "SQLite" if member == SQLITE_MEMBER else "PostgreSQL"
        raise BackupError(f"This backup holds a {kind} database; configure one to restore it.")
    if not database_empty and not force:
        raise BackupError("The configured database already holds data; add --force to replace it.")
    with tarfile.open(archive) as tar:
        keys = {}
        for name in KEY_NAMES:
            handle = tar.extractfile(f"keys/{name}")
            assert handle is not None
            keys[name] = handle.read().decode()
        if any(_photo_files(target.photo_dir)) and not force:
            current = (target.data_dir / "photo_key").read_text().strip()
            if current != keys["photo_key"]:
                raise BackupError(
                    f"{target.photo_dir} holds photos encrypted with another key; "
                    "add --force to replace them and the key."
                )
        target.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.data_dir) as work:
            staging = Path(work)
            tar.extractall(staging, members=_safe_members(tar), filter="data")
            if _is_sqlite(database):
                _copy_sqlite(staging / SQLITE_MEMBER, Path(database["NAME"]))
            else:
                _run(
                    ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error",
                     "--dbname", str(database["NAME"]), str(staging / PG_MEMBER)],
                    _pg_env(database),
                )  # fmt: skip
            photos = staging / "photos"
            if target.photo_dir is not None and photos.exists():
                target.photo_dir.mkdir(parents=True, exist_ok=True)
                shutil.copytree(photos, target.photo_dir, dirs_exist_ok=True)
            for name in KEY_NAMES:
                path = target.data_dir / name
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as key_file:
                    key_file.write(keys[name])
    return manifest


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's backup API, so a database file another process has open is replaced whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
