"""Adverse events: who may record and read them, what makes one serious, the safety list."""

import re
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from mesoclinic.accounts.models import Site, User
from mesoclinic.accounts.roles import Role
from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.plans.models import Plan, PlanVersion
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import safety
from mesoclinic.treatments.models import (
    AdverseEvent,
    FollowUpTask,
)
from tests.factories import ALL, CLINICAL, client_for, make_event, make_lot, make_session, today

SIGNERS = ["owner", "practitioner"]
DEOXY = "deoxycholic-10mg-2ml"


def _form(**overrides):
    data = {
        "event_type": "infection",
        "grade": "3",
        "onset_on": (today() - timedelta(days=3)).isoformat(),
        "area": "submental",
        "description": "Red, warm, tender nodules at two injection points",
        "action_taken": "Swab taken, referred to dermatology",
        "outcome": "",
        "resolved_on": "",
        "other_lots": "",
    }
    data.update(overrides)
    return data


def _audit(action, object_type):
    return list(AuditEvent.objects.filter(action=action, object_type=object_type).order_by("at"))


@pytest.fixture
def lot(org, site, owner):
    return make_lot(org, site, owner)


@pytest.fixture
def session(org, patient, site, practitioner, lot):
    return make_session(org, patient, site, practitioner, lot)


@pytest.fixture
def event(org, patient, practitioner, lot, session):
    return make_event(org, patient, practitioner, lots=[lot], session=session)


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL)
def test_only_clinical_roles_may_record_read_and_update_events(personas, role, patient, event):
    client = client_for(personas[role])
    expected = 200 if role in CLINICAL else 403
    assert (
        client.get(reverse("adverse_event_new", args=[patient.public_id])).status_code == expected
    )
    assert (
        client.get(reverse("adverse_event_detail", args=[event.public_id])).status_code == expected
    )
    assert (
        client.get(reverse("adverse_event_update", args=[event.public_id])).status_code == expected
    )


def test_reception_cannot_record_an_event_by_posting(personas, patient, org):
    url = reverse("adverse_event_new", args=[patient.public_id])
    assert client_for(personas["reception"]).post(url, _form()).status_code == 403
    with acting_for(org):
        assert not AdverseEvent.objects.exists()


@pytest.mark.parametrize("role", ALL)
def test_safety_list_is_for_owners_and_practitioners(personas, role):
    response = client_for(personas[role]).get(reverse("safety_list"))
    assert response.status_code == (200 if role in SIGNERS else 403)


@pytest.mark.parametrize(
    "name,args,writable",
    [
        ("adverse_event_new", lambda p, _e: [p.public_id], True),
        ("adverse_event_detail", lambda _p, e: [e.public_id], False),
        ("adverse_event_update", lambda _p, e: [e.public_id], True),
    ],
)
def test_outsider_gets_404_for_every_event_url(personas, org, patient, event, name, args, writable):
    client = client_for(personas["outsider"])
    url = reverse(name, args=args(patient, event))
    assert client.get(url).status_code == 404
    if writable:
        posted = client.post(url, _form(outcome="Hacked", resolved_on=today().isoformat()))
        assert posted.status_code == 404
    with acting_for(org):
        event.refresh_from_db()
        assert AdverseEvent.objects.count() == 1
    assert event.outcome == ""


def test_outsider_safety_list_never_shows_our_events(personas, org, patient, event):
    body = client_for(personas["outsider"]).get(reverse("safety_list"), {"scope": "all"})
    assert body.status_code == 200
    assert "DX-2401" not in body.content.decode()
    assert "García" not in body.content.decode()


# --- recording and classification ----------------------------------------------------------


