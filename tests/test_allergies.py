"""Coded allergies and medicines in the patient record.

A patient recorded with "Xylocaine (anaphylaxis)" as free text was once given
lidocaine three times: free text now resolves to allergens when saved, and what
nothing recognises stops treatment until a practitioner codes it or records why
it does not apply. The treatment-day pages are in test_alert_bar.py.
"""

import pytest
from django.apps import apps
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.plans import services as plans
from mesoclinic.plans.models import Plan
from mesoclinic.tenancy import acting_for
from tests.factories import alerts_html, client_for, record_allergy, record_no_known_allergies

ROLES = ("owner", "practitioner", "esthetician", "reception", "outsider")
LIDOCAINE_ITEM = {
    "concern": "localized-fat",
    "area": "submental",
    "products": ["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"],
}


def _add(client, patient, kind, **data):
    return client.post(
        reverse("entry_add", args=[patient.public_id, kind]), {"recorded_on": "2026-11-01", **data}
    )


def _stops(org, patient, items):
    with acting_for(org):
        evaluation = plans.evaluate(patient, {"items": items, "overrides": []})
    assert evaluation.error is None, evaluation.error
    return evaluation.result["hard_stops"]


def _code_url(patient, allergy):
    return reverse("allergy_code", args=[patient.public_id, allergy.public_id])


# -- free text resolves on save ------------------------------------------------------------


def test_free_text_allergy_is_resolved_to_allergens_when_saved(org, practitioner, patient):
    response = _add(
        client_for(practitioner),
        patient,
        "allergy",
        substance_text="Xylocaine (anaphylaxis)",
        severity="anaphylaxis",
    )
    assert response.status_code == 302
    with acting_for(org):
        allergy = pm.Allergy.objects.get()
    assert allergy.coded == ["amide-local-anaesthetics", "anaphylaxis-history"]
    assert allergy.coding == pm.AllergyCoding.RECOGNISED


@pytest.mark.parametrize(
    "text",
    ["Xylocaine (anaphylaxis)", "lignocaine", "EMLA cream - rash", "amide local anaesthetic"],
)
def test_amide_free_text_stops_lidocaine_in_a_plan(org, practitioner, patient, text):
    record_allergy(org, patient, practitioner, text)
    stops = _stops(org, patient, [LIDOCAINE_ITEM])
    (stop,) = [s for s in stops if s["code"] == "ALLERGY"]
    assert stop["ingredient"] == "lidocaine"
    assert "amide local anaesthetics" in stop["message"]


def test_soy_free_text_stops_pcdc(org, practitioner, patient):
    record_allergy(org, patient, practitioner, "Soya (hives)")
    stops = _stops(org, patient, [{"concern": "localized-fat", "area": "abdomen"}])
    assert {s["ingredient"] for s in stops if s["code"] == "ALLERGY"} == {"phosphatidylcholine"}


def test_any_allergy_of_severity_anaphylaxis_stops_hyaluronic_acid(org, practitioner, patient):
    record_allergy(org, patient, practitioner, substance="minoxidil", severity="anaphylaxis")
    stops = _stops(org, patient, [{"concern": "skin-rejuvenation", "area": "cheeks"}])
    assert "hyaluronic-acid" in {s["ingredient"] for s in stops if s["code"] == "ALLERGY"}


# -- unresolved text: a hard stop until a practitioner decides ------------------------------


def test_unrecognised_text_is_a_hard_stop_until_coded(org, practitioner, patient):
    allergy = record_allergy(org, patient, practitioner, "Penicillin")
    assert allergy.needs_coding
    items = [{"concern": "skin-rejuvenation", "area": "cheeks"}]
    (stop,) = _stops(org, patient, items)
    assert stop["code"] == "ALLERGY_UNCODED" and stop["grade"] == "A"
    assert "“Penicillin”" in stop["message"]
    response = client_for(practitioner).post(
        _code_url(patient, allergy), {"decision": "not_applicable", "reason": "antibiotic only"}
    )
    assert response.status_code == 302
    assert _stops(org, patient, items) == []


