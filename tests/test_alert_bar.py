"""The patient's alert bar on the treatment day: at the top of session start and charting.

It shows allergies (and what they were recognised as), allergies still to code,
bleeding-risk and unrecognised medicines, pregnancy, age under 18 and active skin
infection; "No alerts recorded" only once someone asked about allergies.
"""

from datetime import date

import pytest
from django.urls import reverse

from mesoclinic.patients import models as pm
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionArea, TreatmentSession
from tests.factories import (
    alerts_html,
    client_for,
    count_queries,
    grow_history,
    only_session,
    post_chart,
    post_start,
    receive_lot,
    record_allergy,
    record_no_known_allergies,
)


def test_amide_free_text_stops_charting_lidocaine(org, site, practitioner, patient, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    record_allergy(org, patient, practitioner, "Xylocaine (anaphylaxis)")
    lidocaine = receive_lot(org, site, practitioner, "LID-1", product="lidocaine-1pct-5ml")
    response = post_chart(client, only_session(org), lidocaine, volume_ml="1", injections="5")
    assert response.status_code == 400
    assert "Known allergy to amide local anaesthetics" in response.content.decode()
    with acting_for(org):
        assert not SessionArea.objects.exists()


@pytest.fixture
def xylocaine_on_warfarin(org, practitioner, patient):
    record_allergy(org, patient, practitioner, "Xylocaine (anaphylaxis)", severity="anaphylaxis")
    with acting_for(org):
        pm.Medication.objects.create(
            patient=patient, name="Warfarin", recorded_on=date(2026, 11, 1), created_by=practitioner
        )
    return patient


def test_session_start_shows_the_amide_allergy_and_the_anticoagulant(
    practitioner, consented_plan, xylocaine_on_warfarin
):
    page = client_for(practitioner).get(reverse("session_start", args=[consented_plan.public_id]))
    alerts = alerts_html(page)
    assert "alerts-sticky" in alerts
    assert "Allergy: Xylocaine (anaphylaxis): amide local anaesthetics" in alerts
    assert "Anticoagulant: Warfarin" in alerts
    assert "No alerts recorded" not in alerts
    body = page.content.decode()
    assert body.index('id="alerts"') < body.index("<h1")  # at the top


def test_session_start_says_no_alerts_only_when_allergies_were_asked(
    org, practitioner, patient, consented_plan
):
    client = client_for(practitioner)
    url = reverse("session_start", args=[consented_plan.public_id])
    alerts = alerts_html(client.get(url))
    assert "Allergy history not taken" in alerts and "No alerts recorded" not in alerts
    record_no_known_allergies(org, patient, practitioner)
    assert "No alerts recorded" in alerts_html(client.get(url))


def test_treating_without_a_plan_shows_the_alerts_too(practitioner, xylocaine_on_warfarin):
    url = reverse("session_start_adhoc", args=[xylocaine_on_warfarin.public_id])
    alerts = alerts_html(client_for(practitioner).get(url))
    assert "amide local anaesthetics" in alerts and "Anticoagulant: Warfarin" in alerts


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", 200),
        ("practitioner", 200),
        ("esthetician", 200),
        ("reception", 403),
        ("outsider", 404),
    ],
)
def test_session_start_page_by_role(
    personas, consented_plan, xylocaine_on_warfarin, role, expected
):
    page = client_for(personas[role]).get(reverse("session_start", args=[consented_plan.public_id]))
    assert page.status_code == expected
    if expected == 200:
        assert "Anticoagulant: Warfarin" in alerts_html(page)
    else:
        assert "Warfarin" not in page.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", 200),
        ("practitioner", 200),
        ("esthetician", 403),
        ("reception", 403),
        ("outsider", 404),
    ],
)
def test_session_start_without_a_plan_by_role(personas, xylocaine_on_warfarin, role, expected):
    url = reverse("session_start_adhoc", args=[xylocaine_on_warfarin.public_id])
    page = client_for(personas[role]).get(url)
    assert page.status_code == expected
    assert ("Anticoagulant: Warfarin" in page.content.decode()) is (expected == 200)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("owner", 200),
        ("practitioner", 200),
        ("esthetician", 200),
        ("reception", 403),
        ("outsider", 404),
    ],
)
def test_the_charting_page_keeps_the_alerts_in_view(
    org, site, personas, practitioner, consented_plan, xylocaine_on_warfarin, role, expected
):
    post_start(
        client_for(practitioner), consented_plan, site, numbing_product="", numbing_amount_g=""
    )
    session = only_session(org)
    page = client_for(personas[role]).get(reverse("session_detail", args=[session.public_id]))
    assert page.status_code == expected
    if expected == 200:
        alerts = alerts_html(page)
        assert "alerts-sticky" in alerts and "Anticoagulant: Warfarin" in alerts
        assert "amide local anaesthetics" in alerts


def test_an_uncoded_allergy_stops_the_session_from_starting(
    org, site, practitioner, patient, consented_plan
):
    record_allergy(org, patient, practitioner, "Penicillin")
    response = post_start(client_for(practitioner), consented_plan, site)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Allergy recorded as “Penicillin” could not be matched" in body
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_an_uncoded_allergy_stops_charting_in_a_session_already_started(
    org, site, practitioner, patient, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    record_allergy(org, patient, practitioner, "Bee venom")
    response = post_chart(client, only_session(org), receive_lot(org, site, practitioner))
    assert response.status_code == 400 and "could not be matched" in response.content.decode()


def test_under_18_is_an_alert(org, practitioner, make_patient):
    today = date.today()
    teen = make_patient(date_of_birth=date(today.year - 16, 1, 1), first_name="Teen")
    page = client_for(practitioner).get(reverse("patient_detail", args=[teen.public_id]))
    assert "Under 18: 16 years old" in alerts_html(page)


def test_session_start_queries_do_not_grow_with_history(org, practitioner, patient, consented_plan):
    client = client_for(practitioner)
    url = reverse("session_start", args=[consented_plan.public_id])
    client.get(url)
    before = count_queries(client, url)
    grow_history(org, patient, practitioner, 100)
    assert count_queries(client, url) == before


def test_an_allergy_text_that_names_its_severity_does_not_repeat_it(org, practitioner, patient):
    from mesoclinic.patients.services import alerts_for

    record_allergy(org, patient, practitioner, "Xylocaine (anaphylaxis)", severity="anaphylaxis")
    with acting_for(org):
        [alert] = [a for a in alerts_for(patient) if a.kind == "allergy"]
    assert alert.text.startswith("Allergy: Xylocaine (anaphylaxis): amide local anaesthetics")
    assert "(Anaphylaxis)" not in alert.text
