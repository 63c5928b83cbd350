"""The owner starts an export, and sees a finished one beside one being prepared."""

import subprocess
import sys

from playwright.sync_api import expect

from tests import live
from tests.browser.conftest import login, screenshot

PASSPHRASE = "a long and safe passphrase"


def _cli(live_dir, *args: str) -> None:
    """A mesoclinic command against the live server's own database (SQLite or PostgreSQL)."""
    url = (live_dir / "database_url").read_text()
    subprocess.run(
        [sys.executable, "-m", "mesoclinic.cli", *args],
        env=live.app_env(live_dir, url),
        check=True,
        capture_output=True,
        timeout=300,
    )


def _start(page) -> None:
    page.locator("#id_passphrase").fill(PASSPHRASE)
    page.locator("#id_passphrase_again").fill(PASSPHRASE)
    page.get_by_role("button", name="Start the export").click()


def test_owner_sees_a_finished_and_a_running_export(page, live_dir):
    login(page, "owner@demo.clinic")
    page.locator("summary", has_text="Manage").click()
    page.get_by_role("link", name="Export all data").click()
    expect(page.get_by_role("heading", name="Export all data")).to_be_visible()
    _start(page)
    _cli(live_dir, "worker", "--batch")
    _start(page)
    _cli(
        live_dir,
        "shell",
        "-c",
        "from mesoclinic.exports.models import ExportJob as J; "
        "J.all_orgs.filter(status='queued').update(status='running', step='Photos', "
        "steps_done=30, steps_total=40)",
    )
    page.reload()
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    expect(page.locator(".export-job").first).to_contain_text("75%", timeout=5000)
    screenshot(page, "exports-list")
