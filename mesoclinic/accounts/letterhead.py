"""The clinic's letterhead: legal name, postal address, tax number and logo, printed at
the top of invoices, signed consents and aftercare sheets (`jinja2/_letterhead.html`).

The logo is an uploaded PNG or JPEG, checked by its content with Pillow (never by its
name), at most `MAX_LOGO_BYTES` and `MAX_LOGO_SIDE` pixels a side, and kept in the
"letterheads" storage under the data dir. Printed documents embed it as a data: URI, so
WeasyPrint never fetches a URL and no page serves the file.
"""

import base64
import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from PIL import Image, UnidentifiedImageError

from mesoclinic.accounts.models import Organization
from mesoclinic.pillow_strict import strict_loading

MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 2000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


class LogoRefused(ValueError):
    """The upload is not a logo we keep; the message is for the person who chose it."""


@dataclass(frozen=True)
class Letterhead:
    name: str
    address_lines: tuple[str, ...]
    tax_number: str
    logo_uri: str


def checked_logo(data: bytes) -> str:
    """The file's format ("PNG" or "JPEG") if it is a logo we keep, else LogoRefused."""
    if len(data) > MAX_LOGO_BYTES:
        raise LogoRefused(f"The logo is larger than {MAX_LOGO_BYTES // 1024} KB.")
    try:
        image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        too_large = image.width > MAX_LOGO_SIDE or image.height > MAX_LOGO_SIDE
        if not too_large:
            with strict_loading():
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise LogoRefused("Choose a PNG or JPEG image.") from None
    if too_large:
        raise LogoRefused(f"The logo is larger than {MAX_LOGO_SIDE} pixels a side.")
    assert image.format in FORMATS
    return image.format


def store_logo(organization: Organization, data: bytes) -> None:
    """Keep a checked logo and point the organization at it (the old file is removed)."""
    kind = checked_logo(data)
    storage = storages["letterheads"]
    name = f"{organization.public_id}/{uuid.uuid4().hex}.{kind.lower()}"
    name = storage.save(name, ContentFile(data))
    old, organization.logo = organization.logo, name
    organization.save(update_fields=["logo"])
    if old:
        storage.delete(old)


def remove_logo(organization: Organization) -> None:
    if organization.logo:
        storages["letterheads"].delete(organization.logo)
        organization.logo = ""
        organization.save(update_fields=["logo"])


def logo_uri(organization: Organization) -> str:
    """The logo as a data: URI, or "" when there is none (or its file is gone)."""
    if not organization.logo:
        return ""
    try:
        with storages["letterheads"].open(organization.logo) as f:
            data = f.read()
    except OSError:
        return ""
    mime = FORMATS["PNG" if organization.logo.endswith(".png") else "JPEG"]
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def letterhead(organization: Organization) -> Letterhead:
    return Letterhead(
        name=organization.legal_name or organization.name,
        address_lines=tuple(
            line.strip() for line in organization.postal_address.splitlines() if line.strip()
        ),
        tax_number=organization.tax_number,
        logo_uri=logo_uri(organization),
    )
