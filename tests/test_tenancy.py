"""A forgotten organization filter is an error, not a leak."""

import pytest

from mesoclinic.patients import models as pm
from mesoclinic.tenancy import TenancyError, acting_for


def test_querying_clinic_data_without_an_organization_raises(patient):
    with pytest.raises(TenancyError):
        list(pm.Patient.objects.all())


def test_each_organization_sees_only_its_own_patients(org, other_org, patient, outsider):
    with acting_for(other_org):
        pm.Patient.objects.create(
            first_name="Olaf", last_name="Other", date_of_birth="1980-01-01", sex="M"
        )
        assert [p.first_name for p in pm.Patient.objects.all()] == ["Olaf"]
    with acting_for(org):
        assert [p.first_name for p in pm.Patient.objects.all()] == ["Anna"]


def test_rows_saved_inside_an_organization_belong_to_it(org, other_org):
    with acting_for(other_org):
        p = pm.Patient.objects.create(
            first_name="X", last_name="Y", date_of_birth="1990-01-01", sex="F"
        )
    assert p.organization_id == other_org.pk


def test_saving_clinic_data_with_no_organization_raises(db):
    with pytest.raises(TenancyError):
        pm.Patient(first_name="X", last_name="Y", date_of_birth="1990-01-01", sex="F").save()
