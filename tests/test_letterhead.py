"""The clinic's letterhead: the owner sets it on the clinic settings page, and the
consent and aftercare PDFs (and invoices) print it at the top."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from mesoclinic.accounts import letterhead
from mesoclinic.accounts.models import Organization
from mesoclinic.plans import consent_document
from mesoclinic.plans.models import Consent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import aftercare_document
from mesoclinic.treatments.models import SessionStatus
from tests.factories import client_for, make_lot, session_in_status

SETTINGS = {
    "name": "Test Clinic",
    "currency": "USD",
    "tax_rate": "20",
    "legal_name": "Test Clinic Medical Ltd",
    "postal_address": "12 Harley Street\nLondon W1G 9PF",
    "tax_number": "GB 123 4567 89",
}


@pytest.fixture(autouse=True)
def _letterheads_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "letterheads": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "letterheads")},
        },
    }


def _png(size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 80, 160)).save(out, "PNG")
    return out.getvalue()


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _save(client, **changes):
    return client.post(reverse("clinic_settings"), {**SETTINGS, **changes})


def test_the_owner_sets_the_letterhead_and_the_tax_rule(org, owner):
    response = _save(client_for(owner), prices_include_tax="on")
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.legal_name == "Test Clinic Medical Ltd"
    assert org.postal_address.splitlines() == ["12 Harley Street", "London W1G 9PF"]
    assert org.tax_number == "GB 123 4567 89"
    assert org.prices_include_tax is True


def test_a_logo_is_kept_under_the_data_dir_and_shown_on_the_settings_page(org, owner, tmp_path):
    client = client_for(owner)
    logo = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    assert _save(client, logo_file=logo).status_code == 302
    org.refresh_from_db()
    assert org.logo and (tmp_path / "letterheads" / org.logo).read_bytes() == _png()
    page = client.get(reverse("clinic_settings")).content.decode()
    assert 'src="data:image/png;base64,' in page


def test_the_owner_removes_the_logo(org, owner, tmp_path):
    client = client_for(owner)
    _save(client, logo_file=SimpleUploadedFile("logo.png", _png()))
    org.refresh_from_db()
    stored = tmp_path / "letterheads" / org.logo
    assert _save(client, remove_logo="on").status_code == 302
    org.refresh_from_db()
    assert org.logo == "" and not stored.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "Choose a PNG or JPEG image."),
        (b"GIF89a" + bytes(40), "Choose a PNG or JPEG image."),
        (_png()[:60], "Choose a PNG or JPEG image."),
        (bytes(letterhead.MAX_LOGO_BYTES + 10), "larger than 512 KB"),
        (_png((2100, 10)), "larger than 2000 pixels"),
    ],
)
def test_a_file_that_is_not_a_small_png_or_jpeg_is_refused_and_nothing_typed_is_lost(
    org, owner, content, message
):
    upload = SimpleUploadedFile("logo.png", content, content_type="image/png")
    response = _save(client_for(owner), logo_file=upload, tax_number="GB 999")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'value="GB 999"' in html and "12 Harley Street" in html
    org.refresh_from_db()
    assert org.logo == "" and org.tax_number == ""


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_edits_the_letterhead(personas, org, role):
    response = _save(client_for(personas[role]))
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.legal_name == ""


def _with_letterhead(org: Organization) -> None:
    Organization.objects.filter(pk=org.pk).update(
        legal_name=SETTINGS["legal_name"],
        postal_address=SETTINGS["postal_address"],
        tax_number=SETTINGS["tax_number"],
    )
    org.refresh_from_db()
    letterhead.store_logo(org, _png())


def test_the_consent_pdf_prints_the_letterhead(org, practitioner, consented_plan):
    _with_letterhead(org)
    with acting_for(org):
        consent = Consent.objects.get(plan=consented_plan)
        text = _pdf_text(consent_document.pdf(consent, org))
    assert "Test Clinic Medical Ltd" in text
    assert "12 Harley Street London W1G 9PF" in text
    assert "Tax number GB 123 4567 89" in text


def test_the_aftercare_pdf_prints_the_letterhead(org, site, practitioner, patient):
    _with_letterhead(org)
    lot = make_lot(org, site, practitioner)
    session = session_in_status(org, patient, site, practitioner, lot, SessionStatus.SIGNED)
    with acting_for(org):
        data = aftercare_document.pdf(session)
    text = _pdf_text(data)
    assert "Test Clinic Medical Ltd" in text and "Tax number GB 123 4567 89" in text
    # The logo is embedded, never fetched.
    assert PdfReader(io.BytesIO(data)).pages[0].images


def test_without_a_letterhead_the_documents_print_the_clinic_name(org, site, practitioner, patient):
    lot = make_lot(org, site, practitioner)
    session = session_in_status(org, patient, site, practitioner, lot, SessionStatus.SIGNED)
    with acting_for(org):
        text = _pdf_text(aftercare_document.pdf(session))
    assert "Test Clinic" in text and "Tax number" not in text
