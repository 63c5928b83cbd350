"""The release this process runs: a digest of the package's code, templates and data.

It prefixes every cache key, so servers of two releases sharing one cache (a rolling
deploy) never serve each other's fragments. ``MESOCLINIC_RELEASE`` overrides it.
"""

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SUFFIXES = {".py", ".html", ".txt", ".toml", ".json", ".yaml", ".yml", ".md", ".svg", ".css", ".js"}


@cache
def digest(root: Path = PACKAGE) -> str:
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
            sha.update(str(path.relative_to(root)).encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()[:12]
