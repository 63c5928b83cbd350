"""A practitioner places the symmetry landmarks on a drawn face (photos/synthetic.py,
never a person) by tapping it on a tablet, and reads the symmetry index measured."""

import io

from playwright.sync_api import expect

from mesoclinic.photos import synthetic
from mesoclinic.rules import symmetry
from tests.browser.conftest import login, screenshot
from tests.browser.flows import give_photo_consent, new_patient


def test_landmarks_tapped_on_a_face_give_its_symmetry_index(tablet):
    page = tablet
    face = synthetic.Face(moved={"mouth-corner-left": (3.0, 0.0)})
    image, at = synthetic.draw(face)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Sara", "Symmetry", "1984-05-06")
    page.get_by_role("link", name="Photos").click()
    give_photo_consent(page)
    page.locator("#id_photo").set_input_files(
        {"name": "face.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
    )
    page.get_by_label("View").select_option(label="Face, front")
    page.get_by_label("Camera").fill("iPad camera")
    page.get_by_role("button", name="Keep the photo").click()
    page.locator(".photo-card").first.click()
    page.get_by_role("link", name="Place landmarks").click()
    expect(page.get_by_text("the patient's right is on your left")).to_be_visible()

    img = page.locator(".landmarks-canvas img")
    expect(img).to_have_js_property("complete", True)
    img.scroll_into_view_if_needed()
    width, height = image.size
    for name in symmetry.LANDMARKS:
        page.locator(f'[data-landmark="{name}"]').click()
        box = img.bounding_box()
        x, y = at[name]
        page.mouse.click(box["x"] + x / width * box["width"], box["y"] + y / height * box["height"])
    page.get_by_role("button", name="Save the landmarks").click()
    expect(page.get_by_text("Landmarks kept.")).to_be_visible()

    shown = page.locator("[data-symmetry-index]").inner_text()
    assert abs(float(shown.split()[0]) - symmetry.measure(at).index) <= 1
    page.set_viewport_size({"width": 1024, "height": 768})
    screenshot(page, "landmarks-placed")

    # The photo's page draws what was measured over the photo, and it can be hidden.
    page.get_by_role("link", name="Back to the photo").click()
    overlay = page.locator(".symmetry-overlay")
    expect(overlay).to_be_visible()
    photo_box = page.locator(".photo-stack img").bounding_box()
    overlay_box = overlay.bounding_box()
    assert abs(photo_box["width"] - overlay_box["width"]) < 1
    assert abs(photo_box["height"] - overlay_box["height"]) < 1
    expect(overlay.locator("text").first).to_contain_text("Mouth corners")
    screenshot(page, "photo-symmetry-overlay")
    page.get_by_label("Show the symmetry overlay").uncheck()
    expect(overlay).to_be_hidden()
