"""Intake, search, history and validation as the clinic's staff meet them."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from tests.factories import book, client_for, local, next_weekday, open_clinic

VALID = {
    "first_name": "Lea",
    "last_name": "Dubois",
    "date_of_birth": "1990-02-03",
    "sex": "F",
    "phone": "+33 6 12 34 56 78",
    "email": "lea@example.com",
    "weight_kg": "61.5",
    "height_cm": "168",
}


def _new(client, **changes):
    return client.post(reverse("patient_new"), {**VALID, **changes})


def test_practitioner_registers_a_patient_and_lands_on_the_chart(practitioner, org):
    response = _new(client_for(practitioner))
    assert response.status_code == 302
    with acting_for(org):
        patient = pm.Patient.objects.get()
    assert response["Location"] == reverse("patient_detail", args=[patient.public_id])
    assert patient.weight_kg == pytest.approx(61.5)
    assert patient.measured_on == date.today()  # measurements are dated even when not given


@pytest.mark.parametrize(
    "field,value,message",
    [
        (
            "date_of_birth",
            (date.today() + timedelta(days=1)).isoformat(),
            "cannot be in the future",
        ),
        ("weight_kg", "0", "at least 1 kg"),
        ("weight_kg", "700", "at most 400 kg"),
        ("email", "not-an-email", "valid email"),
        ("height_cm", "900", "less than or equal to 250"),
    ],
)
def test_impossible_values_are_refused_next_to_their_field(practitioner, field, value, message):
    response = _new(client_for(practitioner), **{field: value, "first_name": "Keep me"})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'id="id_{field}_error"' in body
    assert f'aria-describedby="id_{field}_error"' in body  # the error is read with the field
    assert 'value="Keep me"' in body  # nothing the user typed is lost
    assert 'value="Dubois"' in body


def test_database_refuses_an_impossible_weight_even_without_the_form(org, patient):
    from django.db import IntegrityError, transaction

    patient.weight_kg = 700
    with acting_for(org), pytest.raises(IntegrityError), transaction.atomic():
        patient.save()


def test_pregnancy_for_a_male_patient_is_refused_at_the_field(practitioner, make_patient):
    patient = make_patient(sex=pm.Sex.MALE, first_name="Tom")
    url = reverse("entry_add", args=[patient.public_id, "pregnancy"])
    response = client_for(practitioner).post(
        url, {"status": "pregnant", "confirmed_on": "2026-11-01", "recorded_on": "2026-11-01"}
    )
    assert response.status_code == 400
    assert "recorded as male" in response.content.decode()
    assert 'id="id_status_error"' in response.content.decode()


def test_chart_shows_allergy_and_anticoagulant_alerts(practitioner, patient):
    client = client_for(practitioner)
    base = [patient.public_id]
    client.post(
        reverse("entry_add", args=[*base, "allergy"]),
        {
            "substance": "lidocaine",
            "reaction": "hives",
            "severity": "moderate",
            "recorded_on": "2026-11-01",
        },
    )
    client.post(
        reverse("entry_add", args=[*base, "medication"]),
        {"name": "Warfarin", "dose": "5 mg", "recorded_on": "2026-11-01"},
    )
    body = client.get(reverse("patient_detail", args=base)).content.decode()
    assert "Allergy: Lidocaine" in body
    assert "Anticoagulant: Warfarin" in body


def test_brand_names_of_antiplatelets_are_flagged(practitioner, patient, org):
    client_for(practitioner).post(
        reverse("entry_add", args=[patient.public_id, "medication"]),
        {"name": "Plavix", "recorded_on": "2026-11-01"},
    )
    with acting_for(org):
        med = pm.Medication.objects.get()
    assert med.affects_bleeding
    assert "antiplatelet" in med.drug_classes


def test_voiding_keeps_the_entry_with_its_reason_and_removes_the_alert(practitioner, patient, org):
    client = client_for(practitioner)
    client.post(
        reverse("entry_add", args=[patient.public_id, "allergy"]),
        {"substance_text": "Latex", "severity": "mild", "recorded_on": "2026-11-01"},
    )
    with acting_for(org):
        allergy = pm.Allergy.objects.get()
    url = reverse("entry_void", args=[patient.public_id, "allergy", allergy.public_id])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Entered for the wrong patient"}).status_code == 302
    with acting_for(org):
        allergy = pm.Allergy.objects.get()
        log = pm.ChangeLog.objects.filter(object_id=allergy.public_id, action="void").get()
    assert (
        allergy.voided_by == practitioner and allergy.void_reason == "Entered for the wrong patient"
    )
    assert log.reason == "Entered for the wrong patient"
    body = client.get(reverse("patient_detail", args=[patient.public_id])).content.decode()
    assert "Allergy: Latex" not in body


def test_editing_demographics_keeps_the_previous_values(practitioner, patient, org):
    client = client_for(practitioner)
    form = {**VALID, "first_name": "Anna", "last_name": "García", "phone": "+1 555 999"}
    assert client.post(reverse("patient_edit", args=[patient.public_id]), form).status_code == 302
    with acting_for(org):
        change = pm.ChangeLog.objects.get(action="change")
    assert change.previous["phone"] == "+1 555 0100 200"
    assert change.changed_by == practitioner
    body = client.get(reverse("patient_changes", args=[patient.public_id])).content.decode()
    assert "+1 555 0100 200" in body


def test_entry_add_by_htmx_returns_the_history_and_the_alert_banner(practitioner, patient):
    response = client_for(practitioner).post(
        reverse("entry_add", args=[patient.public_id, "infection"]),
        {"area": "cheeks", "description": "Impetigo", "recorded_on": "2026-11-20"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#history"
    body = response.content.decode()
    assert 'hx-swap-oob="true"' in body and "Active skin infection: Cheeks" in body


class TestSearch:
    @pytest.fixture
    def people(self, make_patient):
        return {
            "anna": make_patient(),
            "bob": make_patient(
                first_name="Bob",
                last_name="Smith",
                date_of_birth=date(1970, 1, 2),
                phone="020 7946 0000",
                email="bob.smith@example.org",
                sex=pm.Sex.MALE,
            ),
            "zoe": make_patient(first_name="Zoë", last_name="Smithers", email="z@example.net"),
        }

    @pytest.mark.parametrize(
        "query,expected",
        [
            ("smith", {"Bob", "Zoë"}),
            ("SMITHE", {"Zoë"}),
            ("garcia", {"Anna"}),
            ("zoe", {"Zoë"}),
            ("bob smi", {"Bob"}),
            ("smith bob", {"Bob"}),
            ("1970-01-02", {"Bob"}),
            ("02/01/1970", {"Bob"}),
            ("020 7946", {"Bob"}),
            ("bob.smith@", {"Bob"}),
            ("nobody", set()),
        ],
    )
    def test_finds_by_name_birth_date_phone_or_email(self, people, practitioner, query, expected):
        response = client_for(practitioner).get(reverse("patient_list"), {"q": query})
        found = {p.first_name for p in response.context["page"].object_list}
        assert found == expected

    def test_unknown_sort_falls_back_to_name(self, people, practitioner):
        response = client_for(practitioner).get(reverse("patient_list"), {"sort": "password"})
        names = [p.last_name for p in response.context["page"].object_list]
        assert names == ["García", "Smith", "Smithers"]

    def test_sort_by_youngest_first(self, people, practitioner):
        response = client_for(practitioner).get(reverse("patient_list"), {"sort": "-dob"})
        assert response.context["page"].object_list[0].first_name in {"Anna", "Zoë"}
        assert response.context["page"].object_list[2].first_name == "Bob"

    def test_htmx_search_returns_only_the_results_fragment(self, people, practitioner):
        response = client_for(practitioner).get(
            reverse("patient_list"), {"q": "smith"}, HTTP_HX_REQUEST="true"
        )
        body = response.content.decode()
        assert "<html" not in body and "Smithers" in body

    def test_results_are_paginated(self, make_patient, practitioner):
        for i in range(30):
            make_patient(first_name=f"P{i}", last_name="Page")
        client = client_for(practitioner)
        first = client.get(reverse("patient_list"), {"q": "page"})
        second = client.get(reverse("patient_list"), {"q": "page", "page": 2})
        assert len(first.context["page"].object_list) == 25
        assert len(second.context["page"].object_list) == 5


def test_search_writes_one_audit_event_without_the_query_text(practitioner, patient):
    client_for(practitioner).get(reverse("patient_list"), {"q": "garcia"})
    event = AuditEvent.objects.get(action="search")
    assert event.actor == practitioner
    assert "garcia" not in event.detail.lower()
    assert event.detail.startswith("by name")


def test_chart_lists_coming_appointments_for_every_role(org, site, personas, practitioner, patient):
    from mesoclinic.scheduling import services as booking

    clinic = open_clinic(org, site)
    reception = personas["reception"]
    kept = book(org, reception, clinic, patient, practitioner, local(next_weekday(1), 10))
    gone = book(org, reception, clinic, patient, practitioner, local(next_weekday(2), 11))
    with acting_for(org):
        booking.cancel(reception, gone, "Patient is ill")
    url = reverse("patient_detail", args=[patient.public_id])
    for role in ("owner", "practitioner", "esthetician", "reception"):
        page = client_for(personas[role]).get(url)
        appointments = list(page.context["appointments"])
        assert [a.public_id for a in appointments] == [kept.public_id], role
        assert "Download as calendar (.ics)" in page.content.decode()
    assert "Book an appointment" in client_for(reception).get(url).content.decode()


def test_a_search_matching_very_many_patients_asks_to_narrow_it(
    practitioner, make_patient, monkeypatch
):
    from mesoclinic.patients import search as patient_search

    monkeypatch.setattr(patient_search, "COUNT_CAP", 3)
    for n in range(5):
        make_patient(last_name=f"Martin{n}")
    make_patient(last_name="Zed")
    client = client_for(practitioner)
    many = client.get(reverse("patient_list"), {"q": "mar"}).content.decode()
    assert "more than 3 patients: type more to narrow" in many
    few = client.get(reverse("patient_list"), {"q": "martin2"}).content.decode()
    assert "Page 1 of 1 · 1 patient" in few
