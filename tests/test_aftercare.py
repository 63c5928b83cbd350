"""The treatment day's aftercare: tailored to the patient today, with the clinic's contact
details and out-of-hours advice on every sheet, page and email (clinical-reference §7)."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from mesoclinic.accounts.models import DEFAULT_OUT_OF_HOURS, Organization
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Plan
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import Lot, TreatmentSession
from tests.factories import client_for, consent_to, run_worker, take_baseline_photos

IBUPROFEN = "Ibuprofen may be used for swelling."
ASK = "Ask your doctor or pharmacist which pain relief is safe for you."
LIDOCAINE = "too much numbing medicine (lidocaine)"
OUT_OF_HOURS = "Out of hours, call the on-call doctor on +44 20 7946 0999."


@pytest.fixture
def consented_plan(org, practitioner, patient):
    return _consented(org, practitioner, patient, {"concern": "localized-fat", "area": "submental"})


def _consented(org, practitioner, patient, item) -> Plan:
    return consent_to(org, practitioner, patient, [item])


@pytest.fixture
def lot(org, site, practitioner):
    return _lot(org, site, practitioner, "deoxycholic-10mg-2ml")


def _lot(org, site, practitioner, product):
    with acting_for(org):
        return Lot.objects.create(
            site=site,
            product=product,
            lot_number=f"{product[:3].upper()}-001",
            received_by=practitioner,
            expires_on=date.today() + timedelta(days=200),
            received_on=date.today() - timedelta(days=3),
            vials_received=10,
        )


SUBMENTAL = {
    "area": "submental",
    "technique": "hypodermic",
    "volume_ml": "3",
    "injections": "15",
    "depth_mm": "6",
    "needle_length_mm": "13",
    "needle_angle_deg": "90",
}


def _signed_session(
    org, site, practitioner, plan, lot, numbing="", pregnancy="no", chart=SUBMENTAL
) -> TreatmentSession:
    client = client_for(practitioner)
    client.post(
        reverse("session_start", args=[plan.public_id]),
        {
            "pregnancy": pregnancy,
            "weight_kg": "64",
            "numbing_product": numbing,
            "numbing_amount_g": "5" if numbing else "",
            "site": site.pk,
        },
    )
    with acting_for(org):
        session = TreatmentSession.objects.get()
    charted = client.post(
        reverse("session_chart", args=[session.public_id]),
        {**chart, "lot": str(lot.public_id), "lock_version": session.lock_version},
    )
    assert charted.status_code == 200, charted.content.decode()[-2000:]
    take_baseline_photos(org, practitioner, session)
    assert client.post(reverse("session_sign", args=[session.public_id])).status_code == 302
    with acting_for(org):
        return TreatmentSession.objects.select_related("plan_version").get()


def _history(org, patient, model, **fields):
    with acting_for(org):
        model.objects.create(
            patient=patient, recorded_on=date.today(), created_by=patient.created_by, **fields
        )


@pytest.fixture
def clinic_contact(org, site):
    site.address = "12 Harley Street\nLondon W1G 9PF"
    site.phone = "+44 20 7946 0000"
    site.save()
    org.out_of_hours = OUT_OF_HOURS
    org.save()


# --- tailored on the day -------------------------------------------------------------


def test_a_blood_thinner_started_after_the_plan_changes_the_signed_sheet(
    org, site, practitioner, patient, consented_plan, lot
):
    _history(org, patient, pm.Medication, name="Xarelto 20 mg")
    session = _signed_session(org, site, practitioner, consented_plan, lot)
    assert IBUPROFEN in session.plan_version.result["aftercare"]  # the plan did not know
    assert IBUPROFEN not in session.aftercare and ASK in session.aftercare


def test_renal_failure_recorded_after_the_plan_replaces_the_water_line(
    org, site, practitioner, patient, consented_plan, lot
):
    _history(org, patient, pm.Condition, condition="renal-failure")
    session = _signed_session(org, site, practitioner, consented_plan, lot)
    assert session.aftercare[0] == "Drink as your doctor has advised."
    assert "80 oz" not in " ".join(session.aftercare)
    assert IBUPROFEN not in session.aftercare


def test_breastfeeding_declared_at_the_pre_check_changes_the_sheet(
    org, site, practitioner, patient
):
    item = {"concern": "skin-rejuvenation", "area": "cheeks", "protocol": "skin-booster-ha"}
    plan = _consented(org, practitioner, patient, item)
    lot = _lot(org, site, practitioner, "ha-noncrosslinked-2ml")
    chart = {"area": "cheeks", "side": "right", "technique": "point-by-point",
             "volume_ml": "1", "injections": "5", "depth_mm": "4"}  # fmt: skip
    session = _signed_session(
        org, site, practitioner, plan, lot, pregnancy="breastfeeding", chart=chart
    )
    assert IBUPROFEN in session.plan_version.result["aftercare"]
    assert IBUPROFEN not in session.aftercare and ASK in session.aftercare
    assert any(line.startswith("Blanching (white skin)") for line in session.aftercare)


def test_what_was_charted_writes_the_sheet(org, site, practitioner, consented_plan, lot):
    session = _signed_session(org, site, practitioner, consented_plan, lot)
    text = " ".join(session.aftercare)
    assert "Swelling (87% in the label)" in text  # deoxycholic acid under the chin
    assert "Follow-up check 14 days after each submental" in text  # the plan's protocol
    assert "late infection" in text
    assert LIDOCAINE not in text
    assert "Seek care at once" not in text  # the sheet ends with it, emphasised, once


def test_a_lidocaine_numbing_cream_adds_the_toxicity_signs(
    org, site, practitioner, consented_plan, lot
):
    session = _signed_session(org, site, practitioner, consented_plan, lot, numbing="emla-cream-5g")
    assert any(LIDOCAINE in line for line in session.aftercare)


# --- contact details on every sheet, page and email ----------------------------------


def test_the_email_gives_the_phone_address_and_out_of_hours_advice(
    org, site, practitioner, consented_plan, lot, clinic_contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _signed_session(org, site, practitioner, consented_plan, lot)
    run_worker()
    [message] = mail.outbox
    for text in ("+44 20 7946 0000", "12 Harley Street", "London W1G 9PF", OUT_OF_HOURS):
        assert text in message.body
    assert message.body.count("Seek care at once for intense pain") == 1
    assert "Drink about 80 oz" in message.body


def test_the_page_and_the_pdf_give_the_contact_and_each_lines_source(
    org, site, practitioner, consented_plan, lot, clinic_contact
):
    session = _signed_session(org, site, practitioner, consented_plan, lot)
    client = client_for(practitioner)
    page = client.get(reverse("session_aftercare", args=[session.public_id])).content.decode()
    for text in ("+44 20 7946 0000", "12 Harley Street", OUT_OF_HOURS, "Test Clinic"):
        assert text in page
    assert page.count('<details class="source-note"><summary>Source</summary>') == len(
        session.aftercare
    )
    assert "the mesotherapy overview, aftercare (base sheet" in page  # one tap away
    outside_sources = re.sub(r"<details.*?</details>", "", page, flags=re.S)
    for code in ("submental-deoxycholic", "kybella-adverse-events", "seed 000", "§"):
        assert code not in outside_sources
    pdf = client.get(reverse("session_aftercare_pdf", args=[session.public_id]))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = " ".join(text.split())
    assert "+44 20 7946 0000" in flat and OUT_OF_HOURS in flat
    assert "Where this advice comes from" in flat


def test_the_default_out_of_hours_advice_is_jurisdiction_neutral(org):
    assert DEFAULT_OUT_OF_HOURS == (
        "Out of hours, or if the clinic cannot be reached, call your local emergency number."
    )
    assert Organization.objects.create(name="New").out_of_hours == DEFAULT_OUT_OF_HOURS


def test_the_owner_sets_the_out_of_hours_advice_in_clinic_settings(org, owner):
    url = reverse("clinic_settings")
    form = {"name": org.name, "currency": "USD", "tax_rate": "0"}
    client = client_for(owner)
    assert "Out-of-hours instruction for patients" in client.get(url).content.decode()
    assert client.post(url, {**form, "out_of_hours": f"  {OUT_OF_HOURS}\n"}).status_code == 302
    org.refresh_from_db()
    assert org.out_of_hours == OUT_OF_HOURS
    client.post(url, {**form, "out_of_hours": "   "})  # left empty: kept
    org.refresh_from_db()
    assert org.out_of_hours == OUT_OF_HOURS


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_edits_the_out_of_hours_advice(org, personas, role):
    url = reverse("clinic_settings")
    response = client_for(personas[role]).post(
        url, {"name": org.name, "currency": "USD", "tax_rate": "0", "out_of_hours": "Call me"}
    )
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.out_of_hours == DEFAULT_OUT_OF_HOURS


@pytest.mark.parametrize(
    "role,expected",
    [
        ("owner", 200),
        ("practitioner", 200),
        ("esthetician", 200),
        ("reception", 403),
        ("outsider", 404),
    ],
)
def test_aftercare_page_and_pdf_by_role(
    personas, org, site, practitioner, consented_plan, lot, role, expected
):
    session = _signed_session(org, site, practitioner, consented_plan, lot)
    client = client_for(personas[role])
    for name in ("session_aftercare", "session_aftercare_pdf"):
        response = client.get(reverse(name, args=[session.public_id]))
        assert response.status_code == expected, name
        if expected != 200:
            assert b"Drink about 80 oz" not in response.content


def test_signing_waits_when_the_history_cannot_be_read_by_the_rules(
    org, site, practitioner, patient, consented_plan, lot, monkeypatch
):
    from mesoclinic import rules
    from mesoclinic.treatments import aftercare

    def unreadable(*args, **kwargs):
        raise rules.RulesInputError("profile.allergies", "pollen", "unknown ingredient slug")

    monkeypatch.setattr(aftercare.rules, "aftercare_for", unreadable)
    client = client_for(practitioner)
    client.post(
        reverse("session_start", args=[consented_plan.public_id]),
        {"pregnancy": "no", "weight_kg": "64", "site": site.pk},
    )
    with acting_for(org):
        session = TreatmentSession.objects.get()
    client.post(
        reverse("session_chart", args=[session.public_id]),
        {**SUBMENTAL, "lot": str(lot.public_id), "lock_version": session.lock_version},
    )
    take_baseline_photos(org, practitioner, session)
    response = client.post(reverse("session_sign", args=[session.public_id]))
    assert response.status_code == 400
    assert "The aftercare sheet cannot be written" in response.content.decode()
    assert "“pollen”" in response.content.decode()
    with acting_for(org):
        assert not TreatmentSession.objects.get().is_signed
