"""The API's interactive docs load from our own files under the app's strict CSP."""

import re
from urllib.parse import urljoin

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot


def test_owner_reads_the_api_docs_without_a_cdn_or_a_csp_violation(page):
    refused = []
    page.on(
        "console", lambda msg: refused.append(msg.text) if "Content Security" in msg.text else None
    )
    outside = []
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith("http://127.0.0.1") else None,
    )
    login(page, "owner@demo.clinic")
    page.goto(urljoin(page.url, "/api/v1/docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("mesoclinic API")
    expect(page.get_by_text("/api/v1/patients").first).to_be_visible()
    screenshot(page, "api-docs")
    assert refused == [] and [u for u in outside if not u.startswith("data:")] == []


def test_practitioner_makes_a_token_sees_it_once_and_revokes_it(page):
    login(page, "practitioner@demo.clinic")
    page.locator("details.who > summary").click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Spreadsheet sync")
    page.get_by_label("Clinical data").check()
    page.get_by_role("button", name="Make token").click()
    secret = page.get_by_role("textbox", name="New token")
    expect(secret).to_have_value(re.compile(r"^mcl_"))
    expect(page.get_by_text("it is shown only once")).to_be_visible()
    screenshot(page, "api-token-made")
    row = page.get_by_role("row", name=re.compile("Spreadsheet sync"))
    expect(row).to_contain_text("Read, Clinical data")
    page.reload()
    expect(page.get_by_role("textbox", name="New token")).to_have_count(0)
    page.get_by_role("row", name=re.compile("Spreadsheet sync")).get_by_role(
        "button", name="Revoke"
    ).click()
    expect(page.get_by_role("row", name=re.compile("Spreadsheet sync"))).to_contain_text("Revoked")
