"""A real server (tests/live.py: gunicorn, as `make demo` runs it) on a fresh database,
and Chromium. The server's database is never the test database, so the browser sees what
a clinic would see."""

import os
import shutil
from pathlib import Path

import pytest

from tests import live
from tests.live import PASSWORD

CHROMIUM = os.environ.get("MESOCLINIC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_dir(tmp_path_factory) -> Path:
    """The live server's data directory: its database, logs and outgoing mail."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def live_app(live_dir, django_db_setup):
    # django_db_setup first: the server's database starts as a copy of the migrated one.
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium to run browser tests"
        )
    tmp = live_dir
    url, drop = live.database_url(tmp)
    # A test that runs a command against the live server's database reads it here.
    (tmp / "database_url").write_text(url)
    env = live.app_env(tmp, url)
    live.prepare(env)
    base, server = live.serve(env, tmp)
    yield base
    live.stop(server)
    # Kept beside the screenshots: what the server said is the first thing to read
    # when a browser test fails.
    ARTIFACTS.mkdir(exist_ok=True)
    for log in ("server.log", "server-access.log"):
        if (tmp / log).exists():
            shutil.copyfile(tmp / log, ARTIFACTS / log)
    drop()
    shutil.rmtree(tmp, ignore_errors=True)


# Headless Chromium on a machine with no outside network: without the background
# networking flags it keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(live_app):
    from playwright.sync_api import expect, sync_playwright

    # A 2-core CI machine running gunicorn and Chromium side by side needs more than 5 s.
    expect.set_options(timeout=15000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_app):
    context = browser.new_context(base_url=live_app, viewport={"width": 1024, "height": 768})
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def tablet(browser, live_app):
    """A page on a portrait tablet (as practitioners chart on iPads), with touch and downloads."""
    context = browser.new_context(
        base_url=live_app,
        viewport={"width": 1024, "height": 1366},
        has_touch=True,
        accept_downloads=True,
    )
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


@pytest.fixture
def mailbox(live_app, live_dir):
    """The newest email the live server sent to an address, as the recipient reads it."""
    from email import message_from_bytes, policy

    def newest_to(address: str) -> str:
        files = sorted((live_dir / "mail").glob("*.log"), key=lambda p: p.stat().st_mtime)
        for path in reversed(files):
            # The filebased backend writes each message followed by a line of dashes.
            for raw in reversed(path.read_bytes().split(b"\n" + b"-" * 79 + b"\n")):
                message = message_from_bytes(raw.strip(), policy=policy.default)
                if address in str(message["To"] or ""):
                    return message.get_content()
        raise AssertionError(f"No email to {address}")

    return newest_to


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def login_patient(page, email: str) -> None:
    """Sign a demo patient in at the ordinary login page: they land in the portal."""
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/portal/")
