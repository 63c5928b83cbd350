"""Shared personas and fixtures (the helpers they use are in tests/factories.py).

Personas, as in every view test:
- owner: everything, including staff and the audit log; no clinical licence, so
  manages the clinic but does not treat or sign off a session
- practitioner: clinical, may sign and override grade B/C rules; holds a physician's
  licence in force, so treats, supervises, charts prescription medicines and signs
- esthetician: clinical under a practitioner's plan, cannot sign or override
- reception: demographics only, never clinical history
- outsider: the owner of another organization; must get 404 for our objects
"""

import os
import re
from datetime import date

import pytest
from django.urls import reverse

from mesoclinic.accounts.models import Organization, Site
from mesoclinic.accounts.roles import Role
from mesoclinic.patients import models as pm
from mesoclinic.plans import consent as consents
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.tenancy import acting_for
from tests import live
from tests.factories import (
    SIGNATURE,
    client_for,
    consent_to,
    give_licence,
    make_user,
    plan_in_status,
)

IN_CI = os.environ.get("CI", "").lower() == "true"


_SLIPS = re.compile(r"(&lt;|<)(bound method|function )[^>]*|object at 0x[0-9a-f]+")


def _report_jinja_contexts() -> None:
    """Jinja2 pages hand their context to the test client (`response.context`), as
    Django's own engine does under test; Django instruments only its own engine."""
    from django.template.backends import jinja2 as backend
    from django.test.signals import template_rendered

    render = backend.Template.render

    def instrumented(self, context=None, request=None):
        template_rendered.send(sender=self, template=self, context=context or {})
        html = render(self, context, request)
        # A method not called or an object printed whole is a porting slip, not a page.
        slip = _SLIPS.search(html)
        assert slip is None, f"{self.origin.template_name} shows {slip.group(0)!r}"
        return html

    backend.Template.render = instrumented


_report_jinja_contexts()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Under CI nothing may be skipped: a missing Chromium or database is a failure.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is not allowed: {report.longrepr}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    """pytest-django's test database, and a copy of it as migrated (tests/live.py)."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with django_db_blocker.unblock():
            live.keep_migrated(connection, tmp_path_factory.getbasetemp() / "migrated.sqlite3")
    yield


@pytest.fixture(autouse=True)
def _empty_cache():
    # Row ids repeat after each test's rollback, so cached pages must not outlive a test.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Argon2 is the production hasher (asserted in test_platform); tests need speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client speaks plain HTTP; HTTPS settings are checked by `check --deploy`.
    settings.SECURE_SSL_REDIRECT = False
    # The manifest storage needs collectstatic; the gunicorn-served browser tests run it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        # Photos are written under each test's own directory, never the data dir.
        "photos": {
            **settings.STORAGES["photos"],
            "OPTIONS": {
                **settings.STORAGES["photos"]["OPTIONS"],
                "inner_options": {
                    **settings.STORAGES["photos"]["OPTIONS"]["inner_options"],
                    "location": str(tmp_path / "photos"),
                },
            },
        },
    }


@pytest.fixture
def org(db):
    return Organization.objects.create(name="Test Clinic")


@pytest.fixture
def site(org):
    return Site.objects.create(organization=org, name="Main site")


@pytest.fixture
def other_org(db):
    return Organization.objects.create(name="Other Clinic")


@pytest.fixture
def owner(org):
    return make_user(org, Role.OWNER, "owner@test.clinic", "Olga Owner")


@pytest.fixture
def practitioner(org):
    user = make_user(org, Role.PRACTITIONER, "doc@test.clinic", "Dr Pia Prax")
    give_licence(user, number="GMC-7001234")
    return user


@pytest.fixture
def esthetician(org):
    return make_user(org, Role.ESTHETICIAN, "esth@test.clinic", "Erin Esth")


@pytest.fixture
def reception(org):
    return make_user(org, Role.RECEPTION, "desk@test.clinic", "Rob Desk")


@pytest.fixture
def outsider(other_org):
    return make_user(other_org, Role.OWNER, "owner@other.clinic", "Oscar Outsider")


@pytest.fixture
def personas(owner, practitioner, esthetician, reception, outsider):
    return {
        "owner": owner,
        "practitioner": practitioner,
        "esthetician": esthetician,
        "reception": reception,
        "outsider": outsider,
    }


@pytest.fixture
def make_patient(org, practitioner):
    def make(**fields):
        values = {
            "first_name": "Anna",
            "last_name": "García",
            "date_of_birth": date(1985, 4, 1),
            "sex": pm.Sex.FEMALE,
            "phone": "+1 555 0100 200",
            "email": "anna@example.com",
            "weight_kg": 64,
            "created_by": practitioner,
        }
        values.update(fields)
        with acting_for(org):
            return pm.Patient.objects.create(**values)

    return make


@pytest.fixture
def patient(make_patient):
    return make_patient()


@pytest.fixture
def consented_plan(org, site, practitioner, patient):
    return consent_to(
        org, practitioner, patient, [{"concern": "localized-fat", "area": "submental"}]
    )


@pytest.fixture
def approved_plan(org, practitioner, patient):
    with acting_for(org):
        plan = Plan.objects.create(
            patient=patient,
            created_by=practitioner,
            inputs={
                "items": [{"concern": "localized-fat", "area": "submental"}],
                "overrides": [],
                "start": "2026-12-01",
            },
        )
    client_for(practitioner).post(
        reverse("plan_approve", args=[plan.public_id]), {"lock_version": plan.lock_version}
    )
    with acting_for(org):
        plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    return plan


@pytest.fixture
def signed_consent(org, patient, practitioner, esthetician):
    plan = plan_in_status(org, patient, practitioner)
    with acting_for(org):
        version = plans.approve(practitioner, plan, patient, plan.lock_version)
        template = consents.template_for()
        text = consents.document_text(version, patient, template, org)
        return consents.sign(esthetician, plan, version, text, template, "Anna García", SIGNATURE)
