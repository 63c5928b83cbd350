"""Steps several browser journeys share: a new patient, a plan area, a signed consent."""

import re

from playwright.sync_api import expect


def new_patient(
    page, first: str, last: str, dob: str, sex: str = "F", weight: str = "66", email: str = ""
):
    page.goto("/patients/new/")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth").fill(dob)
    page.get_by_label("Sex").select_option(sex)
    page.get_by_label("Weight (kg)").fill(weight)
    if email:
        page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text(f"{first} {last}")


def htmx_idle(page) -> None:
    """Wait until HTMX has swapped and settled: a change made while new content is still
    being wired up would be lost, which no person is quick enough to do."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def add_area(page, concern: str, area: str) -> None:
    page.get_by_label("Concern for the next area").select_option(label=concern)
    page.get_by_label("Area", exact=True).select_option(label=area)
    with page.expect_response(lambda r: r.request.method == "POST" and "/areas/" in r.url):
        page.get_by_role("button", name="Add area").click()
    htmx_idle(page)


def draw_signature(page) -> None:
    pad = page.locator("canvas.sigpad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 30, box["y"] + 60 + (25 if step % 2 else -20))
    page.mouse.up()


def sign_consent(page, typed_name: str, before_signing=None) -> None:
    """On the consent page: type the name, draw, tick, sign, then countersign."""
    page.get_by_label("Your full name").fill(typed_name)
    draw_signature(page)
    page.get_by_label("I have read and understood this document").check()
    if before_signing:
        before_signing()
    page.get_by_role("button", name="Sign consent").click()
    expect(page.get_by_text("waiting for a practitioner's countersignature")).to_be_visible()
    page.get_by_role("button", name="Countersign as").click()
    expect(page.get_by_text("Consent countersigned.")).to_be_visible()


def add_allergy(page, text: str, severity: str | None = None) -> None:
    """On the patient's chart: an allergy as the patient says it ("Xylocaine (anaphylaxis)")."""
    page.locator("#section-allergy").get_by_role("link", name="Add").click()
    form = page.locator("form.inline-form")
    form.get_by_label("Other substance").fill(text)
    if severity:
        form.get_by_label("Severity").select_option(severity)
    form.get_by_role("button", name="Add").click()
    htmx_idle(page)


def add_medication(page, name: str) -> None:
    page.locator("#section-medication").get_by_role("link", name="Add").click()
    form = page.locator("form.inline-form")
    form.get_by_label("Medication").fill(name)
    form.get_by_role("button", name="Add").click()
    htmx_idle(page)


def give_photo_consent(page, scope: str = "clinical", how: str = "Signed paper form") -> None:
    """On the patient photos page: record the patient's consent to photos for `scope`
    (clinical, teaching or marketing); no photo is taken without the clinical one."""
    row = page.locator(f"#consent-{scope}")
    row.get_by_label("How consent was given").select_option(label=how)
    row.get_by_role("button", name="Record consent").click()
    expect(page.locator(f"#consent-{scope}")).to_contain_text("Given ")


def take_missing_session_photos(page, drawn: dict[str, bytes] | None = None) -> None:
    """From a session's page: take each standard view the session still misses (a drawn
    card, never a person), as a protocol needing a baseline asks before the first sign.
    `drawn` gives the JPEG to take for a view, by its label ("Face, front")."""
    import io

    from PIL import Image, ImageDraw

    session_url = page.url
    image = Image.new("RGB", (900, 1200), (225, 228, 230))
    ImageDraw.Draw(image).ellipse((250, 250, 650, 800), fill=(200, 150, 130))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    card = buffer.getvalue()
    # The panel loads after the page (hx-trigger="load"): wait for the section, not the placeholder.
    views = page.locator("section#session-photo-views")
    expect(views).to_be_visible()
    for _ in range(12):
        take = views.get_by_role("link", name=re.compile("^Take "))
        if not take.count():
            break
        label = (take.first.text_content() or "").removeprefix("Take").strip()
        take.first.click()
        expect(page.locator("#consent-clinical")).to_be_visible()
        if page.locator("#consent-clinical").get_by_role("button").count():
            give_photo_consent(page)
        jpeg = (drawn or {}).get(label, card)
        page.locator("#id_photo").set_input_files(
            {"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": jpeg}
        )
        page.get_by_role("button", name="Keep the photo").click()
        expect(page.get_by_text("Photo kept:")).to_be_visible()
        page.goto(session_url)
        views = page.locator("section#session-photo-views")
        expect(views).to_be_visible()


def log_out(page) -> None:
    """Log out from the signed-in person's menu at the top right."""
    page.locator("details.who > summary").click()
    page.get_by_role("button", name="Log out").click()


def take_part_by_card(page, invoice_url: str, amount: str, reference: str) -> None:
    """From an issued invoice's page: take `amount` by card and see it part paid."""
    page.get_by_role("link", name="Take payment").click()
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Method").select_option(label="Card")
    page.get_by_label("Reference").fill(reference)
    page.get_by_role("button", name="Record payment").click()
    expect(page.locator(".messages")).to_contain_text(f"{amount} recorded")
    page.goto(invoice_url)
    expect(page.locator("main")).to_contain_text(re.compile("[Pp]art paid"))
