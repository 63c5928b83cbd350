"""Pages run a bounded number of queries whatever the size of the record."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.conftest import client_for

CHART_MAX = 17  # one query per kind of history ("no known allergies" is one)
LIST_MAX = 8


def _grow_history(org, patient, user, n):
    rows = dict(patient=patient, created_by=user, recorded_on="2026-01-01", organization=org)
    with acting_for(org):
        pm.Allergy.objects.bulk_create(
            [pm.Allergy(substance_text=f"Substance {i}", **rows) for i in range(n)]
            + [
                pm.Allergy(
                    substance_text=f"Coded {i}",
                    coded=["latex"],
                    coding=pm.AllergyCoding.CODED,
                    coded_by=user,
                    coded_at="2026-01-02T10:00:00Z",
                    **rows,
                )
                for i in range(n)
            ]
        )
        pm.Medication.objects.bulk_create(
            [
                pm.Medication(name=f"Warfarin {i}", drug_classes=["anticoagulant"], **rows)
                for i in range(n)
            ]
        )
        pm.Condition.objects.bulk_create(
            [pm.Condition(condition="diabetes", **rows) for _ in range(n)]
        )
        pm.Concern.objects.bulk_create(
            [pm.Concern(concern="cellulite", areas=["thighs-outer"], **rows) for _ in range(n)]
        )


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


def test_chart_queries_do_not_grow_with_history(
    org, practitioner, make_patient, django_assert_max_num_queries
):
    small, large = make_patient(), make_patient(first_name="Big")
    _grow_history(org, small, practitioner, 1)
    _grow_history(org, large, practitioner, 200)
    client = client_for(practitioner)
    client.get(reverse("home"))  # settle the session
    small_count = _count(client, reverse("patient_detail", args=[small.public_id]))
    with django_assert_max_num_queries(CHART_MAX):
        client.get(reverse("patient_detail", args=[large.public_id]))
    assert _count(client, reverse("patient_detail", args=[large.public_id])) == small_count


@pytest.mark.parametrize(
    "params", [{}, {"q": "gar"}, {"q": "1985-04-01"}, {"sort": "-dob", "page": 2}]
)
def test_list_and_search_queries_do_not_grow_with_patients(
    org, practitioner, make_patient, params, django_assert_max_num_queries
):
    client = client_for(practitioner)
    client.get(reverse("home"))
    make_patient()
    few = _count(client, reverse("patient_list"), params)
    for i in range(60):
        make_patient(first_name=f"N{i}")
    with django_assert_max_num_queries(LIST_MAX):
        client.get(reverse("patient_list"), params)
    assert _count(client, reverse("patient_list"), params) == few


def test_audit_log_queries_are_bounded(owner, practitioner, patient, django_assert_max_num_queries):
    client = client_for(practitioner)
    for _ in range(80):
        client.get(reverse("patient_detail", args=[patient.public_id]))
    owner_client = client_for(owner)
    owner_client.get(reverse("home"))
    with django_assert_max_num_queries(LIST_MAX):
        owner_client.get(reverse("audit_log"))
