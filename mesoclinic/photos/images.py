"""From an uploaded file to the three images a photo keeps: checked, upright, anonymous.

`prepare(data, max_bytes=...)` is the whole pipeline, with no Django model in it:

- the content decides, never the name: only JPEG, PNG and HEIC/HEIF open (Pillow is told
  which decoders it may try); anything else, a renamed program included, is refused;
- the size is limited before anything is decoded, and so are the pixels: an image of more
  than Pillow's `MAX_IMAGE_PIXELS` (about 89 megapixels; a phone's photo is 12 to 48) is
  refused from its header, before its pixels are unpacked (a decompression bomb);
- the EXIF orientation is applied to the pixels, then every piece of metadata is left
  behind: EXIF (GPS above all), XMP, IPTC, comments, PNG text. Only the ICC colour profile
  is kept, so colours stay true; it describes colours, not the patient or the place;
- the derivatives are made once: the screen image (longest side 1,600 px, JPEG quality 85)
  and the thumbnail (320 px, quality 80).

The original is kept at full resolution, re-encoded, because removing metadata without
re-encoding would leave the orientation in the EXIF that is removed: a JPEG (or a HEIC,
which no browser shows) becomes a JPEG at quality 95 without chroma subsampling, visually
lossless; a PNG is saved again as PNG, losslessly, without its text chunks.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from mesoclinic.pillow_strict import strict_loading

pillow_heif.register_heif_opener()

# Pillow's names for the formats a clinic's cameras produce; no other decoder ever reads an
# upload. (A JPEG with a multi-picture index, from some cameras, opens as MPO: a JPEG.)
DECODERS = ["JPEG", "PNG", "HEIF"]
SCREEN_SIDE, SCREEN_QUALITY = 1600, 85
THUMB_SIDE, THUMB_QUALITY = 320, 80
ORIGINAL_QUALITY = 95
USUAL_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK"}
# Used when a deployment turned Pillow's own limit off (MAX_IMAGE_PIXELS = None).
FALLBACK_MAX_PIXELS = 89_478_485

NOT_A_PHOTO = "This file is not a photo (JPEG, PNG or HEIC)."
TOO_LARGE_TO_OPEN = "This image is too large to open safely."
DAMAGED = "This photo could not be read: the file may be damaged or incomplete."


class ImageRefused(Exception):
    """An upload that is not kept, with the reason in words a practitioner understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Encoded:
    data: bytes
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class Prepared:
    original: Encoded
    screen: Encoded
    thumb: Encoded
    sha256: str  # of the file as uploaded, before anything was removed


def too_large(max_bytes: int) -> str:
    return f"This photo is larger than {max_bytes / 1_048_576:g} MB."


def prepare(data: bytes, *, max_bytes: int) -> Prepared:
    """Check `data` and make the kept original, screen image and thumbnail; or refuse."""
    if len(data) > max_bytes:
        raise ImageRefused(too_large(max_bytes))
    image = upright(decode(data))
    original = encode_original(image)
    screen = shrunk(image, SCREEN_SIDE)
    return Prepared(
        original=original,
        screen=as_jpeg(screen, SCREEN_QUALITY),
        thumb=as_jpeg(shrunk(screen, THUMB_SIDE), THUMB_QUALITY),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def max_pixels() -> int:
    return Image.MAX_IMAGE_PIXELS or FALLBACK_MAX_PIXELS


def decode(data: bytes) -> Image.Image:
    """The image, decoded, if it is a JPEG, PNG or HEIC of a size that is safe to unpack."""
    with warnings.catch_warnings():
        # Pillow raises above twice its limit, and only warns between: the check below
        # refuses those, so the warning would say nothing more.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=DECODERS)
        except Image.DecompressionBombError:
            raise ImageRefused(TOO_LARGE_TO_OPEN) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ImageRefused(NOT_A_PHOTO) from None
        if image.width * image.height > max_pixels():
            raise ImageRefused(TOO_LARGE_TO_OPEN)
        try:
            with strict_loading():
                image.load()
        except (OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused(DAMAGED) from None
    return image


def upright(image: Image.Image) -> Image.Image:
    """A new image, turned as the camera said, carrying nothing but its pixels and their
    colour profile (and a PNG's transparent colour, which is part of the picture)."""
    turned = common_mode(ImageOps.exif_transpose(image))
    keep = ("icc_profile", "transparency")
    turned.info = {k: image.info[k] for k in keep if image.info.get(k) is not None}
    turned.format = image.format
    return turned


def common_mode(image: Image.Image) -> Image.Image:
    """16-bit greyscale scaled to 8 bits (a plain conversion would clip it to white), and any
    other rare mode converted to RGB; the usual ones unchanged."""
    if image.mode in USUAL_MODES:
        return image
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    try:
        return image.convert("RGB")
    except ValueError:
        raise ImageRefused(NOT_A_PHOTO) from None


def encode_original(image: Image.Image) -> Encoded:
    if image.format == "PNG":
        buffer = io.BytesIO()
        # Only what is named here is written: no text, EXIF or XMP chunk.
        image.save(buffer, format="PNG", **_profile(image), **_transparency(image))
        return Encoded(buffer.getvalue(), "image/png", image.width, image.height)
    return as_jpeg(image, ORIGINAL_QUALITY, subsampling=0)


def shrunk(image: Image.Image, longest: int) -> Image.Image:
    """A copy whose longest side is at most `longest` (never enlarged)."""
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    copy.info = dict(image.info)
    return copy


def as_jpeg(image: Image.Image, quality: int, subsampling: int = 2) -> Encoded:
    flat = flattened(image)
    buffer = io.BytesIO()
    # Only what is named is written (`flattened` left no comment in `info` for Pillow to copy).
    options = {"quality": quality, "subsampling": subsampling, "optimize": True}
    flat.save(buffer, format="JPEG", **options, **_profile(flat))
    return Encoded(buffer.getvalue(), "image/jpeg", flat.width, flat.height)


def flattened(image: Image.Image) -> Image.Image:
    """RGB or greyscale, as JPEG stores them: anything transparent is laid on white."""
    if image.mode == "CMYK":
        flat = image.convert("RGB")
        flat.info = {}  # its CMYK colour profile no longer applies
        return flat
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", image.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode in ("RGB", "L"):
        flat = image.copy()
    else:
        flat = image.convert("RGB")
    flat.info = {"icc_profile": image.info["icc_profile"]} if "icc_profile" in image.info else {}
    return flat


def _profile(image: Image.Image) -> dict[str, bytes]:
    icc = image.info.get("icc_profile")
    return {"icc_profile": icc} if icc else {}


def _transparency(image: Image.Image) -> dict[str, object]:
    value = image.info.get("transparency")
    return {"transparency": value} if value is not None else {}
