"""A practitioner photographs a patient's face again with the live camera, the first photo
of the view laid faintly over the camera's picture to line the new one up. Chromium's fake
camera (a moving test pattern) stands in for the tablet's; the first photo is a drawn card
chosen from the device's files, never a person."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, login, screenshot
from tests.browser.flows import give_photo_consent, new_patient

# A camera that needs no person to allow it and shows a generated picture.
FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture(scope="module")
def camera_browser(browser):
    """A second Chromium from the suite's one Playwright (a second Playwright cannot run
    beside it), launched as tests/browser/conftest.py does, with a fake camera besides."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *FAKE_CAMERA]
    )
    yield chromium
    chromium.close()


@pytest.fixture
def tablet(camera_browser, live_app):
    """A landscape tablet (1024x768, touch), allowed to use the camera."""
    context = camera_browser.new_context(
        base_url=live_app,
        viewport={"width": 1024, "height": 768},
        has_touch=True,
        permissions=["camera"],
    )
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def _drawn_card() -> bytes:
    image = Image.new("RGB", (900, 1200), (225, 228, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 200, 650, 800), fill=(200, 150, 130))
    draw.rectangle((380, 800, 520, 1100), fill=(120, 120, 140))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _small_targets(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'main button, main select, main input:not([type=hidden]), main a.button')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44).map(([html, h]) => `${html} (${h}px)`)"""
    )


def test_a_photo_lined_up_on_the_first_one_with_the_live_camera(tablet):
    page = tablet
    refused = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Carla", "Camera", "1979-05-06")
    page.get_by_role("link", name="Photos").click()
    give_photo_consent(page)

    # The first photo of the view: a file from the device, by the input without `capture`.
    chosen = page.get_by_label("Or choose a file from this device")
    assert chosen.get_attribute("capture") is None
    assert page.locator("#id_photo").get_attribute("capture") == "environment"
    chosen.set_input_files(
        {"name": "DSC_0001.JPG", "mimeType": "image/jpeg", "buffer": _drawn_card()}
    )
    page.get_by_label("View").select_option(label="Face, front")
    page.get_by_label("Camera").fill("Clinic camera")
    page.get_by_role("button", name="Keep the photo").click()
    expect(page.get_by_text("Photo kept: Face, front.")).to_be_visible()
    first_id = page.locator(".photo-card").first.get_attribute("href").strip("/").split("/")[-1]
    baseline = f"/photos/{first_id}/screen/"

    # The live camera, the first photo's ghost over it: its image asked for only now (each
    # image served is audited), once.
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/screen/" in r.url else None)
    page.get_by_label("View").select_option(label="Face, front")
    assert asked == []
    page.get_by_role("button", name="Use the live camera").click()
    video = page.locator("[data-camera-video]")
    expect(video).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-camera-video]').videoWidth > 0")
    ghost = page.locator("img.live-ghost:not([hidden])")
    expect(ghost).to_be_visible()
    expect(ghost).to_have_attribute("src", baseline)
    expect(ghost).to_have_js_property("complete", True)
    assert ghost.evaluate("i => i.naturalWidth") > 0
    expect(page.locator("[data-camera-caption]")).to_have_text(
        re.compile(r"^Ghost of the first photo of this view \(\d{1,2} \w{3} \d{4}\)$")
    )
    # Over the picture, not beside it.
    v, g = video.bounding_box(), ghost.bounding_box()
    assert abs(v["x"] - g["x"]) < 1 and abs(v["width"] - g["width"]) < 1
    opacity = page.get_by_label("Ghost's opacity")
    opacity.fill("70")
    assert ghost.evaluate("i => getComputedStyle(i).opacity") == "0.7"
    assert _small_targets(page) == []
    page.locator("[data-camera]").scroll_into_view_if_needed()
    page.screenshot(path=_artifact("photo-camera-live"))
    screenshot(page, "photo-camera-live-page")

    # Another view without a photo: no ghost, said so; back again: its ghost.
    page.get_by_label("View").select_option(label="Face, 45° left")
    expect(ghost).to_be_hidden()
    expect(page.locator("[data-camera-caption]")).to_have_text(
        "No earlier photo of this view: nothing to line up with."
    )
    page.get_by_label("View").select_option(label="Face, front")
    expect(ghost).to_be_visible()
    assert [url.split("127.0.0.1")[-1].split("/", 1)[-1] for url in asked] == [baseline[1:]]

    # The frame taken goes into the form; the camera is let go.
    page.locator("[data-camera-video]").evaluate(
        "v => { window.cameraTracks = v.srcObject.getTracks(); }"
    )
    page.get_by_role("button", name="Take the photo").click()
    expect(page.locator("[data-camera-said]")).to_have_text(
        "Photo taken. Press Keep the photo to keep it, or take it again."
    )
    expect(page.locator("[data-camera-shot]")).to_be_visible()
    expect(video).to_be_hidden()
    expect(ghost).to_be_hidden()
    assert page.evaluate("() => window.cameraTracks.every(t => t.readyState === 'ended')")
    assert page.locator("#id_photo").evaluate("i => [i.files.length, i.files[0].type]") == [
        1,
        "image/jpeg",
    ]
    page.locator("[data-camera]").scroll_into_view_if_needed()
    page.screenshot(path=_artifact("photo-camera-taken"))

    page.get_by_role("button", name="Keep the photo").click()
    expect(page.get_by_text("Photo kept: Face, front.")).to_be_visible()
    front = page.locator(
        "section", has=page.get_by_role("heading", name=re.compile("^Face, front"))
    )
    expect(front.locator(".count")).to_have_text("2 photos")
    expect(front.locator(".photo-card")).to_have_count(2)
    for img in front.locator(".photo-card img").all():
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    screenshot(page, "photo-camera-kept")
    assert refused == []


def test_a_camera_refused_is_said_and_the_file_inputs_still_work(tablet):
    page = tablet
    # As if the person had refused the browser's question (the fake camera never asks).
    page.add_init_script(
        """navigator.mediaDevices.getUserMedia = () =>
             Promise.reject(new DOMException("Refused", "NotAllowedError"));"""
    )
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Rita", "Refused", "1990-01-02")
    page.get_by_role("link", name="Photos").click()
    give_photo_consent(page)
    page.get_by_label("View").select_option(label="Face, front")
    page.get_by_role("button", name="Use the live camera").click()
    expect(page.locator("[data-camera-status]")).to_have_text(
        "Permission to use the camera was refused. "
        "The two inputs above still take or choose the photo."
    )
    expect(page.locator("[data-camera-video]")).to_be_hidden()
    page.get_by_label("Or choose a file from this device").set_input_files(
        {"name": "DSC_0002.JPG", "mimeType": "image/jpeg", "buffer": _drawn_card()}
    )
    page.get_by_role("button", name="Keep the photo").click()
    expect(page.get_by_text("Photo kept: Face, front.")).to_be_visible()


def _artifact(name: str) -> str:
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")
