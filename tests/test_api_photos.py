"""The JSON API's photos: a patient's photo metadata and photo consents, and the image
bytes through the page's own check and audit (`photos.services.read_image`), decrypted
by the storage and never cached. Clinical roles with the clinical scope only: reception
and a token without it get 403, another clinic 404, a portal patient 404, nobody 401; a
voided photo's image is not found."""

import io
import uuid

import pytest
from django.test import Client
from PIL import Image

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos import services
from mesoclinic.photos.storage import photo_storage
from mesoclinic.tenancy import acting_for
from tests.factories import CLINICAL, client_for, give_photo_consent
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures


def take_photo(org, user, patient, view="face-front"):
    jpeg = io.BytesIO()
    Image.new("RGB", (160, 120), (200, 180, 170)).save(jpeg, format="JPEG")
    with acting_for(org):
        return services.add_photo(
            user, patient, io.BytesIO(jpeg.getvalue()), view=view, area="", side="",
            device="Clinic camera", submission_key=uuid.uuid4(),
        )  # fmt: skip


@pytest.fixture
def photo(org, practitioner, patient):
    give_photo_consent(org, practitioner, patient)
    return take_photo(org, practitioner, patient)


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_photos_and_consents(personas, role, photo, patient):
    client = client_for(personas[role])
    found = client.get(f"/api/v1/photos?patient={patient.public_id}").json()["results"]
    assert [(p["id"], p["view"], p["voided"]) for p in found] == [
        (str(photo.public_id), "face-front", False)
    ]
    assert found[0]["view_label"] and found[0]["session"] is None
    consents = client.get(f"/api/v1/photos/consents/{patient.public_id}").json()["results"]
    assert [(c["scope"], c["live"]) for c in consents] == [("clinical", True)]
    detail = client.get(f"/api/v1/photos/{photo.public_id}")
    assert detail.status_code == 200 and detail.json()["taken_by"] == "Dr Pia Prax"


def test_the_image_is_decrypted_never_cached_and_audited(org, practitioner, photo):
    response = client_for(practitioner).get(f"/api/v1/photos/{photo.public_id}/image?size=thumb")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "no-store"
    with acting_for(org):
        assert response.content == photo_storage().read(photo.thumb_name)
    assert response.content.startswith(b"\xff\xd8")  # a JPEG, as the storage decrypts it
    screen = client_for(practitioner).get(f"/api/v1/photos/{photo.public_id}/image")
    assert Image.open(io.BytesIO(screen.content)).format == "JPEG"
    with acting_for(org):
        events = AuditEvent.objects.filter(object_id=str(photo.public_id), action="view")
        assert sorted(e.detail for e in events) == ["image screen", "image thumb"]
    bad = client_for(practitioner).get(f"/api/v1/photos/{photo.public_id}/image?size=raw")
    assert bad.status_code == 422


def test_the_original_is_served_as_stored_to_clinical_staff_only(
    org, practitioner, reception, photo
):
    url = f"/api/v1/photos/{photo.public_id}/image?size=original"
    response = client_for(practitioner).get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == photo.mime
    with acting_for(org):
        assert response.content == photo_storage().read(photo.original_name)
        assert response.content != photo_storage().read(photo.screen_name)
        seen = AuditEvent.objects.filter(object_id=str(photo.public_id), action="view")
        assert [e.detail for e in seen] == ["image original"]
    refused = client_for(reception).get(url)
    assert refused.status_code == 403 and refused.content[:2] != b"\xff\xd8"


def test_a_voided_photos_image_is_not_found_but_its_record_stays(org, practitioner, patient, photo):
    with acting_for(org):
        services.void_photo(practitioner, photo, "Wrong patient")
    client = client_for(practitioner)
    image = client.get(f"/api/v1/photos/{photo.public_id}/image")
    assert image.status_code == 404 and image.json() == {"detail": "Not found."}
    assert client.get(f"/api/v1/photos?patient={patient.public_id}").json()["results"] == []
    kept = client.get(f"/api/v1/photos?patient={patient.public_id}&voided=true").json()["results"]
    assert kept[0]["voided"] and kept[0]["void_reason"] == "Wrong patient"


