"""A practitioner compares two photos of a drawn face (photos/synthetic.py, never a
person) taken from a different distance and tilt: once the pupils are tapped on both,
the after photo lies on the before one, and the slider and the overlay show them."""

import io

from playwright.sync_api import expect

from mesoclinic.photos import synthetic
from tests.browser.conftest import login, screenshot
from tests.browser.flows import give_photo_consent, new_patient

BEFORE = synthetic.Face()
# Further from the camera, tilted, off-centre; the right cheek fuller and the left mouth
# corner lifted: the differences the comparison should show once the camera's are undone.
AFTER = synthetic.Face(
    centre=(540.0, 610.0),
    roll=7.0,
    px_per_mm=3.5,
    cheek_fullness=6.0,
    moved={"mouth-corner-left": (2.0, -4.0)},
)


def _take(page, face: synthetic.Face) -> dict:
    image, at = synthetic.draw(face)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    page.locator("#id_photo").set_input_files(
        {"name": "face.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
    )
    page.get_by_label("View").select_option(label="Face, front")
    page.get_by_label("Camera").fill("iPad camera")
    page.get_by_role("button", name="Keep the photo").click()
    expect(page.get_by_text("Photo kept: Face, front.")).to_be_visible()
    return at


def _place_pupils(page, card: int, face: synthetic.Face, at: dict) -> None:
    page.locator(".photo-card").nth(card).click()
    page.get_by_role("link", name="Place landmarks").click()
    img = page.locator(".landmarks-canvas img")
    expect(img).to_have_js_property("complete", True)
    img.scroll_into_view_if_needed()
    width, height = face.size
    for name in ("pupil-right", "pupil-left"):
        page.locator(f'[data-landmark="{name}"]').click()
        box = img.bounding_box()
        x, y = at[name]
        page.mouse.click(box["x"] + x / width * box["width"], box["y"] + y / height * box["height"])
    page.get_by_role("button", name="Save the landmarks").click()
    expect(page.get_by_text("Landmarks kept.")).to_be_visible()
    page.get_by_role("link", name="Back to the photo").click()
    page.locator(".sub a").first.click()  # the patient's photos


def _pupils_apart(page, at_before: dict, at_after: dict) -> float:
    """How far apart (CSS px) the two photos' pupils are drawn, read from the layout
    Chromium computed (the transform applied, the images' displayed sizes)."""
    return page.evaluate(
        """([b, a]) => {
          const before = document.querySelector('.compare-before');
          const after = document.querySelector('.compare-after');
          const m = new DOMMatrix(getComputedStyle(after).transform);
          const kb = before.clientWidth / before.naturalWidth;
          const ka = after.clientWidth / after.naturalWidth;
          let worst = 0;
          for (let i = 0; i < 2; i++) {
            const p = m.transformPoint(new DOMPoint(a[i][0] * ka, a[i][1] * ka));
            worst = Math.max(worst, Math.hypot(p.x - b[i][0] * kb, p.y - b[i][1] * kb));
          }
          return worst;
        }""",
        [
            [at_before["pupil-right"], at_before["pupil-left"]],
            [at_after["pupil-right"], at_after["pupil-left"]],
        ],
    )


def _small_targets(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll(
              // A radio's tap target is its label (.compare-choice), the whole row.
              'main button, main input:not([type=hidden]):not([type=radio]), '
              + 'main .compare-choice, '
              + 'main a.button')]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44).map(([html, h]) => `${html} (${h}px)`)"""
    )


def test_two_photos_lined_up_by_the_pupils_in_slider_and_overlay(tablet):
    page = tablet
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Cora", "Compare", "1979-09-10")
    page.get_by_role("link", name="Photos").click()
    give_photo_consent(page)
    at_before = _take(page, BEFORE)
    at_after = _take(page, AFTER)
    # Newest first on the photos page: card 0 is the after photo.
    _place_pupils(page, 1, BEFORE, at_before)
    _place_pupils(page, 0, AFTER, at_after)

    page.set_viewport_size({"width": 1024, "height": 768})
    page.get_by_role("link", name="Compare", exact=True).click()
    expect(page.locator("[data-alignment]")).to_contain_text("Aligned by the pupils.")
    for img in page.locator(".compare-stage img").all():
        expect(img).to_have_js_property("complete", True)
    assert _pupils_apart(page, at_before, at_after) < 3

    boundary = page.get_by_label("Before | After boundary")
    boundary.fill("30")
    clip = page.locator("[data-compare-after]")
    expect(clip).to_have_css("clip-path", "inset(0px 0px 0px 30%)")
    assert _small_targets(page) == []
    page.locator(".compare-stage").scroll_into_view_if_needed()
    screenshot(page, "photo-compare-slider")

    page.get_by_role("button", name="Overlay").click()
    expect(boundary).to_be_hidden()
    page.get_by_label("After photo's opacity").fill("60")
    expect(clip).to_have_css("opacity", "0.6")
    expect(clip).to_have_css("clip-path", "none")
    assert _small_targets(page) == []
    # Resized (a tablet turned), the after photo stays on the before one.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.wait_for_function("() => document.querySelector('.compare-before').clientWidth < 700")
    page.wait_for_timeout(200)  # the resize observer runs after layout
    assert _pupils_apart(page, at_before, at_after) < 3
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator(".compare-stage").scroll_into_view_if_needed()
    screenshot(page, "photo-compare-overlay")

    # The comparison sheet for the consultation: both photos with their dates, and a PDF.
    page.get_by_role("link", name="Comparison sheet").click()
    expect(page.get_by_role("heading", name="Face, front")).to_be_visible()
    figures = page.locator(".sheet-visit")
    expect(figures).to_have_count(2)
    expect(figures.first).to_contain_text("(first photo)")
    expect(figures.first).to_contain_text("No score recorded at this visit")
    for img in figures.locator("img").all():
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 0
    assert _small_targets(page) == []
    screenshot(page, "photo-comparison-sheet")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes()[:5] == b"%PDF-"
