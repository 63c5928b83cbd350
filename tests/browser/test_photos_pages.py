"""A practitioner photographs a new patient in three standard views (shapes drawn here, not a
person), sees them grouped by view with plain labels, opens one, and voids another."""

import io

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import give_photo_consent, new_patient

VIEWS = ["Face, front", "Face, 45° left", "Body, front"]


def _drawn(colour: tuple[int, int, int], size=(1200, 1600)) -> bytes:
    image = Image.new("RGB", size, (225, 228, 230))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.25, h * 0.15, w * 0.75, h * 0.7), fill=colour)
    draw.rectangle((w * 0.4, h * 0.7, w * 0.6, h * 0.95), fill=(120, 120, 140))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _take(page, view: str, colour, side: str = "") -> None:
    page.locator("#id_photo").set_input_files(
        {"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": _drawn(colour)}
    )
    page.get_by_label("View").select_option(label=view)
    if side:
        page.get_by_label("Side").select_option(label=side)
    page.get_by_label("Camera").fill("iPad camera")
    page.get_by_role("button", name="Keep the photo").click()
    expect(page.get_by_text(f"Photo kept: {view}.")).to_be_visible()


def _small_targets(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'main button, main select, main input:not([type=hidden]), main .photo-card, '
              + 'main a.button, main summary')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44).map(([html, h]) => `${html} (${h}px)`)"""
    )


def test_photos_in_standard_views_on_a_tablet_sized_screen(page):
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Paula", "Photo", "1986-03-04")
    page.get_by_role("link", name="Photos").click()
    expect(page.locator("h1")).to_contain_text("Photos: Paula Photo")
    # No photo before the patient consents to clinical photos: said where the form would be.
    expect(page.get_by_role("alert")).to_contain_text("consent to clinical photos first")
    expect(page.locator("#id_photo")).to_have_count(0)
    give_photo_consent(page)
    upload = page.locator("#id_photo")
    assert upload.get_attribute("capture") == "environment"

    # A renamed program is refused next to the file field, the choices kept.
    page.locator("#id_photo").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"\x7fELF\x02\x01" + bytes(90)}
    )
    page.get_by_label("View").select_option(label="Submental, profile")
    page.get_by_label("Camera").fill("Clinic camera")
    page.get_by_role("button", name="Keep the photo").click()
    expect(page.locator("#id_photo_error")).to_have_text(
        "This file is not a photo (JPEG, PNG or HEIC)."
    )
    expect(page.get_by_label("View")).to_have_value("submental-profile")
    expect(page.get_by_label("Camera")).to_have_value("Clinic camera")

    for view, colour in zip(VIEWS, [(200, 90, 80), (80, 140, 200), (90, 170, 110)], strict=True):
        _take(page, view, colour)
    _take(page, "Face, front", (210, 160, 60), side="Left")
    expect(page.locator(".photo-card")).to_have_count(4)
    for img in page.locator(".photo-card img").all():
        img.scroll_into_view_if_needed()  # lazy: loaded when it comes into view
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    text = page.locator("main").inner_text()
    assert "face-45-left" not in text and "body-front" not in text
    assert _small_targets(page) == []
    screenshot(page, "photos-patient")

    page.locator(".photo-card").first.click()
    expect(page.locator("h1")).to_have_text("Face, front")
    expect(page.locator(".photo-screen img")).to_have_js_property("complete", True)
    page.locator("summary", has_text="Void this photo").click()
    assert _small_targets(page) == []
    screenshot(page, "photos-detail")
    page.get_by_label("Reason for voiding").fill("Taken of the wrong side")
    page.get_by_role("button", name="Void the photo").click()
    expect(page.get_by_text("Voided: Taken of the wrong side")).to_be_visible()
    expect(page.locator(".photo-screen")).to_have_count(0)
