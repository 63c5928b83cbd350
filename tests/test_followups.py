"""Follow-up tasks: the due list, whose tasks one sees, overdue ones, marking them done."""

from datetime import timedelta

import pytest
from django.urls import reverse

from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import FollowUpTask
from tests.factories import ALL, CLINICAL, client_for, make_event, today


def make_task(org, patient, assigned_to, due_in_days=1, reason="Check the injection sites", **kw):
    with acting_for(org):
        return FollowUpTask.objects.create(
            patient=patient,
            assigned_to=assigned_to,
            due_on=today() + timedelta(days=due_in_days),
            reason=reason,
            **kw,
        )


def _rows(response) -> list[str]:
    return [task.reason for task in response.context["page"].object_list]


@pytest.fixture
def task(org, patient, practitioner):
    return make_task(org, patient, practitioner, reason="Practitioner's call")


@pytest.fixture
def esthetician_task(org, patient, esthetician):
    return make_task(org, patient, esthetician, reason="Esthetician's photo check")


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL)
def test_follow_up_page_is_for_clinical_roles(personas, role, task):
    client = client_for(personas[role])
    assert client.get(reverse("followup_list")).status_code == (200 if role in CLINICAL else 403)
    done = client.get(reverse("followup_done", args=[task.public_id]))
    # Estheticians do not see a practitioner's task at all; reception is refused outright.
    expected = {"owner": 200, "practitioner": 200, "esthetician": 404, "reception": 403}[role]
    assert done.status_code == expected


def test_outsider_sees_no_task_of_ours_and_cannot_complete_one(personas, org, task):
    client = client_for(personas["outsider"])
    listing = client.get(reverse("followup_list"), {"scope": "all"})
    assert listing.status_code == 200
    assert "Practitioner's call" not in listing.content.decode()
    url = reverse("followup_done", args=[task.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"notes": "closed by someone else"}).status_code == 404
    with acting_for(org):
        task.refresh_from_db()
    assert task.done_at is None


# --- whose tasks ------------------------------------------------------------------------


def test_by_default_one_sees_only_ones_own_tasks(practitioner, esthetician, task, esthetician_task):
    assert _rows(client_for(practitioner).get(reverse("followup_list"))) == ["Practitioner's call"]
    mine = client_for(esthetician).get(reverse("followup_list"))
    assert _rows(mine) == ["Esthetician's photo check"]


@pytest.mark.parametrize(
    "role,sees_all", [("owner", True), ("practitioner", True), ("esthetician", False)]
)
def test_owners_and_practitioners_may_show_all_clinic_tasks(
    personas, role, sees_all, task, esthetician_task
):
    response = client_for(personas[role]).get(reverse("followup_list"), {"scope": "all"})
    shown = set(_rows(response))
    assert ({"Practitioner's call", "Esthetician's photo check"} <= shown) is sees_all
    assert ("Show only mine" in response.content.decode()) is sees_all


def test_overdue_tasks_are_highlighted_and_listed_first(org, patient, practitioner):
    make_task(org, patient, practitioner, due_in_days=3, reason="Later")
    make_task(org, patient, practitioner, due_in_days=-2, reason="Missed")
    response = client_for(practitioner).get(reverse("followup_list"))
    assert _rows(response) == ["Missed", "Later"]
    rows = response.content.decode().split("<tbody>")[1].split("</tr>")
    assert "Overdue" in rows[0]
    assert "Overdue" not in rows[1]


def test_the_serious_event_task_links_to_its_event(org, patient, practitioner):
    event = make_event(org, patient, practitioner)
    make_task(org, patient, practitioner, adverse_event=event, reason="Serious adverse event")
    body = client_for(practitioner).get(reverse("followup_list")).content.decode()
    assert reverse("adverse_event_detail", args=[event.public_id]) in body


def test_listing_tasks_writes_one_audit_event(practitioner, task):
    client_for(practitioner).get(reverse("followup_list"))
    assert AuditEvent.objects.filter(action=Action.SEARCH, object_type="followuptask").count() == 1


# --- marking done -----------------------------------------------------------------------


def test_marking_done_records_who_when_and_notes_and_removes_the_task(org, practitioner, task):
    client = client_for(practitioner)
    url = reverse("followup_done", args=[task.public_id])
    response = client.post(url, {"notes": "Called: swelling settling, no fever"})
    assert response.status_code == 302
    with acting_for(org):
        task.refresh_from_db()
    assert task.done_by == practitioner
    assert task.done_at is not None
    assert task.notes == "Called: swelling settling, no fever"
    changed = AuditEvent.objects.get(action=Action.CHANGE, object_type="followuptask")
    assert changed.fields == ["done_at", "done_by", "notes"]
    assert _rows(client.get(reverse("followup_list"))) == []


def test_notes_are_optional(org, esthetician, esthetician_task):
    url = reverse("followup_done", args=[esthetician_task.public_id])
    assert client_for(esthetician).post(url, {"notes": ""}).status_code == 302
    with acting_for(org):
        esthetician_task.refresh_from_db()
    assert esthetician_task.done_by == esthetician


def test_a_practitioner_may_complete_a_colleagues_task_from_the_all_view(
    org, practitioner, esthetician_task
):
    url = reverse("followup_done", args=[esthetician_task.public_id])
    response = client_for(practitioner).post(url, {"notes": "", "scope": "all"})
    assert response["Location"] == reverse("followup_list") + "?scope=all"
    with acting_for(org):
        esthetician_task.refresh_from_db()
    assert esthetician_task.done_by == practitioner


def test_too_long_notes_are_refused_next_to_the_field_and_kept(org, practitioner, task):
    notes = "n" * 2001
    response = client_for(practitioner).post(
        reverse("followup_done", args=[task.public_id]), {"notes": notes}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_notes_error"' in body
    assert notes in body
    with acting_for(org):
        task.refresh_from_db()
    assert task.done_at is None


def test_a_task_done_twice_keeps_the_first_completion(org, practitioner, owner, task):
    url = reverse("followup_done", args=[task.public_id])
    client_for(practitioner).post(url, {"notes": "first"})
    client_for(owner).post(url, {"notes": "second"})
    with acting_for(org):
        task.refresh_from_db()
    assert (task.done_by, task.notes) == (practitioner, "first")
    assert AuditEvent.objects.filter(action=Action.CHANGE, object_type="followuptask").count() == 1


def test_follow_up_queries_do_not_grow_with_tasks(
    org, patient, practitioner, django_assert_max_num_queries
):
    client = client_for(practitioner)
    client.get(reverse("home"))
    event = make_event(org, patient, practitioner)
    make_task(org, patient, practitioner, adverse_event=event)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("followup_list"), {"scope": "all"})
    for i in range(40):
        make_task(org, patient, practitioner, due_in_days=i - 20, adverse_event=event)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("followup_list"), {"scope": "all"})
    assert len(response.context["page"].object_list) == 25
