"""Photos are encrypted before any storage sees them, and decrypted when opened.

`EncryptedStorage` is a Django storage that wraps another (the inner storage): every file
is encrypted with Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) on its way
in, so what lies on the disk or in the bucket is never an image, and anyone who copies it
without the key has nothing. The inner storage is a class path with its keyword
arguments: by default a `FileSystemStorage` under `DATA_DIR / "photos"` (files 600,
directories 700), outside the static files and every other served path; for clinics that
outgrow one machine, any Django storage such as django-storages' S3 backend
(`MESOCLINIC_PHOTO_STORAGE`, `MESOCLINIC_PHOTO_STORAGE_OPTIONS`; README "Configuration").

A storage name never leads to a URL: photos are served only by the access-checked views
(`photos/views.py`), so `url()` refuses.
"""

import base64
import binascii
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django.utils.module_loading import import_string

DEFAULT_INNER = "django.core.files.storage.FileSystemStorage"
KEY_HELP = (
    "the photo key must be 32 random bytes in URL-safe base64, as printed by "
    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
)


def fernet_key(text: str) -> bytes:
    """The Fernet key for a key as configured (padding optional), or ImproperlyConfigured."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(KEY_HELP) from None
    if len(raw) != 32:
        raise ImproperlyConfigured(KEY_HELP)
    return base64.urlsafe_b64encode(raw)


class UnreadablePhoto(Exception):
    """A stored file that does not decrypt with the key: another key, or damaged."""


@deconstructible
class EncryptedStorage(Storage):
    def __init__(
        self,
        key: str = "",
        inner: str = DEFAULT_INNER,
        inner_options: dict[str, Any] | None = None,
    ) -> None:
        if not key:
            raise ImproperlyConfigured("EncryptedStorage needs a key: " + KEY_HELP)
        self.fernet = Fernet(fernet_key(key))
        self.inner_class = inner
        self.inner_options = dict(inner_options or {})

    @cached_property
    def inner(self) -> Storage:
        storage_class = import_string(self.inner_class)
        return storage_class(**self.inner_options)

    def _open(self, name: str, mode: str = "rb") -> File[bytes]:
        if mode != "rb":
            raise SuspiciousFileOperation("photos are opened for reading only")
        with self.inner.open(name, "rb") as stored:
            token = stored.read()
        try:
            return ContentFile(self.fernet.decrypt(token), name=name)
        except InvalidToken:
            raise UnreadablePhoto(f"{name} does not decrypt with the photo key") from None

    def _save(self, name: str, content: IO[bytes]) -> str:
        content.seek(0)
        token = self.fernet.encrypt(content.read())
        return self.inner.save(name, ContentFile(token))

    def read(self, name: str) -> bytes:
        with self.open(name) as opened:
            return opened.read()

    def delete(self, name: str) -> None:
        self.inner.delete(name)

    def exists(self, name: str) -> bool:
        return self.inner.exists(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.inner.listdir(path)

    def size(self, name: str) -> int:
        return len(self.read(name))

    def url(self, name: str | None) -> str:
        raise NotImplementedError("photos are served only by the access-checked views")

    def get_modified_time(self, name: str) -> Any:
        return self.inner.get_modified_time(name)


def photo_storage() -> EncryptedStorage:
    """The configured storage (`STORAGES["photos"]`), read when called, never at import."""
    storage = storages["photos"]
    if not isinstance(storage, EncryptedStorage):
        raise ImproperlyConfigured('STORAGES["photos"] must be an EncryptedStorage')
    return storage
