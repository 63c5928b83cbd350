"""Prepared history lists: compiled once, they return what the queryset would, and stay
scoped to the organization in context."""

import datetime as dt

import pytest

from mesoclinic import prepared
from mesoclinic.patients import models as pm
from mesoclinic.patients import services
from mesoclinic.tenancy import TenancyError, acting_for


def _medication(org, patient, user, name, day):
    with acting_for(org):
        return pm.Medication.objects.create(
            patient=patient, name=name, recorded_on=day, created_by=user
        )


def _query():
    return prepared.Prepared(
        pm.Medication,
        lambda pk: pm.Medication.active.filter(patient_id=pk).order_by("-recorded_on", "-id"),
    )


def test_a_prepared_list_is_the_querysets_list(org, patient, practitioner, make_patient):
    other = make_patient()
    for n in range(3):
        _medication(org, patient, practitioner, f"Drug {n}", dt.date(2026, 1, 1 + n))
    _medication(org, other, practitioner, "Someone else's", dt.date(2026, 1, 9))
    query = _query()
    with acting_for(org):
        expected = list(
            pm.Medication.active.filter(patient=patient).order_by("-recorded_on", "-id")
        )
        first, again = query(patient.pk), query(patient.pk)
        theirs = query(other.pk)
    assert [m.name for m in first] == ["Drug 2", "Drug 1", "Drug 0"] == [m.name for m in expected]
    assert [m.pk for m in again] == [m.pk for m in expected]
    assert [m.name for m in theirs] == ["Someone else's"]
    assert first[0].recorded_on == dt.date(2026, 1, 3) and first[0].created_by_id == practitioner.pk


def test_another_organization_never_reads_the_rows(org, other_org, patient, practitioner):
    _medication(org, patient, practitioner, "Warfarin 5 mg", dt.date(2026, 1, 1))
    query = _query()
    with acting_for(org):
        assert len(query(patient.pk)) == 1
    with acting_for(other_org):
        assert query(patient.pk) == []


def test_no_organization_in_context_raises(patient):
    with pytest.raises(TenancyError):
        _query()(patient.pk)


def test_a_query_that_joins_another_model_is_refused(org, patient):
    query = prepared.Prepared(
        pm.Medication,
        lambda pk: pm.Medication.active.filter(patient_id=pk).select_related("created_by"),
    )
    with acting_for(org), pytest.raises(ValueError, match="one model's columns"):
        query(patient.pk)


def test_the_chart_names_who_recorded_each_entry_in_one_query(
    org, patient, practitioner, django_assert_num_queries
):
    for n in range(4):
        _medication(org, patient, practitioner, f"Drug {n}", dt.date(2026, 1, 1 + n))
    with acting_for(org):
        services.chart_for(patient)  # compiled
        with django_assert_num_queries(9):  # eight lists and the colleagues they name
            chart = services.chart_for(patient)
            assert {m.created_by.full_name for m in chart.medications} == {practitioner.full_name}
