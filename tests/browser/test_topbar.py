"""The top bar at 1024x768: every page's menu fits in two rows, the owner's management
pages and the person's own links sit in menus with full-size targets, one open at a time."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def _height(locator) -> float:
    return locator.bounding_box()["height"]


def test_the_owner_top_bar_fits_and_its_menus_open_one_at_a_time(page):
    login(page, "owner@demo.clinic")
    bar = page.locator("header.topbar")
    # Brand and the person's menu on one row, the page links on a second: nothing cut off.
    assert _height(bar) < 110
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    manage = page.locator("nav details.menu")
    manage.locator("summary").click()
    for name in ("Staff", "Clinic settings", "Prices", "Import from another system", "Audit log"):
        link = manage.get_by_role("link", name=name)
        expect(link).to_be_visible()
        assert _height(link) >= 44
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1024
    screenshot(page, "topbar-owner-manage")
    person = page.locator("details.who")
    person.locator("summary").click()
    expect(manage.get_by_role("link", name="Staff")).to_be_hidden()
    expect(person.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(person.get_by_role("button", name="Log out")).to_be_hidden()
    manage.locator("summary").click()
    manage.get_by_role("link", name="Audit log").click()
    page.wait_for_url("**/audit/**")


def test_reception_has_no_manage_menu_and_logs_out_from_its_own(page):
    login(page, "reception@demo.clinic")
    expect(page.locator("nav details.menu")).to_have_count(0)
    expect(page.locator("header.topbar nav")).not_to_contain_text("Evidence")
    page.locator("details.who > summary").click()
    expect(page.locator("details.who")).to_contain_text("Reception · Demo Clinic")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/accounts/login/**")