def test_coding_an_allergy_applies_the_allergen_and_is_audited(org, practitioner, patient):
    allergy = record_allergy(org, patient, practitioner, "the numbing cream at the dentist")
    response = client_for(practitioner).post(
        _code_url(patient, allergy),
        {"decision": "code", "allergens": ["amide-local-anaesthetics"]},
    )
    assert response.status_code == 302
    with acting_for(org):
        allergy.refresh_from_db()
        log = pm.ChangeLog.objects.get(object_id=allergy.public_id, action="change")
    assert allergy.coding == pm.AllergyCoding.CODED and allergy.coded_by == practitioner
    assert allergy.coded == ["amide-local-anaesthetics"]
    assert log.previous == {"coding": "Needs coding", "coded": "nothing"}
    assert log.reason == "Coded as amide local anaesthetics"
    assert AuditEvent.objects.filter(action="change", object_id=str(allergy.public_id)).exists()
    assert "ALLERGY" in {s["code"] for s in _stops(org, patient, [LIDOCAINE_ITEM])}


def test_does_not_apply_keeps_the_reason_in_the_record_and_the_alert(org, practitioner, patient):
    allergy = record_allergy(org, patient, practitioner, "Cat dander")
    client = client_for(practitioner)
    client.post(_code_url(patient, allergy), {"decision": "not_applicable", "reason": "cats"})
    with acting_for(org):
        log = pm.ChangeLog.objects.get(object_id=allergy.public_id, action="change")
    assert log.reason == "cats" and log.previous["coding"] == "Needs coding"
    alerts = alerts_html(client.get(reverse("patient_detail", args=[patient.public_id])))
    assert "Allergy: Cat dander (Moderate); does not apply to treatment (cats)" in alerts


def test_does_not_apply_leaves_an_anaphylaxis_stopping_hyaluronic_acid(org, practitioner, patient):
    allergy = record_allergy(org, patient, practitioner, "Wasp sting", severity="anaphylaxis")
    client_for(practitioner).post(
        _code_url(patient, allergy), {"decision": "not_applicable", "reason": "not a drug"}
    )
    stops = _stops(org, patient, [{"concern": "skin-rejuvenation", "area": "cheeks"}])
    assert {s["code"] for s in stops} == {"ALLERGY"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "code"}, "allergens"),
        ({"decision": "not_applicable", "reason": " "}, "reason"),
        ({}, "decision"),
    ],
)
def test_coding_needs_an_allergen_or_a_reason(org, practitioner, patient, data, field):
    allergy = record_allergy(org, patient, practitioner, "Penicillin")
    response = client_for(practitioner).post(_code_url(patient, allergy), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    with acting_for(org):
        allergy.refresh_from_db()
    assert allergy.needs_coding


def test_a_recognised_allergy_cannot_be_set_aside_by_hand(org, practitioner, patient):
    allergy = record_allergy(org, patient, practitioner, "Xylocaine")
    response = client_for(practitioner).post(
        _code_url(patient, allergy), {"decision": "not_applicable", "reason": "patient insists"}
    )
    assert response.status_code == 400 and "already coded" in response.content.decode()
    with acting_for(org):
        allergy.refresh_from_db()
    assert allergy.coding == pm.AllergyCoding.RECOGNISED


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", 302),
        ("practitioner", 302),
        ("esthetician", 403),
        ("reception", 403),
        ("outsider", 404),
    ],
)
def test_who_may_code_an_allergy(org, personas, practitioner, patient, role, expected):
    allergy = record_allergy(org, patient, practitioner, "Penicillin")
    client = client_for(personas[role])
    assert client.get(_code_url(patient, allergy)).status_code == (
        200 if expected == 302 else expected
    )
    data = {"decision": "not_applicable", "reason": "antibiotic only"}
    assert client.post(_code_url(patient, allergy), data).status_code == expected
    with acting_for(org):
        allergy.refresh_from_db()
    assert allergy.needs_coding is (expected != 302)


