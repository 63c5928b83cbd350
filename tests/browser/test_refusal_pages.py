"""The 403 page says, in the role's words, what it may not do (issue 18)."""

from urllib.parse import urljoin

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_reception_reads_why_the_evidence_page_is_closed_to_it(page):
    login(page, "reception@demo.clinic")
    page.goto(urljoin(page.url, "/evidence/"))
    expect(page.locator("h1")).to_have_text("This page is not open to your role")
    expect(page.locator("main")).to_contain_text("Reception may not sign sessions")
    screenshot(page, "refusal-403")
