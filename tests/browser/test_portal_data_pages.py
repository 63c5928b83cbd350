"""The demo patient downloads their record from the portal on a phone (390x844): the page
says what the file holds, and the button gives a ZIP with the record and the PDFs."""

import io
import json
import zipfile

from playwright.sync_api import expect

from tests.browser.conftest import login, login_patient, screenshot
from tests.browser.test_portal_pages import (  # noqa: F401 - the phone fixture
    _no_sideways_scroll,
    _small_targets,
    phone,
)


def test_the_demo_patient_downloads_their_record_as_a_zip(phone, page):
    owner_page, page = page, phone
    login_patient(page, "patient@demo.clinic")
    page.get_by_role("link", name="My data").click()
    expect(page.get_by_role("heading", name="Download your record")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Clinical photos are not in this file")
    screenshot(page, "portal-my-data-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download my record (ZIP)").click()
    assert download.value.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    record = json.loads(archive.read("record.json"))
    assert record["patient"]["email"] == "patient@demo.clinic"
    assert record["consents"] and record["sessions"]
    assert any(name.startswith("consents/") for name in archive.namelist())

    page.get_by_role("link", name="Ask to close my account").click()
    expect(page.locator("main")).to_contain_text("Your clinical record is not deleted")
    screenshot(page, "portal-close-account-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)
    page.get_by_label("Why are you closing your account?").fill("Moving abroad")
    page.get_by_role("button", name="Ask the clinic to close my account").click()
    expect(page.get_by_role("status")).to_contain_text("The clinic will close it soon")

    # The owner finds the request from the staff page (closing it is left to the unit
    # tests: the demo patient's account serves the other browser tests).
    login(owner_page, "owner@demo.clinic")
    owner_page.goto("/accounts/staff/")
    owner_page.get_by_role("link", name="Portal accounts to close").click()
    waiting = owner_page.locator("#h-waiting ~ ul li").first
    expect(waiting).to_contain_text("Moving abroad")
    expect(waiting.get_by_role("button", name="Close the account")).to_be_visible()
    screenshot(owner_page, "staff-portal-closures")


def test_the_login_page_offers_a_sign_in_link_on_a_phone(phone):
    page = phone
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Patients: email me a sign-in link").click()
    page.get_by_label("Your email address").fill("patient@demo.clinic")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("status")).to_contain_text(
        "If this address has a portal account, a link is on its way"
    )
    screenshot(page, "portal-sign-in-link-phone")
    assert _small_targets(page) == []
    _no_sideways_scroll(page)
