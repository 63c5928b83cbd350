"""Photo consent (issue 15): per purpose, revocable, required to take a photo, and the
only door through which photos leave the clinic (the owner's export)."""

import csv
import io
import uuid
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos import consent, export, services
from mesoclinic.photos.models import PhotoConsent
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, give_photo_consent
from tests.test_photos import add, small_jpeg

CLINICAL = ("owner", "practitioner", "esthetician")
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(patient):
    return reverse("patient_photos", args=[patient.public_id])


def give_url(patient, scope="clinical"):
    return reverse("photo_consent_give", args=[patient.public_id, scope])


def revoke_url(given):
    return reverse("photo_consent_revoke", args=[given.public_id])


def give_data(scope="clinical", how="paper", note="", key=None):
    return {
        f"{scope}-how": how,
        f"{scope}-note": note,
        f"{scope}-submission_key": str(key or uuid.uuid4()),
    }


def consents(org, patient):
    with acting_for(org):
        return list(PhotoConsent.all_orgs.filter(patient=patient).order_by("id"))


def events(org, **filters):
    with acting_for(org):
        return AuditEvent.objects.filter(organization=org, **filters).exclude(action="login")


def zip_of(org, owner, purpose, view=""):
    with acting_for(org):
        data, _ = export.archive(owner, purpose, view)
    return zipfile.ZipFile(io.BytesIO(data))


# --- taking a photo needs the clinical-record consent --------------------------------


def test_no_photo_is_taken_without_consent_to_clinical_photos(org, practitioner, patient):
    with pytest.raises(services.PhotoRefused, match="consent to clinical photos first"):
        add(org, practitioner, patient)


def test_teaching_consent_alone_does_not_allow_a_photo(org, practitioner, patient):
    give_photo_consent(org, practitioner, patient, scope="teaching")
    with pytest.raises(services.PhotoRefused, match="consent to clinical photos first"):
        add(org, practitioner, patient)


def test_a_revoked_clinical_consent_stops_new_photos(org, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient)
    add(org, practitioner, patient)
    with acting_for(org):
        consent.revoke(practitioner, given, "Patient no longer wants photos")
    with pytest.raises(services.PhotoRefused, match="consent to clinical photos first"):
        add(org, practitioner, patient)


def test_the_page_says_so_before_a_file_is_picked(org, practitioner, patient):
    body = client_for(practitioner).get(page(patient)).content.decode()
    assert "Record the patient's consent to clinical photos first." in body
    assert 'name="photo"' not in body  # no upload form to fill in vain
    give_photo_consent(org, practitioner, patient)
    body = client_for(practitioner).get(page(patient)).content.decode()
    assert "consent to clinical photos first" not in body
    assert 'name="photo"' in body


# --- recording and revoking, on the page ---------------------------------------------


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_record_a_consent_with_one_audit_event(org, personas, role, patient):
    before = events(org).count()
    response = client_for(personas[role]).post(give_url(patient, "teaching"), give_data("teaching"))
    assert response.status_code == 302
    [given] = consents(org, patient)
    assert (given.scope, given.how, given.recorded_by) == ("teaching", "paper", personas[role])
    assert events(org).count() == before + 1
    body = client_for(personas[role]).get(page(patient)).content.decode()
    assert "Given " in body and "(signed paper form), recorded by" in body


def test_reception_neither_sees_nor_records_photo_consent(reception, practitioner, org, patient):
    client = client_for(reception)
    assert client.get(page(patient)).status_code == 403
    assert client.post(give_url(patient), give_data()).status_code == 403
    given = give_photo_consent(org, practitioner, patient)
    assert client.post(revoke_url(given), {"clinical-reason": "asked"}).status_code == 403
    assert [c.is_voided for c in consents(org, patient)] == [False]
    with acting_for(org), pytest.raises(PermissionDenied):
        consent.give(reception, patient, "teaching", how="paper", submission_key=uuid.uuid4())


def test_an_outsider_gets_a_404_and_changes_nothing(org, practitioner, outsider, patient):
    given = give_photo_consent(org, practitioner, patient)
    client = client_for(outsider)
    assert client.post(give_url(patient, "teaching"), give_data("teaching")).status_code == 404
    assert client.post(revoke_url(given), {"clinical-reason": "not mine"}).status_code == 404
    assert [(c.scope, c.is_voided) for c in consents(org, patient)] == [("clinical", False)]