def test_coding_by_htmx_returns_the_history_and_the_new_alerts(org, practitioner, patient):
    allergy = record_allergy(org, patient, practitioner, "Penicillin")
    client = client_for(practitioner)
    form = client.get(_code_url(patient, allergy), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in form and "Code “Penicillin”" in form
    response = client.post(
        _code_url(patient, allergy),
        {"decision": "code", "allergens": ["latex"]},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#history"
    body = response.content.decode()
    assert 'hx-swap-oob="true"' in body and "Allergy: Penicillin (Moderate): latex" in body


def test_the_chart_says_needs_coding_and_offers_coding_to_a_practitioner(
    org, personas, practitioner, patient
):
    allergy = record_allergy(org, patient, practitioner, "Penicillin")
    url = reverse("patient_detail", args=[patient.public_id])
    doc = client_for(practitioner).get(url).content.decode()
    assert "needs coding: stops treatment" in doc and _code_url(patient, allergy) in doc
    assert "Allergy not recognised: “Penicillin” (Moderate)" in doc
    nurse = client_for(personas["esthetician"]).get(url).content.decode()
    assert "needs coding: stops treatment" in nurse and _code_url(patient, allergy) not in nurse
    desk = client_for(personas["reception"]).get(url).content.decode()
    assert "Penicillin" not in desk and "Allerg" not in desk


# -- no known allergies ---------------------------------------------------------------------


def test_no_known_allergies_is_recorded_and_superseded_by_a_real_allergy(
    org, practitioner, patient
):
    client = client_for(practitioner)
    url = reverse("patient_detail", args=[patient.public_id])
    assert "Allergy history not taken" in alerts_html(client.get(url))
    assert _add(client, patient, "no-known-allergies").status_code == 302
    assert alerts_html(client.get(url)).count("No alerts recorded") == 1
    assert "No known allergies" in client.get(url).content.decode()
    _add(client, patient, "allergy", substance_text="Latex", severity="mild")
    with acting_for(org):
        answer = pm.NoKnownAllergies.objects.get()
        log = pm.ChangeLog.objects.get(object_id=answer.public_id, action="void")
    assert answer.is_voided and answer.void_reason == "Superseded: allergy to Latex recorded"
    assert log.changed_by == practitioner
    alerts = alerts_html(client.get(url))
    assert (
        "Allergy: Latex (Mild): no product in the catalogue contains it; it matters for gloves"
        in alerts
    )
    assert "No alerts recorded" not in alerts


def test_no_known_allergies_is_refused_while_allergies_are_recorded(org, practitioner, patient):
    record_allergy(org, patient, practitioner, "Latex")
    response = _add(client_for(practitioner), patient, "no-known-allergies")
    assert response.status_code == 400
    assert "Allergies are recorded for this patient" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", 302),
        ("practitioner", 302),
        ("esthetician", 302),
        ("reception", 403),
        ("outsider", 404),
    ],
)
def test_who_may_record_no_known_allergies(org, personas, patient, role, expected):
    assert _add(client_for(personas[role]), patient, "no-known-allergies").status_code == expected
    with acting_for(org):
        assert pm.NoKnownAllergies.objects.exists() is (expected == 302)


def test_the_add_form_names_the_answer_not_its_slug(practitioner, patient):
    url = reverse("entry_add", args=[patient.public_id, "no-known-allergies"])
    body = client_for(practitioner).get(url).content.decode()
    assert "Record no known allergies" in body and "no-known-allergies</" not in body


# -- medicines ------------------------------------------------------------------------------


def test_a_misspelled_clopidogrel_is_recognised_and_alerts(org, practitioner, patient):
    client = client_for(practitioner)
    _add(client, patient, "medication", name="Clopidegrel 75mg")
    with acting_for(org):
        assert pm.Medication.objects.get().drug_classes == ["antiplatelet"]
    alerts = alerts_html(client.get(reverse("patient_detail", args=[patient.public_id])))
    assert "Antiplatelet: Clopidegrel 75mg" in alerts


