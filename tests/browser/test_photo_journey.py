"""A facial-symmetry course photographed on a tablet, as a practitioner works it: the
baseline views its protocol needs taken at the first session before it is signed, a
later frontal photo compared with the baseline by the slider, and the landmarks tapped
on the baseline frontal photo giving the symmetry index its photo page shows.

The faces are drawn (photos/synthetic.py, never a person) with a known asymmetry, so
the index the page shows can be checked against what was drawn."""

import io
import re

from playwright.sync_api import expect

from mesoclinic.photos import synthetic
from mesoclinic.rules import symmetry
from tests.browser.conftest import login, screenshot
from tests.browser.flows import (
    add_area,
    htmx_idle,
    new_patient,
    sign_consent,
    take_missing_session_photos,
)

LOT = "HAB-5521"  # the demo clinic's non-crosslinked HA booster
CHEEK_VIEWS = 5  # front, both 45° and both profiles (data/photography.toml)
# The left mouth corner and brow peak higher, the left cheek further out: about 3
# points off a symmetric face's 100.
BASELINE = synthetic.Face(
    moved={
        "mouth-corner-left": (4.0, -4.0),
        "cheek-left": (5.0, 0.0),
        "brow-peak-left": (0.0, -5.0),
    }
)
# The review photo after treatment: the mouth corner still lifted, the rest evened
# out; taken nearer the camera.
LATER = synthetic.Face(moved={"mouth-corner-left": (2.0, -3.0)}, px_per_mm=4.4)


def _jpeg(face: synthetic.Face) -> tuple[bytes, dict]:
    image, at = synthetic.draw(face)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue(), at


def _plan_and_consent(page) -> None:
    page.get_by_role("button", name="New plan").click()
    add_area(page, "Facial symmetry", "Cheeks")
    expect(page.locator("#item-0")).to_contain_text("One-sided HA booster for facial symmetry")
    page.get_by_role("button", name="Approve plan").click()
    expect(page.locator(".plan-status")).to_contain_text("Approved version 1")
    page.get_by_role("link", name="Consent").click()
    sign_consent(page, "Lucia Ferrer")
    page.get_by_role("link", name="Plan", exact=True).click()


def _start_and_chart(page) -> None:
    page.get_by_role("link", name="Start a session").click()
    page.get_by_label("Site").select_option(label="Demo Clinic Central")
    page.get_by_label("Asked today: pregnant or breastfeeding?").select_option("no")
    page.get_by_label("Weight today (kg)").fill("59")
    page.get_by_role("button", name="Start session").click()
    form = page.locator("form.chart-form")
    area = form.get_by_label("Area")
    area.select_option(area.locator("option", has_text="Cheeks").first.get_attribute("value"))
    lot = form.get_by_label("Lot")
    lot.select_option(lot.locator("option", has_text=LOT).first.get_attribute("value"))
    form.get_by_label("Volume (mL)").fill("1")
    form.get_by_role("button", name="Add to chart").click()
    htmx_idle(page)
    expect(page.locator("#chart table")).to_contain_text(LOT)


def _take_later_front(page, jpeg: bytes) -> None:
    page.locator("#id_photo").set_input_files(
        {"name": "IMG_0002.JPG", "mimeType": "image/jpeg", "buffer": jpeg}
    )
    page.get_by_label("View").select_option(label="Face, front")
    page.get_by_label("Camera").fill("iPad camera")
    page.get_by_role("button", name="Keep the photo").click()
    expect(page.get_by_text("Photo kept: Face, front.")).to_be_visible()


def _drag_slider_to(page, fraction: float) -> None:
    """Press the slider's thumb (in the middle: it starts at 50) and drag it along."""
    box = page.locator("[data-compare-boundary]").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    for step in range(1, 6):
        x = box["width"] * (0.5 + (fraction - 0.5) * step / 5)
        page.mouse.move(box["x"] + x, y)
    page.mouse.up()


def _tap_landmarks(page, at: dict, size: tuple[int, int]) -> None:
    """Tap each landmark where it was drawn, in the page's order: after each tap the
    page chooses the next landmark itself."""
    names = page.locator("[data-landmark]").evaluate_all("bs => bs.map(b => b.dataset.landmark)")
    assert names[: len(symmetry.LANDMARKS)] == list(symmetry.LANDMARKS)
    img = page.locator(".landmarks-canvas img")
    expect(img).to_have_js_property("complete", True)
    img.scroll_into_view_if_needed()
    width, height = size
    for name in symmetry.LANDMARKS:
        expect(page.locator(f'[data-landmark="{name}"]')).to_have_attribute("aria-pressed", "true")
        box = img.bounding_box()
        x, y = at[name]
        page.touchscreen.tap(
            box["x"] + x / width * box["width"], box["y"] + y / height * box["height"]
        )
        expect(page.locator(f'[data-landmark="{name}"]')).to_have_attribute("data-placed", "")


