"""Public ids drawn from the seeder's random stream, so a seed gives the same ids."""

from __future__ import annotations

import random


def uid(rng: random.Random, salt: int = 0) -> str:
    """A version-4 UUID as 32 hex digits."""
    n = rng.getrandbits(128) ^ salt
    n = (n & ~(0xF << 76)) | (4 << 76)
    n = (n & ~(0x3 << 62)) | (0x2 << 62)
    return f"{n:032x}"


def dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"