def test_an_unknown_purpose_is_a_404(practitioner, patient):
    url = f"/photos/for/{patient.public_id}/consent/research/"
    assert client_for(practitioner).post(url, give_data("research")).status_code == 404


def test_a_double_submit_records_one_consent(org, practitioner, patient):
    client = client_for(practitioner)
    data = give_data(key=uuid.uuid4())
    client.post(give_url(patient), data)
    second = client.post(give_url(patient), data)
    assert second.status_code == 302
    assert len(consents(org, patient)) == 1


def test_a_consent_already_in_force_is_refused_in_the_panel(org, practitioner, patient):
    give_photo_consent(org, practitioner, patient, scope="marketing")
    # A second tablet still showing the form posts it again with a fresh key.
    response = client_for(practitioner).post(
        give_url(patient, "marketing"), give_data("marketing"), **HTMX
    )
    assert response.status_code == 400
    assert "already recorded; revoke it first" in response.content.decode()
    assert len(consents(org, patient)) == 1


def test_a_bad_choice_comes_back_into_the_panel_with_what_was_typed(org, practitioner, patient):
    data = give_data("teaching", how="telepathy", note="Form ref T-17")
    response = client_for(practitioner).post(give_url(patient, "teaching"), data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="photo-consent"' in body and "<html" not in body  # the panel, not a page
    assert "Select a valid choice" in body
    assert 'value="Form ref T-17"' in body
    assert consents(org, patient) == []


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_revoke_with_a_reason(org, personas, role, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient, scope="teaching")
    before = events(org, action="void").count()
    response = client_for(personas[role]).post(
        revoke_url(given), {"teaching-reason": "Changed her mind"}, **HTMX
    )
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    [revoked] = consents(org, patient)
    assert revoked.voided_by == personas[role] and revoked.void_reason == "Changed her mind"
    assert events(org, action="void").count() == before + 1
    body = client_for(personas[role]).get(page(patient)).content.decode()
    assert "Revoked " in body and "Changed her mind" in body


def test_a_revocation_without_a_reason_is_refused_next_to_the_field(org, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient, scope="teaching")
    response = client_for(practitioner).post(revoke_url(given), {"teaching-reason": "no"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_teaching-reason_error"' in body and 'value="no"' in body
    assert not consents(org, patient)[0].is_voided


def test_revoking_twice_changes_nothing(org, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient)
    with acting_for(org):
        assert consent.revoke(practitioner, given, "Asked to stop") is True
        first = PhotoConsent.objects.get(pk=given.pk).voided_at
        assert consent.revoke(practitioner, given, "Again") is False
        assert PhotoConsent.objects.get(pk=given.pk).voided_at == first
        assert PhotoConsent.objects.get(pk=given.pk).void_reason == "Asked to stop"


def test_a_revoked_consent_may_be_given_again(org, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient)
    with acting_for(org):
        consent.revoke(practitioner, given, "Asked to stop")
    give_photo_consent(org, practitioner, patient)
    assert [c.is_voided for c in consents(org, patient)] == [True, False]


def test_consent_cannot_be_dated_in_the_future(org, practitioner, patient):
    import datetime as dt

    from django.utils import timezone

    with acting_for(org), pytest.raises(consent.ConsentRefused, match="future"):
        consent.give(
            practitioner,
            patient,
            "clinical",
            how="paper",
            submission_key=uuid.uuid4(),
            given_at=timezone.now() + dt.timedelta(days=1),
        )


# --- the database keeps consents as signed records ------------------------------------


def test_the_database_refuses_editing_or_deleting_a_consent(org, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient)
    with acting_for(org):
        for change in ({"scope": "marketing"}, {"how": "verbal"}, {"given_at": given.created_at}):
            with pytest.raises(Exception, match="signed records"), transaction.atomic():
                PhotoConsent.objects.filter(pk=given.pk).update(**change)
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            PhotoConsent.objects.filter(pk=given.pk).delete()
        consent.revoke(practitioner, given, "Asked to stop")
        with pytest.raises(Exception, match="signed records"), transaction.atomic():
            PhotoConsent.objects.filter(pk=given.pk).update(void_reason="rewritten")
    assert consents(org, patient)[0].void_reason == "Asked to stop"


def test_the_database_refuses_a_second_live_consent_of_a_purpose(org, practitioner, patient):
    given = give_photo_consent(org, practitioner, patient)
    with acting_for(org), pytest.raises(IntegrityError), transaction.atomic():
        PhotoConsent.objects.create(
            patient=patient,
            scope="clinical",
            how="verbal",
            given_at=given.given_at,
            recorded_by=practitioner,
            submission_key=uuid.uuid4(),
        )


def test_the_consent_triggers_exist_on_this_database(db):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            expected = {"photo_consent_no_update", "photo_consent_no_delete"}
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            expected = {"photo_consent_immutable"}
        assert expected <= {row[0] for row in cursor.fetchall()}


# --- exports honour the consent -------------------------------------------------------


@pytest.fixture
def two_patients(org, practitioner, patient, make_patient):
    """Anna consented to clinical photos and teaching; Berta to clinical photos only."""
    berta = make_patient(first_name="Berta", last_name="Lindqvist")
    for who in (patient, berta):
        give_photo_consent(org, practitioner, who)
    give_photo_consent(org, practitioner, patient, scope="teaching")
    anna_photos = [add(org, practitioner, patient), add(org, practitioner, patient)]
    berta_photos = [add(org, practitioner, berta, view="face-45-left")]
    return patient, berta, anna_photos, berta_photos


def test_a_clinical_only_photo_never_leaves_in_a_teaching_or_marketing_export(
    org, owner, two_patients
):
    anna, berta, anna_photos, berta_photos = two_patients
    zipped = zip_of(org, owner, "teaching")
    names = sorted(zipped.namelist())
    assert names == [
        "teaching/0001-face-front-" + f"{anna_photos[0].taken_at:%Y-%m}.jpg",
        "teaching/0002-face-front-" + f"{anna_photos[1].taken_at:%Y-%m}.jpg",
        "teaching/manifest.csv",
    ]
    assert zipped.read(names[0])[:2] == b"\xff\xd8"  # the decrypted screen image
    manifest = zipped.read("teaching/manifest.csv").decode()
    for identifying in (anna.first_name, anna.last_name, berta.first_name, "1985"):
        assert identifying not in manifest
    rows = list(csv.DictReader(io.StringIO(manifest)))
    assert {r["patient"] for r in rows} == {"Patient 1"} and rows[0]["view"] == "Face, front"
    with acting_for(org), pytest.raises(export.ExportRefused, match="no patient consented"):
        export.archive(owner, "marketing")


def test_a_revoked_consent_leaves_the_next_export_at_once(org, owner, practitioner, two_patients):
    anna, *_ = two_patients
    with acting_for(org):
        teaching = PhotoConsent.objects.get(patient=anna, scope="teaching")
        consent.revoke(practitioner, teaching, "Does not want to be shown")
        with pytest.raises(export.ExportRefused, match="no patient consented"):
            export.archive(owner, "teaching")


def test_the_export_is_one_audit_event_naming_every_photo(org, owner, two_patients):
    _, _, anna_photos, _ = two_patients
    before = events(org, action="export").count()
    zip_of(org, owner, "teaching")
    [event] = events(org, action="export").order_by("-id")[:1]
    assert events(org, action="export").count() == before + 1
    assert sorted(event.fields) == sorted(str(p.public_id) for p in anna_photos)
    assert event.detail == "teaching export: 2 photos of 1 patients"


def test_the_export_page_counts_what_is_left_out_and_downloads_the_zip(org, owner, two_patients):
    client = client_for(owner)
    body = client.get(reverse("photo_export"), {"purpose": "teaching"}).content.decode()
    assert "2 photos</strong> of 1 patient included" in body
    assert "1 photo left out: the patient has not consented to teaching" in body
    response = client.post(reverse("photo_export"), {"purpose": "teaching", "view": ""})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="photos-teaching-')
    assert "no-store" in response["Cache-Control"]
    assert len(zipfile.ZipFile(io.BytesIO(response.content)).namelist()) == 3
    by_view = client.get(reverse("photo_export"), {"purpose": "teaching", "view": "face-45-left"})
    assert "0 photos</strong>" in by_view.content.decode()


def test_the_export_refuses_a_purpose_or_view_not_on_the_list(owner, two_patients):
    client = client_for(owner)
    response = client.get(reverse("photo_export"), {"purpose": "clinical"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post(reverse("photo_export"), {"purpose": "teaching", "view": "x; drop"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_only_the_owner_exports_photos(org, personas, role, two_patients):
    client = client_for(personas[role])
    assert client.get(reverse("photo_export")).status_code == 403
    assert client.post(reverse("photo_export"), {"purpose": "teaching"}).status_code == 403
    with acting_for(org), pytest.raises(PermissionDenied):
        export.archive(personas[role], "teaching")
    assert events(org, action="export").count() == 0


def test_another_clinic_s_owner_exports_none_of_these_photos(org, outsider, two_patients):
    client = client_for(outsider)
    body = client.get(reverse("photo_export"), {"purpose": "teaching"}).content.decode()
    assert "0 photos</strong> of 0 patients included" in body
    assert client.post(reverse("photo_export"), {"purpose": "teaching"}).status_code == 400


def test_the_export_link_is_for_the_owner_only(personas, patient):
    for role in CLINICAL:
        body = client_for(personas[role]).get(page(patient)).content.decode()
        assert (reverse("photo_export") in body) == (role == "owner")


# --- bounded pages --------------------------------------------------------------------


def _grow(org, practitioner, make_patient, n):
    for i in range(n):
        other = make_patient(first_name=f"P{i}", email=f"p{i}@example.com")
        for scope in ("clinical", "teaching"):
            give_photo_consent(org, practitioner, other, scope=scope)
        add(org, practitioner, other, small_jpeg())


@pytest.mark.parametrize("grow", [1, 8])
def test_the_photos_page_with_its_panel_runs_bounded_queries(
    org, practitioner, patient, make_patient, grow, django_assert_max_num_queries
):
    for scope in ("clinical", "teaching", "marketing"):
        given = give_photo_consent(org, practitioner, patient, scope=scope)
    with acting_for(org):
        consent.revoke(practitioner, given, "Asked to stop")
    for _ in range(grow):
        add(org, practitioner, patient)
    client = client_for(practitioner)
    client.get(page(patient))
    with django_assert_max_num_queries(7):
        assert client.get(page(patient)).status_code == 200


@pytest.mark.parametrize("grow", [1, 8])
def test_the_export_page_runs_bounded_queries(
    org, owner, practitioner, make_patient, grow, django_assert_max_num_queries
):
    _grow(org, practitioner, make_patient, grow)
    client = client_for(owner)
    client.get(reverse("photo_export"))  # the session and user, loaded once
    # The session, the user, the live consents, the photos.
    with django_assert_max_num_queries(5):
        body = client.get(reverse("photo_export"), {"purpose": "teaching"}).content.decode()
    assert f"{grow} photo" in body


def test_the_services_refuse_what_the_forms_would_have(org, owner, practitioner, two_patients):
    anna, *_ = two_patients
    with acting_for(org):
        teaching = PhotoConsent.objects.get(patient=anna, scope="teaching")
        with pytest.raises(consent.ConsentRefused, match="Give the reason"):
            consent.revoke(practitioner, teaching, "  ")
        # The clinical-record consent is no consent to take photos out of the clinic.
        with pytest.raises(export.ExportRefused, match="teaching or marketing"):
            export.archive(owner, "clinical")
        with pytest.raises(export.ExportRefused, match="view from the list"):
            export.select(owner, "teaching", "thighs-outer")
        with pytest.raises(consent.ConsentRefused, match="what the patient consents to"):
            consent.give(practitioner, anna, "research", how="paper", submission_key=uuid.uuid4())
        with pytest.raises(consent.ConsentRefused, match="how the patient gave consent"):
            consent.give(
                practitioner, anna, "marketing", how="telepathy", submission_key=uuid.uuid4()
            )
    assert not consents(org, anna)[1].is_voided


def test_a_racing_second_submission_is_recognised_on_this_database(org, practitioner, patient):
    """Two requests past the first look-up at once: the unique key refuses the second,
    and the service must know it for a double submit (PostgreSQL names the constraint,
    SQLite the column), not a failure."""
    from mesoclinic.integrity import second_submission

    given = give_photo_consent(org, practitioner, patient)
    with acting_for(org), pytest.raises(IntegrityError) as caught, transaction.atomic():
        PhotoConsent.objects.create(
            patient=patient,
            scope="teaching",
            how="paper",
            given_at=given.given_at,
            recorded_by=practitioner,
            submission_key=given.submission_key,
        )
    assert second_submission(caught.value, "photos_photoconsent")
    assert not second_submission(caught.value, "photos_photo")