def test_an_unknown_medicine_asks_for_review_on_the_chart_and_in_the_plan(
    org, practitioner, patient
):
    client = client_for(practitioner)
    _add(client, patient, "medication", name="Metformin")
    alerts = alerts_html(client.get(reverse("patient_detail", args=[patient.public_id])))
    assert "Medicine not recognised: Metformin (practitioner review)" in alerts
    with acting_for(org):
        evaluation = plans.evaluate(patient, {"items": [{"concern": "pain", "area": "back"}]})
    (warning,) = [
        w for w in evaluation.result["warnings"] if w["code"] == "MEDICATION_UNRECOGNISED"
    ]
    assert warning["message"] == "Medicine “Metformin” not recognised: practitioner review."


def test_an_nsaid_alerts_as_a_bleeding_risk(practitioner, patient):
    client = client_for(practitioner)
    _add(client, patient, "medication", name="Nurofen")
    alerts = alerts_html(client.get(reverse("patient_detail", args=[patient.public_id])))
    assert "NSAID: Nurofen" in alerts


# -- records from before coding existed -----------------------------------------------------


def test_the_migration_codes_allergies_and_medicines_typed_before(org, practitioner, patient):
    from importlib import import_module

    migration = import_module("mesoclinic.patients.migrations.0002_coded_allergies")
    rows = dict(
        patient=patient, created_by=practitioner, recorded_on="2026-01-01", organization=org
    )
    with acting_for(org):
        pm.Allergy.objects.bulk_create(
            [pm.Allergy(substance_text="EMLA", **rows), pm.Allergy(substance_text="Cats", **rows)]
        )
        pm.Medication.objects.bulk_create([pm.Medication(name="ibuprofin", **rows)])
    migration.code_existing_history(apps, None)
    with acting_for(org):
        emla, cats = pm.Allergy.objects.order_by("pk")
        med = pm.Medication.objects.get()
    assert emla.coding == "recognised" and emla.coded == ["amide-local-anaesthetics"]
    assert cats.coding == "needs_coding"
    assert med.drug_classes == ["nsaid"]


def test_a_plan_never_silently_drops_an_allergy(org, practitioner, patient):
    """Every active allergy reaches the engine: coded slugs or the text to be coded."""
    record_allergy(org, patient, practitioner, "Xylocaine")
    record_allergy(org, patient, practitioner, "Penicillin")
    record_allergy(org, patient, practitioner, substance="prp")
    with acting_for(org):
        plan = Plan(patient=patient)
        profile = plans.profile_for(plan.patient, plans.chart_for(patient))
    assert profile.allergies == {"amide-local-anaesthetics", "prp"}
    assert profile.unresolved_allergies == ("Penicillin",)


def test_the_service_refuses_to_set_aside_an_allergy_already_decided(org, practitioner, patient):
    """Two practitioners coding at once: the second finds it decided, under the row lock."""
    from mesoclinic.patients import services

    allergy = record_allergy(org, patient, practitioner, "Xylocaine")
    with acting_for(org), pytest.raises(services.AllergyAlreadyDecided):
        services.set_allergy_aside(practitioner, patient, allergy, "patient insists")


def test_the_alert_bar_never_says_no_alerts_when_it_was_given_none():
    from django.template.loader import render_to_string

    html = render_to_string("patients/_alerts.html", {})
    assert "No alerts recorded" not in html and "not loaded" in html
    assert "No alerts recorded" in render_to_string("patients/_alerts.html", {"alerts": []})


def test_a_no_known_allergies_answer_entered_in_error_is_voided_like_any_entry(
    org, practitioner, patient
):
    answer = record_no_known_allergies(org, patient, practitioner)
    client = client_for(practitioner)
    url = reverse("patient_detail", args=[patient.public_id])
    void = reverse("entry_void", args=[patient.public_id, "no-known-allergies", answer.public_id])
    assert void in client.get(url).content.decode()
    assert client.post(void, {"reason": "Asked the wrong patient"}).status_code == 302
    assert "Allergy history not taken" in alerts_html(client.get(url))
