"""The cached plan editor: an unchanged plan is served from the cache, and every write
the editor shows (the plan, the patient's record, what was charted, the clinic's settings
and staff) invalidates it, on any code path; no viewer gets another's editor."""

import importlib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesoclinic import fragments
from mesoclinic.accounts.models import Organization, Role, User
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients.models import PregnancyState, PregnancyStatus
from mesoclinic.plans.models import Plan
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionArea, TreatmentSession
from tests.factories import (
    client_for,
    count_queries,
    draft_plan,
    post_chart,
    post_start_adhoc,
    receive_lot,
    record_allergy,
)

triggers = importlib.import_module("mesoclinic.scheduling.migrations.0006_editor_version_triggers")
SUBMENTAL = [{"concern": "localized-fat", "area": "submental"}]


def editor(client, plan, **headers) -> str:
    response = client.get(reverse("plan_editor", args=[plan.public_id]), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def plan(org, patient, practitioner):
    return draft_plan(org, patient, practitioner, SUBMENTAL)


@pytest.fixture
def viewer(practitioner):
    return client_for(practitioner)


@pytest.fixture
def warm(viewer, plan):
    """The editor once opened, so its parts are in the cache."""
    editor(viewer, plan)
    return viewer


def test_every_editor_trigger_exists_on_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {t.split(" ")[2] for t in triggers._sqlite()}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {t.split(" ")[2] for t in triggers._pg()[1:]}
        present = {row[0] for row in cursor.fetchall()}
    assert expected <= present, sorted(expected - present)


# --- what the cache saves --------------------------------------------------------


def test_an_unchanged_plan_costs_fewer_queries_and_is_still_audited(warm, plan):
    url = reverse("plan_editor", args=[plan.public_id])
    cached = count_queries(warm, url)
    assert cached <= 4  # user, plan with patient, audit event, (savepoint)
    views = AuditEvent.objects.filter(object_id=str(plan.public_id), action="view")
    assert views.count() == 2


def test_the_cached_editor_is_the_editor(warm, viewer, plan):
    page = editor(viewer, plan)
    assert 'id="editor"' in page and "Approve plan" in page and "Submental" in page
    assert fragments.CSRF_SLOT not in page
    fragment = editor(viewer, plan, HX_Request="true")
    assert fragment.startswith('<div id="editor"') and "<html" not in fragment


# --- one test per kind of write the editor shows ------------------------------------


def test_an_edit_of_the_plan_shows_at_once(warm, viewer, plan):
    assert "Right" not in editor(viewer, plan).split('id="h-items"')[1]
    response = viewer.post(
        reverse("plan_add_area", args=[plan.public_id]),
        {"concern": "localized-fat", "area": "flanks", "side": "right", "lock_version": 0},
    )
    assert response.status_code == 200
    assert "Flanks (right)" in editor(viewer, plan)


def test_a_plan_changed_below_the_views_shows_at_once(org, warm, viewer, plan):
    with acting_for(org):
        Plan.objects.filter(pk=plan.pk).update(
            inputs={**plan.inputs, "items": [{"concern": "localized-fat", "area": "flanks"}]}
        )
    page = editor(viewer, plan)
    assert "Flanks" in page and "Submental" not in page.split('id="h-items"')[1]


def test_a_new_allergy_shows_at_once(org, warm, viewer, plan, patient, practitioner):
    record_allergy(org, patient, practitioner, text="Sesame oil")
    assert "Sesame oil" in editor(viewer, plan)


def test_a_charted_area_alone_shows_in_the_editor_at_once(org, site, practitioner, patient):
    """The course limit counts what was charted: an area written into an open session,
    with no other write, changes the count the editor shows."""
    client = client_for(practitioner)
    lot = receive_lot(org, site, practitioner, vials=40)
    for months_ago in (4, 3, 2):
        assert post_start_adhoc(client, patient, site).status_code == 302
        with acting_for(org):
            session = TreatmentSession.objects.order_by("-id").first()
            TreatmentSession.objects.filter(pk=session.pk).update(
                started_at=timezone.now() - timedelta(days=31 * months_ago)
            )
            session.refresh_from_db()
        assert post_chart(client, session, lot).status_code == 200
        with acting_for(org):
            session.refresh_from_db()
        assert client.post(reverse("session_sign", args=[session.public_id])).status_code == 302
    assert post_start_adhoc(client, patient, site).status_code == 302
    with acting_for(org):
        open_session = TreatmentSession.objects.order_by("-id").first()
        TreatmentSession.objects.filter(pk=open_session.pk).update(
            started_at=timezone.now() - timedelta(days=31)
        )
    plan = draft_plan(org, patient, practitioner, SUBMENTAL)
    assert "3 already given + 4 planned" in editor(client, plan)
    with acting_for(org):
        row = SessionArea.objects.filter(session__patient=patient).first()
        row.pk, row.public_id, row.session = None, uuid.uuid4(), open_session
        row.save()
    assert "4 already given + 4 planned" in editor(client, plan)
    with acting_for(org):
        SessionArea.objects.filter(pk=row.pk).delete()
    assert "3 already given + 4 planned" in editor(client, plan)


def test_the_clinics_tax_shows_at_once(org, warm, viewer, plan):
    assert "including 7.50% tax" not in editor(viewer, plan)
    organization = Organization.objects.get(pk=org.pk)
    organization.tax_rate = Decimal("7.5")
    organization.save()  # carries the epoch it loaded: the database still moves it on
    assert "including 7.50% tax" in editor(viewer, plan)


def test_a_colleague_who_joins_or_leaves_shows_at_once(org, viewer, patient, practitioner):
    """A pregnancy override is confirmed by one of the clinic's other practitioners."""
    with acting_for(org):
        PregnancyStatus.objects.create(
            patient=patient,
            status=PregnancyState.PREGNANT,
            confirmed_on=timezone.localdate(),
            recorded_on=timezone.localdate(),
            created_by=practitioner,
        )
    plan = draft_plan(org, patient, practitioner, [{"concern": "hair-loss", "area": "scalp"}])
    assert "Dr Second Opinion" not in editor(viewer, plan)
    colleague = User.objects.create_user(
        email="second@example.org",
        password="pw",
        organization=org,
        role=Role.PRACTITIONER,
        full_name="Dr Second Opinion",
    )
    assert "Dr Second Opinion" in editor(viewer, plan)
    User.objects.filter(pk=colleague.pk).update(is_active=False)
    assert "Dr Second Opinion" not in editor(viewer, plan)
    User.objects.filter(pk=colleague.pk).update(is_active=True)
    assert "Dr Second Opinion" in editor(viewer, plan)
    User.objects.filter(pk=colleague.pk).delete()
    assert "Dr Second Opinion" not in editor(viewer, plan)


# --- what it never shares ---------------------------------------------------------


def test_an_esthetician_never_gets_the_practitioners_editor(warm, plan, esthetician):
    page = editor(client_for(esthetician), plan)
    assert "Approve plan" not in page
    assert "A practitioner approves this plan; you can prepare it." in page


def test_a_practitioner_never_gets_the_estheticians_editor(viewer, plan, esthetician):
    editor(client_for(esthetician), plan)
    assert "Approve plan" in editor(viewer, plan)


def test_reception_and_another_organization_get_no_editor(warm, plan, reception, outsider):
    url = reverse("plan_editor", args=[plan.public_id])
    assert client_for(reception).get(url).status_code == 403
    response = client_for(outsider).get(url)
    assert response.status_code == 404
    assert plan.patient.last_name not in response.content.decode()


def test_each_viewer_gets_their_own_csrf_token_and_it_works(org, plan, practitioner):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    other = User.objects.create_user(
        email="other@example.org",
        password="pw",
        organization=org,
        role=Role.PRACTITIONER,
        full_name="Dr Other",
    )
    first.force_login(practitioner)
    second.force_login(other)
    editor(first, plan)
    mine, theirs = editor(first, plan), editor(second, plan)
    token = mine.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert token not in theirs and fragments.CSRF_SLOT not in mine
    done = first.post(
        reverse("plan_propose", args=[plan.public_id]), {"csrfmiddlewaretoken": token}
    )
    assert done.status_code == 302
    assert "Proposed" in editor(first, plan)