def test_grade_3_infection_is_serious_and_the_performing_practitioner_gets_a_task(
    org, practitioner, esthetician, patient, session, lot
):
    url = reverse("adverse_event_new", args=[patient.public_id])
    data = _form(session=str(session.public_id), lots=[str(lot.public_id)])
    response = client_for(esthetician).post(url, data)
    with acting_for(org):
        event = AdverseEvent.objects.get()
        task = FollowUpTask.objects.get()
        assert list(event.lots.all()) == [lot]
    assert response["Location"] == reverse("adverse_event_detail", args=[event.public_id])
    assert event.serious
    assert event.reported_by == esthetician
    assert task.assigned_to == practitioner
    assert task.adverse_event == event
    assert task.due_on == today() + timedelta(days=1)
    created = _audit(Action.CREATE, "adverseevent")
    assert len(created) == 1
    assert {"event_type", "grade", "onset_on", "session", "lots"} <= set(created[0].fields)


@pytest.mark.parametrize(
    "event_type,grade,serious",
    [
        ("allergic-reaction", 2, False),
        ("allergic-reaction", 3, True),
        ("infection", 1, True),
        ("nerve-injury", 1, True),
        ("swelling", 3, False),
        ("swelling", 4, True),  # ICH E2A: any CTCAE grade 4 or 5 event is serious
    ],
)
def test_seriousness_follows_type_and_grade(org, practitioner, patient, event_type, grade, serious):
    url = reverse("adverse_event_new", args=[patient.public_id])
    client_for(practitioner).post(url, _form(event_type=event_type, grade=str(grade)))
    with acting_for(org):
        event = AdverseEvent.objects.get()
        assert event.serious is serious
        assert FollowUpTask.objects.filter(adverse_event=event).exists() is serious


def test_the_task_goes_to_the_supervisor_when_an_esthetician_performed(
    org, site, patient, practitioner, esthetician, lot
):
    supervisor = User.objects.create_user(
        email="sup@test.clinic", full_name="Dr Sam Super", organization=org, role=Role.PRACTITIONER
    )
    session = make_session(org, patient, site, esthetician, lot, supervised_by=supervisor)
    url = reverse("adverse_event_new", args=[patient.public_id])
    client_for(esthetician).post(url, _form(event_type="necrosis", session=str(session.public_id)))
    with acting_for(org):
        assert FollowUpTask.objects.get().assigned_to == supervisor


def test_the_task_goes_to_the_plan_approver_when_nobody_supervised(
    org, site, patient, practitioner, esthetician, owner, lot
):
    approver = User.objects.create_user(
        email="appr@test.clinic",
        full_name="Dr Ann Prover",
        organization=org,
        role=Role.PRACTITIONER,
    )
    with acting_for(org):
        plan = Plan.objects.create(patient=patient, created_by=approver, inputs={"items": []})
        version = PlanVersion.objects.create(
            plan=plan, number=1, inputs={}, result={}, approved_by=approver, content_hash="x" * 64
        )
    session = make_session(org, patient, site, esthetician, lot, plan_version=version)
    assert safety.responsible_practitioner(org.pk, session) == approver


def test_without_a_session_the_first_practitioner_then_an_owner_answers(
    org, practitioner, owner, esthetician
):
    assert safety.responsible_practitioner(org.pk, None) == practitioner
    practitioner.is_active = False
    practitioner.save()
    assert safety.responsible_practitioner(org.pk, None) == owner


def test_lots_can_be_added_by_number_from_any_site(org, owner, practitioner, patient):
    other_site = Site.objects.create(organization=org, name="Annex")
    far_lot = make_lot(org, other_site, owner, number="PC-77", product="pcdc-5ml")
    url = reverse("adverse_event_new", args=[patient.public_id])
    client_for(practitioner).post(url, _form(other_lots=" PC-77 "))
    with acting_for(org):
        assert list(AdverseEvent.objects.get().lots.all()) == [far_lot]


def test_another_clinics_lot_number_is_unknown_here(
    org, other_org, outsider, practitioner, patient
):
    other_site = Site.objects.create(organization=other_org, name="Elsewhere")
    make_lot(other_org, other_site, outsider, number="THEIRS-1")
    url = reverse("adverse_event_new", args=[patient.public_id])
    response = client_for(practitioner).post(url, _form(other_lots="THEIRS-1"))
    assert response.status_code == 400
    assert "No lot of this clinic has the number THEIRS-1." in response.content.decode()


