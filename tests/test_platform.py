"""Health check, settings from the environment, security headers."""

import os
import subprocess
import sys

from django.urls import reverse


def test_healthz_reports_ok(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_503_when_the_database_fails(client, db, monkeypatch):
    from django.db import OperationalError

    class Unreachable:
        def cursor(self):
            raise OperationalError("gone")

    monkeypatch.setattr("mesoclinic.web.views.connection", Unreachable())
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_pages_carry_a_strict_content_security_policy(client, db):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_never_kept_by_a_browser(db, practitioner, patient):
    from tests.factories import client_for

    client = client_for(practitioner)
    chart = client.get(reverse("patient_detail", args=[patient.public_id]))
    assert "no-store" in chart["Cache-Control"] and "private" in chart["Cache-Control"]


def _run(code, **env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MESOCLINIC_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_secret_key_is_generated_once_with_mode_600(tmp_path):
    code = (
        "import django;from django.conf import settings;django.setup();print(settings.SECRET_KEY)"
    )
    env = {"MESOCLINIC_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "mesoclinic.settings"}
    first, second = _run(code, **env), _run(code, **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and len(first.stdout.strip()) >= 50
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_debug_accepts_only_true_or_false(tmp_path):
    code = "import django;from django.conf import settings;django.setup()"
    result = _run(
        code,
        MESOCLINIC_DATA_DIR=str(tmp_path),
        MESOCLINIC_DEBUG="yes",
        DJANGO_SETTINGS_MODULE="mesoclinic.settings",
    )
    assert result.returncode != 0
    assert "MESOCLINIC_DEBUG must be True or False" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mesoclinic.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("MESOCLINIC_")},
            "MESOCLINIC_DATA_DIR": str(tmp_path),
            "MESOCLINIC_ALLOWED_HOSTS": "clinic.example",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_hashes_passwords_with_argon2(tmp_path):
    code = (
        "import django;from django.conf import settings;django.setup();"
        "print(settings.PASSWORD_HASHERS[0])"
    )
    result = _run(
        code, MESOCLINIC_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mesoclinic.settings"
    )
    assert result.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_default_sqlite_database_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    code = (
        "import django;from django.db import connection;django.setup();"
        "c=connection.cursor();c.execute('PRAGMA journal_mode');print(c.fetchone()[0]);"
        "c.execute('PRAGMA busy_timeout');print(c.fetchone()[0])"
    )
    result = _run(
        code, MESOCLINIC_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="mesoclinic.settings"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]
    assert (tmp_path / "mesoclinic.sqlite3").exists()
