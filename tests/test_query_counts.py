"""Pages run a bounded number of queries whatever the size of the record."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import (
    client_for,
    count_queries,
    grow_history,
    make_lot,
    only_session,
    post_chart,
    post_start,
    take_baseline_photos,
)

CHART_MAX = 21  # one per kind of history, and four for the outcomes due (plans, versions,
# sessions, scores)
CACHED_CHART_MAX = 4  # session, user with organization, patient, the audit event
LIST_MAX = 8


def test_chart_queries_do_not_grow_with_history(
    org, practitioner, make_patient, django_assert_max_num_queries
):
    small, large = make_patient(), make_patient(first_name="Big")
    grow_history(org, small, practitioner, 1)
    grow_history(org, large, practitioner, 200)
    client = client_for(practitioner)
    client.get(reverse("home"))  # settle the session
    small_count = count_queries(client, reverse("patient_detail", args=[small.public_id]))
    with django_assert_max_num_queries(CHART_MAX):
        client.get(reverse("patient_detail", args=[large.public_id]))  # rendered, then cached
    with django_assert_max_num_queries(CACHED_CHART_MAX):
        client.get(reverse("patient_detail", args=[large.public_id]))  # from the cache
    cache.clear()
    assert count_queries(client, reverse("patient_detail", args=[large.public_id])) == small_count


@pytest.mark.parametrize(
    "params", [{}, {"q": "gar"}, {"q": "1985-04-01"}, {"sort": "-dob", "page": 2}]
)
def test_list_and_search_queries_do_not_grow_with_patients(
    org, practitioner, make_patient, params, django_assert_max_num_queries
):
    client = client_for(practitioner)
    client.get(reverse("home"))
    make_patient()
    few = count_queries(client, reverse("patient_list"), params)
    for i in range(60):
        make_patient(first_name=f"N{i}")
    with django_assert_max_num_queries(LIST_MAX):
        client.get(reverse("patient_list"), params)
    assert count_queries(client, reverse("patient_list"), params) == few


def test_audit_log_queries_are_bounded(owner, practitioner, patient, django_assert_max_num_queries):
    client = client_for(practitioner)
    for _ in range(80):
        client.get(reverse("patient_detail", args=[patient.public_id]))
    owner_client = client_for(owner)
    owner_client.get(reverse("home"))
    with django_assert_max_num_queries(LIST_MAX):
        owner_client.get(reverse("audit_log"))


def test_a_signed_in_page_reads_the_user_and_organization_in_one_query(
    reception, django_assert_max_num_queries
):
    # The password page shows no clinic data (every role's home page lists its day:
    # tests/test_today.py), so it costs nothing but the signed-in user.
    client = client_for(reception)
    client.get(reverse("password_change"))
    with django_assert_max_num_queries(2):  # the session, then the user with the organization
        page = client.get(reverse("password_change"))
    assert reception.organization.name in page.content.decode()


def test_a_deactivated_colleague_is_signed_out_on_the_next_page(practitioner):
    client = client_for(practitioner)
    assert client.get(reverse("home")).status_code == 200
    practitioner.is_active = False
    practitioner.save()
    assert client.get(reverse("home")).status_code == 302


def test_sign_off_reads_the_session_with_its_patient_and_plan_in_one_query(
    org, site, practitioner, consented_plan, django_assert_max_num_queries
):
    client = client_for(practitioner)
    lot = make_lot(org, site, practitioner)
    post_start(client, consented_plan, site)
    post_chart(client, only_session(org), lot)
    session = only_session(org)
    take_baseline_photos(org, practitioner, session)
    client.get(reverse("home"))
    # measured: 27, the baseline photos included (30 when each was read apart), the
    # appointment the session may have been started from, to complete it, and the
    # patient's course package to draw from, in one query (issue 17)
    with django_assert_max_num_queries(27):
        signed = client.post(reverse("session_sign", args=[session.public_id]))
    assert signed.status_code == 302
    assert only_session(org).is_signed