def test_reception_and_a_token_without_the_clinical_scope_see_no_photos(
    reception, practitioner, photo, patient
):
    urls = [
        f"/api/v1/photos?patient={patient.public_id}",
        f"/api/v1/photos/{photo.public_id}",
        f"/api/v1/photos/{photo.public_id}/image",
        f"/api/v1/photos/consents/{patient.public_id}",
    ]
    for url in urls:
        assert client_for(reception).get(url).status_code == 403, url
    _, narrow = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    for url in urls:
        assert Client().get(url, **_bearer(narrow)).status_code == 403, url
    _, wide = tokens.create(practitioner, name="w", scopes=["read", "clinical"], days=5)
    image = Client().get(urls[2], **_bearer(wide))
    assert image.status_code == 200 and image["Cache-Control"] == "no-store"


def test_another_clinic_a_portal_patient_and_nobody_are_refused(outsider, me, photo, patient):  # noqa: F811
    for url in (
        f"/api/v1/photos?patient={patient.public_id}",
        f"/api/v1/photos/{photo.public_id}",
        f"/api/v1/photos/{photo.public_id}/image",
        f"/api/v1/photos/consents/{patient.public_id}",
    ):
        response = client_for(outsider).get(url)
        assert response.status_code == 404 and patient.last_name not in response.content.decode()
        assert client_for(me).get(url).status_code == 404, url
        assert Client().get(url).status_code == 401, url