def _labels_cut_off(overlay) -> list[str]:
    """The overlay's labels that run past the photo's edges (the SVG clips them)."""
    return overlay.evaluate(
        """svg => [...svg.querySelectorAll('text')].filter(t => {
              const box = t.getBBox(), view = svg.viewBox.baseVal;
              return box.x < 0 || box.x + box.width > view.width;
            }).map(t => t.textContent)"""
    )


def test_a_symmetry_course_from_baseline_photos_to_its_symmetry_index(tablet):
    page = tablet
    baseline_jpeg, at = _jpeg(BASELINE)
    later_jpeg, _ = _jpeg(LATER)
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Lucia", "Ferrer", "1988-03-14", weight="59")
    patient_url = page.url
    _plan_and_consent(page)

    # The first session: the protocol needs its baseline views before it is signed.
    _start_and_chart(page)
    views = page.locator("section#session-photo-views")
    expect(views).to_contain_text(f"0 of {CHEEK_VIEWS} taken")
    expect(views.locator(".capture-missing")).to_have_count(CHEEK_VIEWS)
    screenshot(page, "photo-journey-1-views-missing")
    take_missing_session_photos(page, drawn={"Face, front": baseline_jpeg})
    views = page.locator("section#session-photo-views")
    expect(views).to_contain_text(f"All {CHEEK_VIEWS} standard views taken")
    expect(views.locator(".capture-missing")).to_have_count(0)
    expect(views.locator(".capture-taken")).to_have_count(CHEEK_VIEWS)
    screenshot(page, "photo-journey-2-views-taken")
    page.get_by_role("link", name="Sign session…").click()
    page.get_by_role("button", name="Confirm and sign").click()
    expect(page.get_by_text("Session signed.")).to_be_visible()

    # A later frontal photo, then the comparison from the patient's photos.
    page.goto(patient_url)
    page.get_by_role("link", name="Photos").click()
    _take_later_front(page, later_jpeg)
    front = page.locator("section", has=page.locator("#h-view-face-front"))
    expect(front.locator(".count")).to_have_text("2 photos")
    screenshot(page, "photo-journey-3-patient-photos")
    front.get_by_role("link", name="Compare", exact=True).click()
    expect(page.get_by_role("heading", name="Face, front", exact=True)).to_be_visible()
    expect(page.get_by_alt_text(re.compile("^Before: Face, front"))).to_be_visible()
    expect(page.get_by_alt_text(re.compile("^After: Face, front"))).to_be_visible()
    for img in page.locator(".compare-stage img").all():
        expect(img).to_have_js_property("complete", True)
    clip = page.locator("[data-compare-after]")
    expect(clip).to_have_css("clip-path", "inset(0px 0px 0px 50%)")
    page.locator(".compare-controls").scroll_into_view_if_needed()
    _drag_slider_to(page, 0.2)
    moved = int(page.locator("[data-compare-boundary]").input_value())
    assert 15 <= moved <= 25, moved
    expect(clip).to_have_css("clip-path", f"inset(0px 0px 0px {moved}%)")
    screenshot(page, "photo-journey-4-compare-slider")

    # The landmarks tapped on the baseline frontal photo (the before one).
    page.locator(".compare-pair").get_by_role("link").first.click()
    page.get_by_role("link", name="Place landmarks").click()
    expect(page.get_by_text("the patient's right is on your left")).to_be_visible()
    _tap_landmarks(page, at, BASELINE.size)
    screenshot(page, "photo-journey-5-landmarks-tapped")
    page.get_by_role("button", name="Save the landmarks").click()
    expect(page.get_by_text("Landmarks kept.")).to_be_visible()

    # The photo's page shows the index measured: the drawn asymmetry, not a symmetric 100.
    page.get_by_role("link", name="Back to the photo").click()
    shown = page.locator("[data-symmetry-index]")
    expect(shown).to_have_text(re.compile(r"^\d+\.\d of 100$"))
    index = float(shown.inner_text().split()[0])
    drawn = symmetry.measure(at).index  # 96.8
    assert abs(index - drawn) <= 0.8, (index, drawn)
    expect(page.locator(".symmetry")).to_contain_text("Mouth corners")
    # Over the photo, the largest asymmetries are named, and each name reads whole.
    overlay = page.locator(".symmetry-overlay")
    expect(overlay).to_be_visible()
    expect(overlay.locator("text")).to_have_count(3)
    assert _labels_cut_off(overlay) == []
    screenshot(page, "photo-journey-6-symmetry-index")
