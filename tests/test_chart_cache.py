"""The cached patient chart: every write it shows invalidates it, on any code path, and
no viewer ever gets a body rendered for other rights or another organization."""

import datetime as dt
import importlib

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic import fragments
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.scheduling import services as diary
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import Lot
from mesoclinic.web import chart as chart_view
from tests.factories import (
    book,
    client_for,
    count_queries,
    draft_plan,
    local,
    make_event,
    make_lot,
    make_session,
    next_weekday,
    open_clinic,
    record_allergy,
)

triggers = importlib.import_module("mesoclinic.scheduling.migrations.0005_chart_version_triggers")


def chart(client, patient) -> str:
    response = client.get(reverse("patient_detail", args=[patient.public_id]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def viewer(practitioner):
    return client_for(practitioner)


@pytest.fixture
def warm(viewer, patient):
    """The chart once viewed, so its body is in the cache."""
    chart(viewer, patient)
    return viewer


def version(patient) -> int:
    return pm.Patient.all_orgs.values_list("chart_version", flat=True).get(pk=patient.pk)


# --- the database keeps the version current ----------------------------------------


def test_every_chart_trigger_exists_on_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        present = {row[0] for row in cursor.fetchall()}
    expected = (
        {t.split(" ")[2] for t in triggers._sqlite()}
        if connection.vendor == "sqlite"
        else {t.split(" ")[2] for t in triggers._pg()[1:]}
    )
    assert expected <= present, sorted(expected - present)


def test_a_save_carrying_a_stale_version_cannot_take_it_back(org, patient):
    stale = pm.Patient.all_orgs.get(pk=patient.pk)
    before = version(patient)
    with acting_for(org):
        pm.Patient.all_orgs.filter(pk=patient.pk).update(phone="+44 20 7946 0000")
    assert version(patient) == before + 1
    stale.occupation = "Teacher"
    stale.save()  # writes the version it loaded, one behind
    assert version(patient) == before + 2


# --- one test per kind of write the chart shows ------------------------------------


def test_a_new_allergy_shows_at_once(org, warm, patient, practitioner):
    record_allergy(org, patient, practitioner, text="Sesame oil")
    assert "Sesame oil" in chart(warm, patient)


def test_a_voided_allergy_leaves_at_once(org, viewer, patient, practitioner):
    allergy = record_allergy(org, patient, practitioner, text="Sesame oil")
    assert "Sesame oil" in chart(viewer, patient)
    with acting_for(org):
        pm.Allergy.objects.filter(pk=allergy.pk).update(
            voided_at=timezone.now(), voided_by=practitioner, void_reason="Entered in error"
        )
    assert "Sesame oil" not in chart(viewer, patient)


def test_other_history_shows_at_once(org, warm, patient, practitioner):
    with acting_for(org):
        pm.Medication.objects.create(
            patient=patient,
            name="Warfarin 5 mg",
            recorded_on=dt.date(2026, 11, 1),
            created_by=practitioner,
        )
    assert "Warfarin 5 mg" in chart(warm, patient)


def test_edited_demographics_show_at_once(warm, patient, practitioner):
    patient.phone = "+44 20 7946 0123"
    patient.save()
    assert "+44 20 7946 0123" in chart(warm, patient)


def test_a_new_plan_and_its_status_show_at_once(org, warm, patient, practitioner):
    plan = draft_plan(
        org, patient, practitioner, [{"concern": "localized-fat", "area": "submental"}]
    )
    assert "Draft" in chart(warm, patient)
    with acting_for(org):
        Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED)
    page = chart(warm, patient)
    assert "Approved" in page and "Draft" not in page


def test_a_session_shows_at_once(org, site, warm, patient, practitioner):
    session = make_session(org, patient, site, practitioner, days_ago=3)
    assert reverse("session_detail", args=[session.public_id]) in chart(warm, patient)


def test_an_adverse_event_and_its_lots_show_at_once(org, site, warm, patient, practitioner):
    event = make_event(org, patient, practitioner)
    assert reverse("adverse_event_detail", args=[event.public_id]) in chart(warm, patient)
    lot = make_lot(org, site, practitioner, number="LOT-7781")
    with acting_for(org):
        event.lots.add(lot)
    assert "LOT-7781" in chart(warm, patient)


def test_a_lot_recall_shows_on_every_chart_that_lists_it(org, site, viewer, patient, practitioner):
    lot = make_lot(org, site, practitioner, number="LOT-7781")
    make_event(org, patient, practitioner, lots=[lot])
    assert ", recalled" not in chart(viewer, patient)
    with acting_for(org):
        Lot.objects.filter(pk=lot.pk).update(recalled_at=timezone.now(), recall_reason="Supplier")
    assert ", recalled" in chart(viewer, patient)


def test_an_appointment_booked_and_cancelled_shows_at_once(
    org, site, warm, patient, practitioner, reception
):
    clinic = open_clinic(org, site)
    appt = book(org, reception, clinic, patient, practitioner, local(next_weekday(2), 10))
    assert reverse("appointment_detail", args=[appt.public_id]) in chart(warm, patient)
    with acting_for(org):
        diary.cancel(reception, appt, "Patient unwell")
    assert reverse("appointment_detail", args=[appt.public_id]) not in chart(warm, patient)


def test_renamed_sites_and_colleagues_show_at_once(org, site, warm, patient, practitioner):
    record_allergy(org, patient, practitioner, text="Sesame oil")
    patient.home_site = site
    patient.save()
    chart(warm, patient)
    Site.all_orgs.filter(pk=site.pk).update(name="Harley Street")
    User.objects.filter(pk=practitioner.pk).update(full_name="Dr Nadia Okafor")
    page = chart(warm, patient)
    assert "Harley Street" in page and "Dr Nadia Okafor" in page


def test_a_listed_appointment_ends_the_entry_when_it_starts():
    soon = timezone.now() + dt.timedelta(minutes=20)
    assert 1190 <= chart_view._timeout(soon) <= 1200
    assert chart_view._timeout(None) is None  # the longest, CHART_CACHE_SECONDS
    assert chart_view._timeout(timezone.now() - dt.timedelta(minutes=5)) == 1


# --- what the cache saves, and what it never shares --------------------------------


def test_a_cached_chart_costs_fewer_queries_and_is_still_audited(viewer, patient, practitioner):
    url = reverse("patient_detail", args=[patient.public_id])
    first = count_queries(viewer, url)
    again = count_queries(viewer, url)
    assert again < first
    views = AuditEvent.objects.filter(object_id=str(patient.public_id), action="view")
    assert views.count() == 2


def test_reception_never_gets_the_clinical_body(org, viewer, patient, practitioner, reception):
    record_allergy(org, patient, practitioner, text="Sesame oil")
    assert "Sesame oil" in chart(viewer, patient)
    page = chart(client_for(reception), patient)
    assert "Sesame oil" not in page
    assert "Clinical details are not shown to your role." in page


def test_a_clinician_never_gets_the_reception_body(org, viewer, patient, practitioner, reception):
    record_allergy(org, patient, practitioner, text="Sesame oil")
    chart(client_for(reception), patient)
    assert "Sesame oil" in chart(viewer, patient)


def test_another_organization_gets_404_and_nothing_cached(warm, patient, outsider):
    response = client_for(outsider).get(reverse("patient_detail", args=[patient.public_id]))
    assert response.status_code == 404
    assert patient.last_name not in response.content.decode()


def test_each_viewer_gets_their_own_csrf_token_and_it_works(org, patient, practitioner):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    other = User.objects.create_user(
        email="second@example.org",
        password="pw",
        organization=org,
        role=practitioner.role,
        full_name="Dr Second",
    )
    first.force_login(practitioner)
    second.force_login(other)
    mine, theirs = chart(first, patient), chart(second, patient)
    token = mine.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert token not in theirs and fragments.CSRF_SLOT not in mine
    done = first.post(reverse("plan_new", args=[patient.public_id]), {"csrfmiddlewaretoken": token})
    assert done.status_code in (200, 302)


def test_cached_pages_are_keyed_by_the_release(settings, tmp_path):
    """Two releases sharing one cache never serve each other's fragments."""
    from mesoclinic import release

    assert settings.CACHES["default"]["KEY_PREFIX"] == f"mesoclinic-{release.digest()}"
    (tmp_path / "jinja2").mkdir()
    page = tmp_path / "jinja2" / "page.html"
    page.write_text("<p>{{ patient.full_name }}</p>")
    before = release.digest(tmp_path)
    page.write_text("<p>{{ patient.full_name }} ({{ patient.age_years }})</p>")
    release.digest.cache_clear()
    assert release.digest(tmp_path) != before
