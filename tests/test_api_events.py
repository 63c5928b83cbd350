"""The JSON API's adverse events and follow-up tasks: read per patient and per session,
recorded through the page's form and service."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import AdverseEvent, FollowUpTask, SessionStatus
from tests.factories import CLINICAL, client_for, make_event, make_lot, make_session, today

EVENTS = "/api/v1/adverse-events"
TASKS = "/api/v1/follow-ups"


def _token(user, *scopes):
    secret = tokens.create(user, name="t", scopes=list(scopes), days=5)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def lot(org, site, practitioner):
    return make_lot(org, site, practitioner)


@pytest.fixture
def session(org, patient, site, practitioner, lot):
    return make_session(org, patient, site, practitioner, lot)


@pytest.fixture
def event(org, patient, practitioner, session, lot):
    return make_event(org, patient, practitioner, lots=[lot], session=session, outcome="Improving")


def _task(org, patient, user, **fields):
    with acting_for(org):
        return FollowUpTask.objects.create(
            patient=patient, assigned_to=user, due_on=today() + timedelta(days=1), **fields
        )


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_events_per_patient_and_per_session(
    personas, role, event, patient, session, lot, org, site, make_patient
):
    doc = personas["practitioner"]
    other = make_patient(first_name="Berta", email="berta@example.com")
    make_event(org, other, doc)  # another patient's
    earlier = make_session(org, patient, site, doc, days_ago=30, status=SessionStatus.VOIDED)
    make_event(org, patient, doc, session=earlier)  # the patient's, after another session
    client = client_for(personas[role])
    data = client.get(f"{EVENTS}/{event.public_id}").json()
    assert data["grade"] == 3 and data["event_type"] == "infection" and data["serious"]
    assert data["outcome"] == "Improving" and data["session_id"] == str(session.public_id)
    assert [x["lot_number"] for x in data["lots"]] == ["DX-2401"]
    assert data["lots"][0]["expires_on"] == lot.expires_on.isoformat()
    by_patient = client.get(EVENTS, {"patient": str(patient.public_id)}).json()["results"]
    assert len(by_patient) == 2 and str(event.public_id) in {e["id"] for e in by_patient}
    by_session = client.get(EVENTS, {"session": str(session.public_id)}).json()["results"]
    assert [e["id"] for e in by_session] == [str(event.public_id)]


def test_a_voided_event_stays_listed_with_who_and_why(org, practitioner, event, patient):
    with acting_for(org):
        safety.void_event(practitioner, event, "Entered on the wrong patient")
    client = client_for(practitioner)
    [shown] = client.get(EVENTS, {"patient": str(patient.public_id)}).json()["results"]
    assert shown["void_reason"] == "Entered on the wrong patient"
    assert shown["voided_by"] == "Dr Pia Prax" and shown["voided_at"]


def test_reception_tokens_without_clinical_outsiders_and_patients_are_refused(
    org, reception, practitioner, outsider, patient, event
):
    from tests.test_portal import portal_user

    task = _task(org, patient, practitioner, reason="Check the site", adverse_event=event)
    paths = (f"{EVENTS}/{event.public_id}", EVENTS, f"{TASKS}/{task.public_id}", TASKS)
    for client, headers in (
        (client_for(reception), {}),
        (Client(), _token(practitioner, "read")),
        (Client(), _token(reception, "read", "clinical")),
    ):
        for path in paths:
            response = client.get(path, **headers)
            assert response.status_code == 403 and "García" not in response.content.decode()
    outside = client_for(outsider)
    assert outside.get(f"{EVENTS}/{event.public_id}").status_code == 404
    assert outside.get(f"{TASKS}/{task.public_id}").status_code == 404
    assert outside.get(EVENTS, {"patient": str(patient.public_id)}).status_code == 404
    assert outside.get(TASKS, {"session": str(event.session.public_id)}).status_code == 404
    assert outside.get(EVENTS).json()["results"] == []
    assert outside.get(TASKS).json()["results"] == []
    me = client_for(portal_user(org, reception, patient))
    assert me.get(f"{EVENTS}/{event.public_id}").status_code == 404
    assert Client().get(EVENTS).status_code == 401


def test_those_who_do_not_sign_see_only_their_own_follow_ups(
    org, patient, practitioner, esthetician
):
    mine = _task(org, patient, esthetician, reason="Call about bruising")
    theirs = _task(org, patient, practitioner, reason="Review nodules")
    client = client_for(esthetician)
    listed = client.get(TASKS, {"patient": str(patient.public_id)}).json()["results"]
    assert [t["id"] for t in listed] == [str(mine.public_id)]
    assert client.get(f"{TASKS}/{theirs.public_id}").status_code == 404
    everyone = client_for(practitioner).get(TASKS).json()["results"]
    assert {t["reason"] for t in everyone} == {"Call about bruising", "Review nodules"}
    done = client_for(practitioner).get(TASKS, {"status": "done"}).json()["results"]
    assert done == []


def _body(patient, **changes):
    return {
        "patient": str(patient.public_id),
        "event_type": "infection",
        "grade": 3,
        "onset_on": (today() - timedelta(days=1)).isoformat(),
        "description": "Tender red nodules at two injection points",
        "submission_key": str(uuid.uuid4()),
        **changes,
    }


def _post(client, body, **headers):
    return client.post(EVENTS, body, content_type="application/json", **headers)


def test_recording_an_event_once_however_often_it_is_sent(org, practitioner, patient, session, lot):
    client = client_for(practitioner)
    body = _body(patient, session=str(session.public_id), lots=[str(lot.public_id)])
    first = _post(client, body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["serious"] and [x["id"] for x in data["lots"]] == [str(lot.public_id)]
    again = _post(client, body)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    with acting_for(org):
        assert AdverseEvent.objects.count() == 1
        # A serious event gets its follow-up task, as from the page.
        assert FollowUpTask.objects.filter(adverse_event__public_id=data["id"]).count() == 1
    created = AuditEvent.objects.filter(action="create", object_type="adverseevent")
    assert created.get().actor == practitioner


def test_bad_fields_are_named_and_nothing_is_recorded(org, practitioner, patient, session):
    client = client_for(practitioner)
    future = _post(client, _body(patient, onset_on=(today() + timedelta(days=3)).isoformat()))
    assert future.status_code == 400 and "onset_on" in future.json()["errors"]
    unknown = _post(client, _body(patient, other_lots="NOPE-9"))
    assert unknown.status_code == 400
    assert "NOPE-9" in unknown.json()["errors"]["other_lots"][0]
    death = _post(client, _body(patient, grade=5))
    assert death.status_code == 400 and "seriousness" in death.json()["errors"]
    out_of_range = _post(client, _body(patient, grade=9))
    assert out_of_range.status_code == 400 and "grade" in out_of_range.json()["errors"]
    assert _post(client, {"patient": str(patient.public_id)}).status_code == 400
    with acting_for(org):
        assert not AdverseEvent.objects.exists()


def test_recording_needs_a_clinical_role_and_write_and_clinical_scopes(
    org, practitioner, reception, outsider, patient
):
    body = _body(patient)
    assert _post(client_for(reception), body).status_code == 403
    assert _post(Client(), body, **_token(practitioner, "read", "clinical")).status_code == 403
    assert _post(Client(), body, **_token(practitioner, "read", "write")).status_code == 403
    outside = _post(client_for(outsider), body)
    assert outside.status_code == 404 and "García" not in outside.content.decode()
    assert _post(Client(), body).status_code == 401
    with acting_for(org):
        assert not AdverseEvent.objects.exists()
    token = _token(practitioner, "read", "write", "clinical")
    assert _post(Client(), body, **token).status_code == 201


def test_each_read_is_one_audit_event(org, practitioner, event, patient, session):
    task = _task(org, patient, practitioner, reason="Check the site")
    before = AuditEvent.objects.order_by("id").last()
    client = client_for(practitioner)
    client.get(f"{EVENTS}/{event.public_id}")
    client.get(EVENTS, {"session": str(session.public_id)})
    client.get(f"{TASKS}/{task.public_id}")
    client.get(TASKS, {"patient": str(patient.public_id)})
    client.get(TASKS)
    events = list(
        AuditEvent.objects.filter(id__gt=before.id if before else 0)
        .exclude(action="login")
        .order_by("id")
        .values_list("action", "object_type", "object_id", "detail")
    )
    assert events == [
        ("view", "adverseevent", str(event.public_id), "api"),
        ("view", "treatmentsession", str(session.public_id), "api adverse events"),
        ("view", "followuptask", str(task.public_id), "api"),
        ("view", "patient", str(patient.public_id), "api follow-ups"),
        ("search", "follow-ups", "", "api follow-ups"),
    ]


def test_pages_walk_every_event_once(org, practitioner, patient):
    made = [
        make_event(org, patient, practitioner, onset_on=today() - timedelta(days=i))
        for i in range(5)
    ]
    client = client_for(practitioner)
    first = client.get(EVENTS, {"limit": 3}).json()
    second = client.get(EVENTS, {"limit": 3, "cursor": first["next"]}).json()
    seen = [e["id"] for e in first["results"] + second["results"]]
    assert seen == [str(e.public_id) for e in made] and second["next"] is None
    assert client.get(EVENTS, {"sort": "grade"}).status_code == 422


@pytest.mark.parametrize("n", [3, 30])
def test_the_lists_cost_the_same_queries_at_3_and_30_rows(
    n, org, practitioner, patient, session, lot, django_assert_max_num_queries
):
    for i in range(n):
        event = make_event(org, patient, practitioner, lots=[lot], session=session)
        _task(org, patient, practitioner, reason=f"Check {i}", adverse_event=event, session=session)
    client = client_for(practitioner)
    for path in (EVENTS, TASKS):
        with django_assert_max_num_queries(12):
            response = client.get(path, {"patient": str(patient.public_id), "limit": 200})
        assert len(response.json()["results"]) == n


# --- void an event, close a follow-up -----------------------------------------------------


def test_an_event_is_voided_with_a_reason_and_its_follow_ups_close(
    org, practitioner, patient, event
):
    task = _task(org, patient, practitioner, adverse_event=event, reason="Call in 3 days")
    client = client_for(practitioner)
    url = f"{EVENTS}/{event.public_id}/void"
    assert client.post(url, {"reason": ""}, "application/json").status_code == 400
    voided = client.post(url, {"reason": "Recorded on the wrong patient"}, "application/json")
    assert voided.status_code == 200, voided.content
    assert voided.json()["void_reason"] == "Recorded on the wrong patient"
    again = client.post(url, {"reason": "twice"}, "application/json")
    assert (
        again.status_code == 200 and again.json()["void_reason"] == "Recorded on the wrong patient"
    )
    with acting_for(org):
        task.refresh_from_db()
    assert task.done_at is not None and "Recorded on the wrong patient" in task.notes
    assert AuditEvent.objects.filter(action="void", object_id=str(event.public_id)).count() == 1


def test_a_follow_up_is_closed_once_with_its_notes(org, practitioner, patient):
    task = _task(org, patient, practitioner, reason="Check the bruising")
    client = client_for(practitioner)
    url = f"{TASKS}/{task.public_id}/done"
    done = client.post(url, {"notes": "Resolved by phone"}, "application/json")
    assert done.status_code == 200, done.content
    assert done.json()["done_at"] and done.json()["done_by"] == "Dr Pia Prax"
    again = client.post(url, {"notes": "Another note"}, "application/json")
    assert again.status_code == 200 and again.json()["notes"] == "Resolved by phone"
    long = client.post(url, {"notes": "x" * 2001}, "application/json")
    assert long.status_code == 200  # already done: answered as it stands, nothing written


def test_void_and_close_need_the_pages_roles_and_scopes(
    org, practitioner, esthetician, reception, outsider, patient, event
):
    from tests.test_portal import portal_user

    task = _task(org, patient, practitioner, reason="Call")
    void = (f"{EVENTS}/{event.public_id}/void", {"reason": "Wrong patient"})
    close = (f"{TASKS}/{task.public_id}/done", {"notes": ""})
    patient_login = client_for(portal_user(org, reception, patient))
    for url, body in (void, close):
        assert client_for(reception).post(url, body, "application/json").status_code == 403
        token = _token(practitioner, "read", "clinical")
        assert Client().post(url, body, "application/json", **token).status_code == 403
        assert client_for(outsider).post(url, body, "application/json").status_code == 404
        assert patient_login.post(url, body, "application/json").status_code == 404
        assert Client().post(url, body, "application/json").status_code == 401
    assert client_for(esthetician).post(*void, "application/json").status_code == 403
    # Another clinician's task is not hers to see (as on the page): 404.
    assert client_for(esthetician).post(*close, "application/json").status_code == 404
    with acting_for(org):
        assert AdverseEvent.objects.get(pk=event.pk).voided_at is None
        assert FollowUpTask.objects.get(pk=task.pk).done_at is None
