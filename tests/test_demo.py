"""`make demo` loads the demo clinic once; running it again changes nothing."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from mesoclinic.accounts.models import ClinicalLicence, Organization, User
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import scope


def _load(monkeypatch, password="demo password 123"):  # noqa: S107
    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", password)
    out = StringIO()
    call_command("demo", patients=12, past=False, stdout=out)
    return out.getvalue()


def test_demo_is_idempotent_and_prints_the_logins(db, monkeypatch):
    output = _load(monkeypatch)
    _load(monkeypatch)
    demo = Organization.objects.get(name="Demo Clinic")
    assert demo.sites.count() == 2
    assert Organization.objects.filter(name="Other Clinic").count() == 1
    assert set(User.objects.filter(organization=demo).values_list("role", flat=True)) == {
        "owner",
        "practitioner",
        "esthetician",
        "reception",
    }
    with acting_for(demo):
        assert pm.Patient.objects.count() == 12
    for email in (
        "owner@demo.clinic",
        "practitioner@demo.clinic",
        "esthetician@demo.clinic",
        "reception@demo.clinic",
        "owner@other.clinic",
    ):
        assert email in output
    assert "demo password 123" in output
    with acting_for(demo):
        assert ClinicalLicence.objects.count() == 2


def test_the_demo_practitioner_may_treat_and_sign_and_the_demo_owner_may_not(db, monkeypatch):
    _load(monkeypatch)
    today = date.today()
    demo = Organization.objects.get(name="Demo Clinic")
    with acting_for(demo):
        doctor = User.objects.get(email="practitioner@demo.clinic")
        owner = User.objects.get(email="owner@demo.clinic")
        assert scope.check_can_sign(doctor, today) is None
        with pytest.raises(scope.ScopeRefused, match="Olivia Owner has no valid clinical licence"):
            scope.check_can_start(owner, None, today)
        nurse = User.objects.get(email="esthetician@demo.clinic")
        assert scope.valid_licence(nurse, today) is None


def test_demo_patients_have_varied_histories(db, monkeypatch):
    monkeypatch.setenv("MESOCLINIC_DEMO_PASSWORD", "demo password 123")
    call_command("demo", past=False, stdout=StringIO())
    demo = Organization.objects.get(name="Demo Clinic")
    with acting_for(demo):
        assert pm.Patient.objects.count() == 40
        assert pm.Allergy.objects.exists()
        assert any(m.affects_bleeding for m in pm.Medication.objects.all())
        assert pm.PregnancyStatus.objects.filter(status__in=["pregnant", "breastfeeding"]).exists()
        assert pm.LifestyleFactor.objects.exists()
        assert pm.Concern.objects.count() == 40


def test_a_changed_demo_password_takes_effect(db, monkeypatch):
    _load(monkeypatch, "first password 1")
    _load(monkeypatch, "second password 2")
    assert User.objects.get(email="owner@demo.clinic").check_password("second password 2")


def test_demo_clinic_has_lots_to_chart_with(db, monkeypatch):
    _load(monkeypatch)
    _load(monkeypatch)
    demo = Organization.objects.get(name="Demo Clinic")
    with acting_for(demo):
        from mesoclinic.treatments.models import Lot

        assert Lot.objects.count() == 2 * 11  # eleven lots per site, loaded once
        expired = Lot.objects.filter(expires_on__lt=date.today())
        assert set(expired.values_list("lot_number", flat=True)) == {"DCA23-907"}
        assert Lot.objects.filter(lot_number="DCA24-118").count() == 2
