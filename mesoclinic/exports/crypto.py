"""The export file's encryption: scrypt from the owner's passphrase, then AES-256-GCM in
chunks, so neither writing nor reading holds the archive in memory.

Only the Python standard library and `cryptography` are needed to read it, so a clinic
can decrypt without mesoclinic (``python crypto.py IN OUT`` with this one file).

Layout: ``MAGIC`` (8 bytes), salt (16), scrypt log2(n), r, p (one byte each), a nonce
prefix (8); then chunks, each a 4-byte big-endian length and the ciphertext of up to
``CHUNK`` bytes with its 16-byte tag. Chunk i's nonce is the prefix and i (4 bytes); its
associated data is the header, i and whether it is the last chunk, so a reordered,
truncated or extended file fails to decrypt rather than reading short.
"""

import os
import struct
import sys
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"MESOEXP1"
CHUNK = 1 << 20
LOG_N, R, P = 15, 8, 1  # scrypt at 32 MiB: slow to guess, fine for a worker
HEADER = struct.Struct(">8s16sBBB8s")


class WrongPassphrase(Exception):
    """The passphrase does not open this file, or the file was changed."""


def _key(passphrase: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=1 << log_n, r=r, p=p)
    return kdf.derive(passphrase.encode("utf-8"))


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">I?", index, last)


class Sealer:
    """A write-only file that encrypts what it is given onto `out`, a chunk at a time:
    `zipfile` writes the archive straight through it, so nothing decrypted touches the
    disk. `close` seals the last chunk (perhaps empty) and must be called."""

    def __init__(self, out: BinaryIO, passphrase: str) -> None:
        salt, self._prefix = os.urandom(16), os.urandom(8)
        self._header = HEADER.pack(MAGIC, salt, LOG_N, R, P, self._prefix)
        self._aes = AESGCM(_key(passphrase, salt, LOG_N, R, P))
        self._out, self._buffer, self._index, self._written = out, bytearray(), 0, 0
        out.write(self._header)

    def write(self, data: bytes) -> int:
        self._buffer += data
        self._written += len(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._out.flush()

    def _seal(self, block: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">I", self._index)
        sealed = self._aes.encrypt(nonce, block, _aad(self._header, self._index, last))
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._index += 1


def encrypt(source: BinaryIO, out: BinaryIO, passphrase: str) -> None:
    sealer = Sealer(out, passphrase)
    while block := source.read(CHUNK):
        sealer.write(block)
    sealer.close()


def decrypt(source: BinaryIO, out: BinaryIO, passphrase: str) -> None:
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise WrongPassphrase("This is not a mesoclinic export file.")
    magic, salt, log_n, r, p, prefix = HEADER.unpack(header)
    if magic != MAGIC:
        raise WrongPassphrase("This is not a mesoclinic export file.")
    aes = AESGCM(_key(passphrase, salt, log_n, r, p))
    index, pending = 0, _read_sealed(source)
    while pending is not None:
        following = _read_sealed(source)
        nonce = prefix + struct.pack(">I", index)
        try:
            out.write(aes.decrypt(nonce, pending, _aad(header, index, following is None)))
        except InvalidTag:
            raise WrongPassphrase(
                "The passphrase does not open this export, or the file is damaged."
            ) from None
        index, pending = index + 1, following


def _read_sealed(source: BinaryIO) -> bytes | None:
    size = source.read(4)
    if not size:
        return None
    (length,) = struct.unpack(">I", size)
    return source.read(length)


if __name__ == "__main__":  # pragma: no cover - for clinics without mesoclinic
    import getpass

    with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as dst:
        decrypt(src, dst, getpass.getpass("Passphrase: "))
