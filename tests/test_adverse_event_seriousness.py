"""Adverse-event seriousness per ICH E2A (clinical-reference §8): the reporter's criteria,
CTCAE grade 4-5, the always-serious types; each serious event gets its follow-up task."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import AdverseEvent, FollowUpTask
from mesoclinic.treatments.vocab import Seriousness, is_serious
from tests.factories import client_for

CRITERIA = [c.value for c in Seriousness]
DEATH_NEEDED = "A grade 5 event is a death: tick “Results in death”."


def _form(**overrides):
    data = {
        "event_type": "swelling",
        "grade": "1",
        "onset_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "area": "cheeks",
        "description": "Swollen cheek",
        "action_taken": "",
        "outcome": "",
        "resolved_on": "",
        "other_lots": "",
    }
    data.update(overrides)
    return data


def _post(user, patient, **overrides):
    url = reverse("adverse_event_new", args=[patient.public_id])
    return client_for(user).post(url, _form(**overrides))


def _event(org) -> AdverseEvent:
    with acting_for(org):
        return AdverseEvent.objects.get()


def _error(body: str, field: str) -> str:
    start = body.index(f'id="id_{field}_error"')
    return body[start : body.index("</p>", start)]


@pytest.mark.parametrize(
    "event_type,grade,criteria,serious",
    [
        ("systemic", 5, ["death"], True),
        ("systemic", 5, [], True),  # grade 5 alone is serious
        ("systemic", 4, [], True),
        ("pain", 4, [], True),
        ("pain", 3, [], False),
        ("swelling", 1, [], False),
        *[("swelling", 1, [c], True) for c in CRITERIA],
        ("infection", 1, [], True),  # the clinic's always-serious types stay
        ("allergic-reaction", 3, [], True),
        ("allergic-reaction", 2, [], False),
    ],
)
def test_serious_is_any_criterion_or_grade_4_or_5_or_an_always_serious_type(
    event_type, grade, criteria, serious
):
    assert is_serious(event_type, grade, criteria) is serious


@pytest.mark.parametrize("criterion", CRITERIA)
def test_any_criterion_makes_a_mild_event_serious_with_a_follow_up_task(
    org, practitioner, patient, criterion
):
    response = _post(practitioner, patient, seriousness=[criterion])
    assert response.status_code == 302
    event = _event(org)
    assert event.serious and event.criteria == [criterion]
    with acting_for(org):
        task = FollowUpTask.objects.get(adverse_event=event)
    assert task.assigned_to == practitioner
    assert Seriousness(criterion).label.lower() in task.reason
    created = AuditEvent.objects.get(action=Action.CREATE, object_type="adverseevent")
    assert criterion in created.fields
    assert not set(CRITERIA) - {criterion} & set(created.fields)
    listed = client_for(practitioner).get(reverse("safety_list")).context["page"].object_list
    assert [e.pk for e in listed] == [event.pk]


def test_a_grade_4_event_without_criteria_is_serious_and_followed_up(org, practitioner, patient):
    _post(practitioner, patient, grade="4")
    event = _event(org)
    assert event.serious
    with acting_for(org):
        assert FollowUpTask.objects.filter(adverse_event=event).count() == 1


def test_a_grade_5_event_needs_the_death_criterion_next_to_the_field(org, practitioner, patient):
    response = _post(practitioner, patient, event_type="systemic", grade="5")
    assert response.status_code == 400
    assert DEATH_NEEDED in _error(response.content.decode(), "seriousness")
    with acting_for(org):
        assert not AdverseEvent.objects.exists()
    _post(practitioner, patient, event_type="systemic", grade="5", seriousness=["death"])
    event = _event(org)
    assert event.serious and event.death
    with acting_for(org):
        assert FollowUpTask.objects.filter(adverse_event=event).exists()


def test_a_hospital_admission_reported_later_makes_the_event_serious_once(
    org, practitioner, patient
):
    _post(practitioner, patient, event_type="redness")
    event = _event(org)
    assert not event.serious
    url = reverse("adverse_event_update", args=[event.public_id])
    client = client_for(practitioner)
    page = client.get(url)
    assert page.context["form"]["seriousness"].value() == []
    data = {"grade": "2", "outcome": "", "resolved_on": "", "action_taken": ""}
    for _ in range(2):  # the second save changes nothing and makes no second task
        assert client.post(url, {**data, "seriousness": ["hospitalisation"]}).status_code == 302
    event = _event(org)
    assert event.serious and event.hospitalisation
    with acting_for(org):
        assert FollowUpTask.objects.filter(adverse_event=event).count() == 1
    changed = AuditEvent.objects.filter(action=Action.CHANGE, object_type="adverseevent")
    assert [e.fields for e in changed] == [["grade", "hospitalisation"]]


def test_an_update_to_grade_5_needs_the_death_criterion(org, practitioner, patient):
    _post(practitioner, patient, seriousness=["hospitalisation"])
    event = _event(org)
    url = reverse("adverse_event_update", args=[event.public_id])
    data = {"grade": "5", "outcome": "", "resolved_on": "", "seriousness": ["hospitalisation"]}
    response = client_for(practitioner).post(url, data)
    assert response.status_code == 400
    assert DEATH_NEEDED in _error(response.content.decode(), "seriousness")
    assert _event(org).grade == 1


def test_the_grade_field_explains_each_ctcae_injection_site_grade(practitioner, patient):
    body = (
        client_for(practitioner)
        .get(reverse("adverse_event_new", args=[patient.public_id]))
        .content.decode()
    )
    for text in (
        "1 tenderness with or without warmth, erythema, itching",
        "2 pain, lipodystrophy, oedema, phlebitis",
        "3 ulceration or necrosis, severe tissue damage, operative intervention indicated",
        "4 life-threatening, urgent intervention indicated",
        "5 death",
    ):
        assert text in body
    assert 'id="id_grade_helptext"' in body
    for criterion in Seriousness:
        assert criterion.label in body


def test_the_event_page_says_why_it_is_serious(org, practitioner, patient):
    _post(practitioner, patient, seriousness=["life_threatening", "hospitalisation"])
    event = _event(org)
    body = (
        client_for(practitioner)
        .get(reverse("adverse_event_detail", args=[event.public_id]))
        .content.decode()
    )
    assert "Yes: Is life-threatening; Requires or prolongs hospitalisation" in body


@pytest.mark.parametrize("role,expected", [("esthetician", 302), ("reception", 403)])
def test_who_may_record_the_criteria(org, personas, patient, role, expected):
    response = _post(personas[role], patient, seriousness=["medically_important"])
    assert response.status_code == expected
    with acting_for(org):
        assert AdverseEvent.objects.filter(medically_important=True).exists() is (expected == 302)


def test_an_outsider_cannot_record_or_change_criteria(org, outsider, practitioner, patient):
    assert _post(outsider, patient, seriousness=["death"], grade="5").status_code == 404
    _post(practitioner, patient)
    event = _event(org)
    url = reverse("adverse_event_update", args=[event.public_id])
    data = {"grade": "1", "outcome": "", "resolved_on": "", "seriousness": ["death"]}
    assert client_for(outsider).post(url, data).status_code == 404
    assert _event(org).criteria == []


def test_the_database_holds_seriousness_to_the_rule(org, practitioner, patient):
    _post(practitioner, patient)
    event = _event(org)
    rows = AdverseEvent.all_orgs.filter(pk=event.pk)
    for change in (
        {"grade": 5},  # grade 5 without death
        {"hospitalisation": True},  # a criterion, still not serious
        {"grade": 4},  # grade 4, still not serious
        {"serious": True},  # serious for no reason
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**change)
    rows.update(grade=5, death=True, serious=True)
    assert _event(org).serious