def test_photo_pages_and_the_list_audit(org, practitioner, patient, photo):
    more = [
        take_photo(org, practitioner, patient, view) for view in ("face-45-left", "face-45-right")
    ]
    client = client_for(practitioner)
    url = f"/api/v1/photos?patient={patient.public_id}&sort=oldest&limit=2"
    first = client.get(url).json()
    second = client.get(f"{url}&cursor={first['next']}").json()
    seen = [p["id"] for p in first["results"] + second["results"]]
    assert seen == [str(p.public_id) for p in [photo, *more]] and second["next"] is None
    with acting_for(org):
        assert (
            AuditEvent.objects.filter(object_id=str(patient.public_id), detail="api photos").count()
            == 2
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_bounded_number_of_queries(
    org, practitioner, patient, count, django_assert_max_num_queries
):
    give_photo_consent(org, practitioner, patient)
    for _ in range(count):
        take_photo(org, practitioner, patient)
    client = client_for(practitioner)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/photos?patient={patient.public_id}&limit=200")
        assert len(response.json()["results"]) == count


def test_the_openapi_document_gives_the_image_as_jpeg(practitioner):
    document = client_for(practitioner).get("/api/v1/openapi.json").json()
    image = document["paths"]["/api/v1/photos/{photo_id}/image"]["get"]
    assert list(image["responses"]["200"]["content"]) == ["image/jpeg", "image/png"]
    assert {"403", "404"} <= set(image["responses"])
    size = next(p for p in image["parameters"] if p["name"] == "size")
    assert size["schema"]["enum"] == ["screen", "thumb", "original"]


# --- writes: taking and voiding photos, recording and revoking consent ------------------


def _upload(client, patient, content, key=None, headers=None, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"patient": str(patient.public_id), "view": "face-front", "device": "iPad", **fields}
    if content is not None:
        data["photo"] = SimpleUploadedFile("IMG_0001.jpg", content, content_type="image/jpeg")
    key = key or str(uuid.uuid4())
    return client.post("/api/v1/photos", data, HTTP_IDEMPOTENCY_KEY=key, **(headers or {}))


def _json(client, url, body, key=None):
    return client.post(
        url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def _photos(org):
    from mesoclinic.photos.models import Photo

    with acting_for(org):
        return Photo.objects.count()


@pytest.mark.parametrize("role", CLINICAL)
def test_a_clinician_takes_a_photo_once_stripped_of_its_location(
    personas, role, org, practitioner, patient
):
    from tests.test_photos import jpeg_with_gps

    give_photo_consent(org, practitioner, patient)
    client, key = client_for(personas[role]), str(uuid.uuid4())
    first = _upload(client, patient, jpeg_with_gps(), key)
    assert first.status_code == 201, first.content
    kept = first.json()
    assert (kept["view"], kept["device"], kept["taken_by"]) == (
        "face-front", "iPad", personas[role].full_name,
    )  # fmt: skip
    assert (kept["width"], kept["height"]) == (400, 600)  # turned upright
    again = _upload(client, patient, jpeg_with_gps(), key)
    assert again.status_code == 200 and again.json()["id"] == kept["id"]
    original = client.get(f"/api/v1/photos/{kept['id']}/image?size=original").content
    assert b"GPS" not in original and b"48,51N" not in original and b"Anna" not in original
    with acting_for(org):
        assert AuditEvent.objects.filter(action="create", object_type="photo").count() == 1
    assert _photos(org) == 1


def test_no_photo_without_clinical_consent_and_bad_uploads_are_named(org, practitioner, patient):
    from tests.test_photos import forged_png_header, small_jpeg

    client = client_for(practitioner)
    refused = _upload(client, patient, small_jpeg())
    assert refused.status_code == 400 and "photo" in refused.json()["errors"]
    assert "consent" in refused.json()["detail"]
    give_photo_consent(org, practitioner, patient)
    for content, fields, field in (
        (None, {}, "photo"),
        (b"not an image", {}, "photo"),
        (forged_png_header(), {}, "photo"),
        (small_jpeg(), {"view": "the-moon"}, "view"),
        (small_jpeg(), {"session": str(uuid.uuid4())}, "session"),
    ):
        response = _upload(client, patient, content, **fields)
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["errors"], (field, response.json())
    no_key = client.post("/api/v1/photos", {"patient": str(patient.public_id)})
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["detail"]
    no_patient = client.post(
        "/api/v1/photos", {"patient": "someone"}, HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert no_patient.status_code == 400 and "patient" in no_patient.json()["errors"]
    assert _photos(org) == 0


def test_a_photo_is_voided_with_a_reason_once_and_kept(org, practitioner, photo):
    client = client_for(practitioner)
    url = f"/api/v1/photos/{photo.public_id}/void"
    assert _json(client, url, {"reason": "x"}).status_code == 400
    voided = _json(client, url, {"reason": "Wrong patient"})
    assert voided.status_code == 200 and voided.json()["voided"] is True
    assert voided.json()["void_reason"] == "Wrong patient"
    again = _json(client, url, {"reason": "Twice"})
    assert again.status_code == 200 and again.json()["void_reason"] == "Wrong patient"
    assert client.get(f"/api/v1/photos/{photo.public_id}/image").status_code == 404
    assert _photos(org) == 1


def test_consents_are_given_once_per_purpose_and_revoked_with_a_reason(org, practitioner, patient):
    client, key = client_for(practitioner), str(uuid.uuid4())
    url = f"/api/v1/photos/consents/{patient.public_id}"
    given = _json(client, url, {"scope": "teaching", "how": "paper", "note": "Form 12"}, key)
    assert given.status_code == 201, given.content
    assert (given.json()["scope"], given.json()["live"]) == ("teaching", True)
    again = _json(client, url, {"scope": "teaching", "how": "paper"}, key)
    assert again.status_code == 200 and again.json()["id"] == given.json()["id"]
    twice = _json(client, url, {"scope": "teaching", "how": "tablet"})
    assert twice.status_code == 400 and "revoke it first" in twice.json()["errors"]["scope"][0]
    assert _json(client, url, {"scope": "everything", "how": "paper"}).status_code == 400
    revoke = f"/api/v1/photo-consents/{given.json()['id']}/revoke"
    assert _json(client, revoke, {"reason": ""}).status_code == 400
    revoked = _json(client, revoke, {"reason": "No longer wishes to be shown"})
    assert revoked.status_code == 200 and revoked.json()["live"] is False
    assert _json(client, revoke, {"reason": "Again"}).json()["revoke_reason"] == (
        "No longer wishes to be shown"
    )
    with acting_for(org):
        actions = list(
            AuditEvent.objects.filter(object_type="photoconsent").values_list("action", flat=True)
        )
    assert sorted(actions) == ["create", "void"]


def test_who_may_write_photos_and_consents(
    org,
    practitioner,
    reception,
    outsider,
    me,
    patient,
    photo,  # noqa: F811
):
    from tests.test_photos import small_jpeg

    _, reader = tokens.create(practitioner, name="t", scopes=["read", "clinical"], days=5)
    give = f"/api/v1/photos/consents/{patient.public_id}"
    void = f"/api/v1/photos/{photo.public_id}/void"
    for client, expected in (
        (client_for(reception), 403),
        (client_for(outsider), 404),
        (client_for(me), 404),
        (Client(), 401),
    ):
        assert _upload(client, patient, small_jpeg()).status_code == expected
        assert _json(client, give, {"scope": "teaching", "how": "paper"}).status_code == expected
        assert _json(client, void, {"reason": "Wrong patient"}).status_code == expected
    foreign = _upload(client_for(outsider), patient, small_jpeg())
    assert foreign.json() == {"detail": "Not found."}
    refused = _upload(Client(), patient, small_jpeg(), headers=_bearer(reader))
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    assert _photos(org) == 1
