"""Shared personas and helpers.

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
from datetime import date, timedelta

import pytest
from django.test import Client

from mesoclinic.accounts.models import ClinicalLicence, LicenceType, Organization, Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Under CI nothing may be skipped: a missing Chromium or database is a failure.
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is not allowed: {report.longrepr}"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Argon2 is the production hasher (asserted in test_platform); tests need speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The test client speaks plain HTTP; HTTPS settings are checked by `check --deploy`.
    settings.SECURE_SSL_REDIRECT = False
    # The manifest storage needs collectstatic; the gunicorn-served browser tests run it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
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


def _user(org, role, email, name):
    return User.objects.create_user(
        email=email, password="correct horse battery", full_name=name, organization=org, role=role
    )


@pytest.fixture
def owner(org):
    return _user(org, Role.OWNER, "owner@test.clinic", "Olga Owner")


def give_licence(user, licence_type=LicenceType.PHYSICIAN, expires_on=None, **fields):
    """Record a clinical licence for `user`, in force for a year unless told otherwise."""
    with acting_for(user.organization_id):
        return ClinicalLicence.objects.create(
            user=user,
            licence_type=licence_type,
            number=fields.pop("number", f"REG-{user.pk:05d}"),
            jurisdiction=fields.pop("jurisdiction", "Medical Council"),
            expires_on=expires_on or date.today() + timedelta(days=365),
            recorded_by=fields.pop("recorded_by", user),
            **fields,
        )


@pytest.fixture
def practitioner(org):
    user = _user(org, Role.PRACTITIONER, "doc@test.clinic", "Dr Pia Prax")
    give_licence(user, number="GMC-7001234")
    return user


@pytest.fixture
def esthetician(org):
    return _user(org, Role.ESTHETICIAN, "esth@test.clinic", "Erin Esth")


@pytest.fixture
def reception(org):
    return _user(org, Role.RECEPTION, "desk@test.clinic", "Rob Desk")


@pytest.fixture
def outsider(other_org):
    return _user(other_org, Role.OWNER, "owner@other.clinic", "Oscar Outsider")


@pytest.fixture
def personas(owner, practitioner, esthetician, reception, outsider):
    return {
        "owner": owner,
        "practitioner": practitioner,
        "esthetician": esthetician,
        "reception": reception,
        "outsider": outsider,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


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
