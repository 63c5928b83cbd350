"""Each patient-data view and change writes exactly the expected audit event."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from mesoclinic.audit.log import Action, RequestContext, in_request, record
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import client_for


def _events():
    """Events other than the log-ins that the test client's force_login records."""
    rows = AuditEvent.objects.exclude(action="login").order_by("id")
    return list(rows.values_list("action", "object_type", "object_id"))


def test_viewing_a_chart_writes_one_view_event(practitioner, patient):
    response = client_for(practitioner).get(
        reverse("patient_detail", args=[patient.public_id]), REMOTE_ADDR="10.1.2.3"
    )
    assert _events() == [("view", "patient", str(patient.public_id))]
    event = AuditEvent.objects.get(action="view")
    assert event.actor == practitioner
    assert event.organization_id == practitioner.organization_id
    assert event.client_address == "10.1.2.3"
    assert str(event.request_id) == response["X-Request-ID"]


def test_creating_a_patient_writes_one_create_event_with_field_names_only(practitioner, org):
    client_for(practitioner).post(
        reverse("patient_new"),
        {
            "first_name": "Lea",
            "last_name": "Roux",
            "date_of_birth": "1990-02-03",
            "sex": "F",
            "email": "lea@example.com",
        },
    )
    with acting_for(org):
        patient = pm.Patient.objects.get()
    assert _events() == [("create", "patient", str(patient.public_id))]
    event = AuditEvent.objects.get(action="create")
    assert {"first_name", "last_name", "email"} <= set(event.fields)
    assert "Lea" not in str(event.fields) + event.detail


def test_changing_a_patient_names_the_changed_fields(practitioner, patient):
    client_for(practitioner).post(
        reverse("patient_edit", args=[patient.public_id]),
        {
            "first_name": "Anna",
            "last_name": "García",
            "date_of_birth": "1985-04-01",
            "sex": "F",
            "phone": "+1 555 777",
            "email": "anna@example.com",
            "weight_kg": "64",
            "contact_by": "email",  # as the form shows it: unchanged
        },
    )
    event = AuditEvent.objects.get(action="change")
    assert event.fields == ["phone"]


def test_adding_and_voiding_history_each_write_one_event(practitioner, patient, org):
    client = client_for(practitioner)
    client.post(
        reverse("entry_add", args=[patient.public_id, "medication"]),
        {"name": "Apixaban", "recorded_on": "2026-11-01"},
    )
    with acting_for(org):
        med = pm.Medication.objects.get()
    client.post(
        reverse("entry_void", args=[patient.public_id, "medication", med.public_id]),
        {"reason": "Stopped in 2025"},
    )
    assert _events() == [
        ("create", "medication", str(med.public_id)),
        ("void", "medication", str(med.public_id)),
    ]


def test_viewing_the_change_history_is_audited(practitioner, patient):
    client_for(practitioner).get(reverse("patient_changes", args=[patient.public_id]))
    assert _events() == [("view", "patient", str(patient.public_id))]


def test_the_history_entry_form_is_an_audited_read(practitioner, patient, org):
    client = client_for(practitioner)
    client.get(reverse("entry_add", args=[patient.public_id, "medication"]))
    assert _events() == [("view", "patient", str(patient.public_id))]
    client.get(reverse("entry_add", args=[patient.public_id, "medication"]), HTTP_HX_REQUEST="true")
    assert len(_events()) == 2


def test_the_void_form_is_an_audited_read(practitioner, patient, org):
    client = client_for(practitioner)
    client.post(
        reverse("entry_add", args=[patient.public_id, "medication"]),
        {"name": "Apixaban", "recorded_on": "2026-11-01"},
    )
    with acting_for(org):
        med = pm.Medication.objects.get()
    client.get(reverse("entry_void", args=[patient.public_id, "medication", med.public_id]))
    assert _events()[-1] == ("view", "patient", str(patient.public_id))


