"""A real server (gunicorn, as `make demo` runs it) on a fresh database, and Chromium.

The server gets its own database: a temporary SQLite file, or a new database in
the PostgreSQL cluster named by MESOCLINIC_DATABASE_URL, so that the browser
sees what a clinic would see and the test database is never shared across
processes.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]  # gunicorn.conf.py, as make demo uses it

CHROMIUM = os.environ.get("MESOCLINIC_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "browser test password 1"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(tmp: Path):
    base = os.environ.get("MESOCLINIC_DATABASE_URL", "")
    if not base.startswith("postgres"):
        return f"sqlite:///{tmp / 'browser.sqlite3'}", lambda: None
    import psycopg

    name = f"mesoclinic_browser_{uuid.uuid4().hex[:8]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return base.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium to run browser tests"
        )
    tmp = tmp_path_factory.mktemp("live")
    url, drop = _database_url(tmp)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESOCLINIC_")}
    port = _free_port()
    env.update(
        MESOCLINIC_DATA_DIR=str(tmp),
        MESOCLINIC_DATABASE_URL=url,
        MESOCLINIC_HTTPS="False",
        MESOCLINIC_DEMO_PASSWORD=PASSWORD,
        MESOCLINIC_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MESOCLINIC_PORT=str(port),
    )
    bin_dir = Path(sys.executable).parent
    cli = [sys.executable, "-m", "mesoclinic.cli"]
    for args in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["demo", "--patients", "8"],
    ):
        subprocess.run(cli + args, env=env, check=True, capture_output=True, timeout=300)
    server = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "mesoclinic.wsgi",
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(tmp / "access.log"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "server.log", "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310 - loopback only
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError((tmp / "server.log").read_text()[-3000:]) from None
            time.sleep(0.3)
    yield base
    server.terminate()
    server.wait(timeout=20)
    # Kept beside the screenshots: what the server said is the first thing to read
    # when a browser test fails.
    ARTIFACTS.mkdir(exist_ok=True)
    for log in ("server.log", "access.log"):
        if (tmp / log).exists():
            shutil.copyfile(tmp / log, ARTIFACTS / log)
    drop()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(live_app):
    from playwright.sync_api import expect, sync_playwright

    # A 2-core CI machine running gunicorn and Chromium side by side needs more than 5 s.
    expect.set_options(timeout=15000)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
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


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
