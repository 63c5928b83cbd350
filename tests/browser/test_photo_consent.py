"""A practitioner records a patient's photo consent on a tablet: clinical photos, then
teaching, which the patient later withdraws; the owner sees the export honour it."""

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.flows import give_photo_consent, new_patient
from tests.browser.test_photos_pages import _small_targets, _take


def test_consent_given_and_revoked_on_the_photos_page(page):
    login(page, "practitioner@demo.clinic")
    new_patient(page, "Carla", "Consent", "1979-09-12")
    page.get_by_role("link", name="Photos").click()
    for scope in ("clinical", "teaching", "marketing"):
        expect(page.locator(f"#consent-{scope}")).to_contain_text("Not given")
    screenshot(page, "photo-consent-none")

    give_photo_consent(page)
    _take(page, "Face, front", (200, 90, 80))
    give_photo_consent(page, "teaching", how="Signed on the tablet")
    expect(page.locator("#consent-teaching")).to_contain_text("(signed on the tablet)")

    # Revoking needs the patient's reason: refused next to the field, the text kept.
    teaching = page.locator("#consent-teaching")
    teaching.locator("summary", has_text="Revoke").click()
    teaching.get_by_label("Reason for revoking").fill("no")
    teaching.get_by_role("button", name="Revoke consent").click()
    expect(page.locator("#id_teaching-reason_error")).to_be_visible()
    expect(page.locator("#consent-teaching").get_by_label("Reason for revoking")).to_have_value(
        "no"
    )
    field = page.locator("#consent-teaching").get_by_label("Reason for revoking")
    field.fill("No longer wishes photos to be shown to trainees")
    page.locator("#consent-teaching").get_by_role("button", name="Revoke consent").click()
    expect(page.locator("#consent-teaching")).to_contain_text("Revoked" + " ")
    expect(page.locator("#consent-teaching")).to_contain_text("shown to trainees")
    expect(page.locator("#consent-clinical")).to_contain_text("Given ")
    assert _small_targets(page) == []
    page.locator("#photo-consent").scroll_into_view_if_needed()
    screenshot(page, "photo-consent-revoked")


def test_the_owner_s_export_counts_consented_photos_only(page):
    login(page, "owner@demo.clinic")
    page.goto("/photos/export/")
    page.get_by_label("Purpose").select_option(label="Teaching")
    page.get_by_role("button", name="Count the photos").click()
    expect(page.locator(".export-count")).to_contain_text("included")
    expect(page.locator(".export-count")).to_contain_text("left out")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the ZIP").click()
    assert download.value.suggested_filename.startswith("photos-teaching-")
    screenshot(page, "photo-export")