def test_the_session_start_pages_are_audited_reads(practitioner, patient, consented_plan):
    client = client_for(practitioner)
    assert client.get(reverse("session_start", args=[consented_plan.public_id])).status_code == 200
    assert _events()[-1] == ("view", "patient", str(patient.public_id))
    before = len(_events())
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.get(url).status_code == 200
    assert _events()[before:] == [("view", "patient", str(patient.public_id))]


def test_an_outsider_probe_writes_nothing_about_our_patient(outsider, patient):
    client_for(outsider).get(reverse("patient_detail", args=[patient.public_id]))
    assert not AuditEvent.objects.filter(object_id=str(patient.public_id)).exists()


def test_login_success_and_failure_are_audited(client, practitioner):
    client.post(reverse("login"), {"username": practitioner.email, "password": "wrong password"})
    client.post(
        reverse("login"), {"username": practitioner.email, "password": "correct horse battery"}
    )
    actions = [e.action for e in AuditEvent.objects.order_by("id")]
    assert actions == ["login_failed", "login"]


def test_a_service_called_outside_a_request_records_its_actor_and_no_address(practitioner, patient):
    """A worker, a command or a test calls a service with the user alone."""
    record(practitioner, Action.VIEW, patient)
    event = AuditEvent.objects.get(action="view")
    assert event.actor == practitioner
    assert event.organization_id == practitioner.organization_id
    assert event.client_address is None


def test_events_inside_a_request_context_carry_its_address_and_id(practitioner, patient):
    context = RequestContext("10.9.8.7")
    with in_request(context):
        record(practitioner, Action.VIEW, patient)
    record(practitioner, Action.VIEW, patient, detail="after")
    inside, after = AuditEvent.objects.filter(action="view").order_by("id")
    assert (inside.client_address, inside.request_id) == ("10.9.8.7", context.request_id)
    assert after.client_address is None and after.request_id != context.request_id


def test_audit_rows_cannot_be_updated_or_deleted_in_the_database(practitioner, patient):
    client_for(practitioner).get(reverse("patient_detail", args=[patient.public_id]))
    table = AuditEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = 'change'")  # noqa: S608
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert AuditEvent.objects.filter(action="view").count() == 1


def test_owner_filters_the_audit_log_by_action_and_object(owner, practitioner, patient):
    client = client_for(practitioner)
    client.get(reverse("patient_detail", args=[patient.public_id]))
    client.get(reverse("patient_list"))
    response = client_for(owner).get(reverse("audit_log"), {"action": "view"})
    events = list(response.context["page"].object_list)
    assert [e.action for e in events] == ["view"]
    response = client_for(owner).get(reverse("audit_log"), {"object_id": str(patient.public_id)})
    assert [e.object_id for e in response.context["page"].object_list] == [str(patient.public_id)]


def test_bad_audit_filter_values_are_ignored_not_errors(owner):
    response = client_for(owner).get(reverse("audit_log"), {"actor": "nope", "since": "yesterday"})
    assert response.status_code == 200


def test_a_long_audit_trail_is_paged_without_counting_it_all(
    owner, org, monkeypatch, django_assert_max_num_queries
):
    from mesoclinic.web import audit_views

    monkeypatch.setattr(audit_views, "COUNT_CAP", 120)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(organization=org, actor=owner, action="view", object_type="patient")
            for _ in range(180)
        ]
    )
    client = client_for(owner)
    first = client.get(reverse("audit_log"))
    assert "of more than 3" in first.content.decode()
    assert len(first.context["page"].object_list) == 50
    fourth = client.get(reverse("audit_log"), {"page": 4})
    assert fourth.context["page"].number == 4  # past the cap, still reachable
    total = AuditEvent.objects.filter(organization=org).count()
    assert len(fourth.context["page"].object_list) == total - 150
    assert not fourth.context["page"].has_next()
    assert client.get(reverse("audit_log"), {"page": "x"}).context["page"].number == 1