def test_a_session_preselected_from_the_link_is_the_patients_own(
    org, practitioner, patient, session, lot
):
    url = reverse("adverse_event_new", args=[patient.public_id])
    response = client_for(practitioner).get(url, {"session": str(session.public_id)})
    assert response.context["form"]["session"].value() == session.public_id
    assert "DX-2401" in response.content.decode()  # the charted lot is offered


# --- validation ---------------------------------------------------------------------------


def _field_error(body: str, field: str) -> str:
    start = body.index(f'id="id_{field}_error"')
    return body[start : body.index("</p>", start)]


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        (
            {"onset_on": (date.today() + timedelta(days=5)).isoformat()},
            "onset_on",
            "The onset date cannot be in the future.",
        ),
        (
            {"resolved_on": (date.today() - timedelta(days=20)).isoformat()},
            "resolved_on",
            "The resolution date cannot be before the onset.",
        ),
        ({"grade": "6"}, "grade", "Choose a CTCAE v5 grade from 1 (mild) to 5 (death)."),
    ],
)
def test_invalid_entries_are_explained_next_to_the_field_and_nothing_typed_is_lost(
    org, practitioner, patient, overrides, field, message
):
    url = reverse("adverse_event_new", args=[patient.public_id])
    response = client_for(practitioner).post(url, _form(**overrides))
    body = response.content.decode()
    assert response.status_code == 400
    assert message in _field_error(body, field)
    assert "Red, warm, tender nodules at two injection points" in body
    assert "Swab taken, referred to dermatology" in body
    with acting_for(org):
        assert not AdverseEvent.objects.exists()


def test_onset_cannot_be_before_the_session(org, practitioner, patient, session):
    url = reverse("adverse_event_new", args=[patient.public_id])
    early = (today() - timedelta(days=15)).isoformat()
    response = client_for(practitioner).post(
        url, _form(session=str(session.public_id), onset_on=early)
    )
    assert response.status_code == 400
    assert "The onset cannot be before the session" in _field_error(
        response.content.decode(), "onset_on"
    )


def test_another_patients_session_cannot_be_linked(
    org, practitioner, make_patient, site, lot, patient
):
    other = make_patient(first_name="Bea")
    foreign = make_session(org, other, site, practitioner, lot)
    url = reverse("adverse_event_new", args=[patient.public_id])
    response = client_for(practitioner).post(url, _form(session=str(foreign.public_id)))
    assert response.status_code == 400
    assert "session_error" in response.content.decode()


