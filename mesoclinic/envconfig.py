"""Strict readers for environment variables, and the generated secret keys.

A typo such as MESOCLINIC_DEBUG=yes must fail loudly rather than silently
turn debugging on or off.
"""

import json
import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    pass


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value in ("True", "true", "1"):
        return True
    if value in ("False", "false", "0"):
        return False
    raise ConfigError(f"{name} must be True or False, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def envdict(name: str) -> dict[str, object]:
    """A JSON object (keyword arguments for a configurable class), or {} when unset."""
    value = os.environ.get(name, "")
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ConfigError(f'{name} must be a JSON object such as {{"bucket_name": "x"}}')
    return parsed


def data_dir() -> Path:
    path = Path(os.environ.get("MESOCLINIC_DATA_DIR") or Path.cwd() / "var").resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_or_create_secret(path: Path, nbytes: int = 50) -> str:
    """Return the secret stored at path, creating it (mode 600) the first time."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(nbytes)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def secret_key(directory: Path) -> str:
    if key := os.environ.get("MESOCLINIC_SECRET_KEY"):
        return key
    if key_file := os.environ.get("MESOCLINIC_SECRET_KEY_FILE"):
        return Path(key_file).read_text().strip()
    return read_or_create_secret(directory / "secret_key")


def photo_key(directory: Path) -> str:
    """The key photos are encrypted with: 32 random bytes, URL-safe base64. Lose it and the
    photos are lost: it is backed up with the data directory, apart from the photos."""
    if key := os.environ.get("MESOCLINIC_PHOTO_KEY"):
        return key
    if key_file := os.environ.get("MESOCLINIC_PHOTO_KEY_FILE"):
        return Path(key_file).read_text().strip()
    return read_or_create_secret(directory / "photo_key", nbytes=32)