@pytest.mark.parametrize("value", ["x", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_session_in_the_link_that_is_not_the_patients_answers_404(practitioner, patient, value):
    url = reverse("adverse_event_new", args=[patient.public_id])
    assert client_for(practitioner).get(url, {"session": value}).status_code == 404


def test_another_patients_session_in_the_link_answers_404(
    org, practitioner, make_patient, site, lot, patient, session
):
    foreign = make_session(org, make_patient(first_name="Bea"), site, practitioner, lot)
    url = reverse("adverse_event_new", args=[patient.public_id])
    client = client_for(practitioner)
    assert client.get(url, {"session": str(foreign.public_id)}).status_code == 404
    ours = client.get(url, {"session": str(session.public_id)})
    assert ours.status_code == 200
    assert ours.context["form"].initial["session"] == session


# --- reading and updating -----------------------------------------------------------------


def test_reading_an_event_writes_one_audit_event(practitioner, event):
    response = client_for(practitioner).get(reverse("adverse_event_detail", args=[event.public_id]))
    assert "DX-2401" in response.content.decode()
    viewed = _audit(Action.VIEW, "adverseevent")
    assert [(e.object_id, e.actor) for e in viewed] == [(str(event.public_id), practitioner)]


def test_outcome_update_keeps_who_and_when_with_the_changed_fields(org, esthetician, event):
    url = reverse("adverse_event_update", args=[event.public_id])
    data = {"grade": "3", "outcome": "Healed after antibiotics", "resolved_on": today().isoformat()}
    response = client_for(esthetician).post(url, {**data, "action_taken": ""})
    assert response.status_code == 302
    with acting_for(org):
        event.refresh_from_db()
    assert (event.outcome, event.resolved_on) == ("Healed after antibiotics", today())
    changed = _audit(Action.CHANGE, "adverseevent")
    assert len(changed) == 1
    assert changed[0].fields == ["outcome", "resolved_on"]
    assert changed[0].actor == esthetician


def test_update_refuses_a_resolution_before_onset_and_keeps_the_outcome(org, practitioner, event):
    url = reverse("adverse_event_update", args=[event.public_id])
    early = (event.onset_on - timedelta(days=1)).isoformat()
    response = client_for(practitioner).post(
        url, {"grade": "3", "outcome": "Scar remains", "resolved_on": early}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "cannot be before the onset" in _field_error(body, "resolved_on")
    assert 'value="Scar remains"' in body
    assert not _audit(Action.CHANGE, "adverseevent")


def test_an_allergy_that_worsens_to_grade_3_gets_its_follow_up(org, practitioner, patient):
    event = make_event(org, patient, practitioner, event_type="allergic-reaction", grade=2)
    with acting_for(org):
        assert not event.serious and not FollowUpTask.objects.exists()
    url = reverse("adverse_event_update", args=[event.public_id])
    client_for(practitioner).post(url, {"grade": "3", "outcome": "", "resolved_on": ""})
    with acting_for(org):
        event.refresh_from_db()
        assert event.serious
        assert FollowUpTask.objects.get().adverse_event == event


# --- the clinic-wide safety list ----------------------------------------------------------


def test_safety_list_shows_serious_events_with_their_lots(
    org, owner, practitioner, patient, event, lot
):
    make_event(org, patient, practitioner, event_type="bruising", grade=1)
    response = client_for(owner).get(reverse("safety_list"))
    body = response.content.decode()
    assert "DX-2401" in body
    assert "Deoxycholic" in body  # the product's catalogue name
    assert "García" in body
    assert "Bruising" not in body.split("<tbody>")[1]
    everything = client_for(owner).get(reverse("safety_list"), {"scope": "all"})
    assert "Bruising" in everything.content.decode().split("<tbody>")[1]


def test_safety_list_filters_by_status_and_type_and_ignores_unknown_values(
    org, practitioner, patient
):
    make_event(org, patient, practitioner, description="open one")
    make_event(
        org,
        patient,
        practitioner,
        event_type="necrosis",
        resolved_on=today(),
        outcome="healed",
    )
    client = client_for(practitioner)

    def rows(**params):
        page = client.get(reverse("safety_list"), params).context["page"]
        return sorted(e.event_type for e in page.object_list)

    assert rows() == ["infection", "necrosis"]
    assert rows(status="open") == ["infection"]
    assert rows(status="resolved") == ["necrosis"]
    assert rows(event_type="necrosis") == ["necrosis"]
    assert rows(scope="everything'; drop table", status="nonsense") == ["infection", "necrosis"]


def test_safety_list_is_sorted_by_onset_newest_first_and_audited(org, practitioner, patient):
    for days in (9, 1, 5):
        make_event(org, patient, practitioner, onset_on=today() - timedelta(days=days))
    page = client_for(practitioner).get(reverse("safety_list")).context["page"]
    assert [e.onset_on for e in page.object_list] == [
        today() - timedelta(days=d) for d in (1, 5, 9)
    ]
    assert len(_audit(Action.SEARCH, "adverseevent")) == 1


def test_safety_list_queries_do_not_grow_with_events(
    org, site, owner, practitioner, patient, django_assert_max_num_queries
):
    lots = [make_lot(org, site, owner, number=f"L{i}") for i in range(3)]
    client = client_for(practitioner)
    client.get(reverse("home"))
    make_event(org, patient, practitioner, lots=lots)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("safety_list"))
    for i in range(60):
        make_event(org, patient, practitioner, lots=lots, description=f"event {i}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("safety_list"))
    assert len(response.context["page"].object_list) == 25


# --- the patient chart include ------------------------------------------------------------


def test_patient_events_include_lists_events_with_their_lots(org, practitioner, patient, event):
    make_event(org, patient, practitioner, event_type="redness", grade=1, area="cheeks")
    with acting_for(org):
        events = safety.events_for_patient(patient)
    html = render_to_string(
        "treatments/safety/_patient_events.html", {"adverse_events": events, "patient": patient}
    )
    assert "Infection" in html and "Redness" in html
    assert "DX-2401" in html
    assert "Cheeks" in html
    assert reverse("adverse_event_detail", args=[event.public_id]) in html


def test_the_chart_shows_adverse_events_to_clinical_staff_only(
    org, site, personas, practitioner, patient
):
    lot = make_lot(org, site, practitioner, number="CH-77")
    make_event(org, patient, practitioner, lots=[lot], event_type="infection", grade=3)
    url = reverse("patient_detail", args=[patient.public_id])
    for role in ALL:
        body = client_for(personas[role]).get(url).content.decode()
        if role in CLINICAL:
            assert "Adverse events" in body and "CH-77" in body, role
        else:
            assert "Adverse events" not in body and "CH-77" not in body, role


# --- voiding an event recorded in error ---------------------------------------------------


def _void(user, event, reason="Recorded on the wrong patient"):
    return client_for(user).post(
        reverse("adverse_event_void", args=[event.public_id]), {"reason": reason}
    )


def test_practitioner_voids_an_event_recorded_in_error(org, practitioner, patient, event):
    with acting_for(org):
        FollowUpTask.objects.create(
            patient=patient,
            adverse_event=event,
            assigned_to=practitioner,
            due_on=today() + timedelta(days=1),
            reason="Review infection",
        )
    assert _void(practitioner, event).status_code == 302
    client = client_for(practitioner)
    detail = client.get(reverse("adverse_event_detail", args=[event.public_id]))
    assert "Voided" in detail.content.decode() and "wrong patient" in detail.content.decode()
    chart = client.get(reverse("patient_detail", args=[patient.public_id])).content.decode()
    assert "No adverse event recorded." in chart
    assert event.public_id not in {
        e.public_id for e in client.get(reverse("safety_list")).context["page"].object_list
    }
    with acting_for(org):
        assert not FollowUpTask.objects.filter(adverse_event=event, done_at__isnull=True).exists()
        assert AdverseEvent.objects.filter(pk=event.pk).exists()  # kept, never deleted
    update = client.get(reverse("adverse_event_update", args=[event.public_id]))
    assert update.status_code == 403
    assert len(_audit(Action.VOID, "adverseevent")) >= 1


def test_voiding_needs_a_reason(org, practitioner, event):
    response = _void(practitioner, event, reason="")
    assert response.status_code == 400
    title = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)
    assert "<form" not in title and "Void" not in title  # the void form is in the page, once
    assert response.content.decode().count('action="/adverse-events/') == 1
    assert response.context["void_form"].errors["reason"]
    with acting_for(org):
        assert AdverseEvent.objects.get(pk=event.pk).voided_at is None


@pytest.mark.parametrize(
    "role,expected",
    [("owner", 302), ("practitioner", 302), ("esthetician", 403), ("reception", 403)],
)
def test_who_may_void_an_event(org, personas, role, expected, event):
    assert _void(personas[role], event).status_code == expected


def test_outsider_cannot_void_our_event(org, outsider, event):
    assert _void(outsider, event).status_code == 404
    with acting_for(org):
        assert AdverseEvent.objects.get(pk=event.pk).voided_at is None
