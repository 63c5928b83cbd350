"""The comparison page: two photos of one view of one patient, lined up by the pupils
when they are placed; any other pair is refused on the page. Every face is drawn by
photos/synthetic.py, never a person."""

import datetime as dt
import html
import io
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos import compare, landmarks, services, synthetic
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, give_photo_consent

CLINICAL = ("owner", "practitioner", "esthetician")


@pytest.fixture
def patient(patient, org, practitioner):
    """The patient, with consent to clinical photos (none is taken without it)."""
    give_photo_consent(org, practitioner, patient)
    return patient


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def small_jpeg() -> bytes:
    return jpeg(Image.new("RGB", (160, 120), (200, 200, 200)))


def add(org, user, patient, view="face-front", days_ago=0, data=None):
    with acting_for(org):
        return services.add_photo(
            user,
            patient,
            io.BytesIO(data or small_jpeg()),
            view=view,
            area="",
            side="",
            device="Clinic camera",
            submission_key=uuid.uuid4(),
            taken_at=timezone.now() - dt.timedelta(days=days_ago),
        )


def face_photo(org, user, patient, face, days_ago=0):
    """A drawn face, and where its landmarks are in the original's pixels."""
    image, at = synthetic.draw(face)
    return add(org, user, patient, days_ago=days_ago, data=jpeg(image)), at


def place_pupils(org, user, photo, at):
    points = {n: (at[n][0] / photo.width, at[n][1] / photo.height) for n in at}
    with acting_for(org):
        landmarks.place(user, photo, points, submission_key=uuid.uuid4())


def url(patient, **query):
    base = reverse("photo_compare", args=[patient.public_id])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def screen(photo):
    return reverse("photo_image", args=[photo.public_id, "screen"])


def events(org):
    with acting_for(org):
        return AuditEvent.objects.count()


@pytest.fixture
def pair(org, practitioner, patient):
    """Three frontal photos over two months: the page compares the oldest and newest."""
    return [add(org, practitioner, patient, days_ago=d) for d in (60, 30, 1)]


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_compare_the_oldest_and_newest_with_one_audit_event(
    org, personas, role, pair
):
    oldest, middle, newest = pair
    client = client_for(personas[role])
    before = events(org)
    response = client.get(url(oldest.patient, view="face-front"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert screen(oldest) in page and screen(newest) in page and screen(middle) not in page
    assert events(org) == before + 1
    with acting_for(org):
        event = AuditEvent.objects.order_by("-id").first()
    assert event.object_id == str(oldest.patient.public_id) and event.action == "view"


def test_reception_never_sees_the_comparison(org, reception, pair):
    client = client_for(reception)
    before = events(org)
    assert client.get(url(pair[0].patient)).status_code == 403
    assert events(org) == before


def test_the_service_refuses_reception_whoever_calls(org, reception, pair):
    with acting_for(org), pytest.raises(PermissionDenied):
        compare.compare(reception, pair[0].patient, view="face-front")


def test_an_outsider_gets_a_404(outsider, pair):
    assert client_for(outsider).get(url(pair[0].patient)).status_code == 404


def test_the_picker_lists_views_with_two_photos_by_label_and_the_views_photos(
    org, practitioner, patient, pair
):
    add(org, practitioner, patient, view="face-45-left")
    page = client_for(practitioner).get(url(patient)).content.decode()
    assert "Face, front" in page and "Face, 45° left" not in page
    assert ">face-front<" not in page and "face-front (" not in page
    for photo in pair:
        assert reverse("photo_image", args=[photo.public_id, "thumb"]) in page


def test_photos_of_different_views_are_refused_on_the_page(org, practitioner, patient, pair):
    other = add(org, practitioner, patient, view="face-45-left")
    response = client_for(practitioner).get(
        url(patient, before=pair[0].public_id, after=other.public_id)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "These photos show different views (Face, 45° left and Face, front)" in page
    assert screen(other) not in page


def test_a_voided_photo_is_refused(org, practitioner, patient, pair):
    with acting_for(org):
        services.void_photo(practitioner, pair[2], "Wrong patient")
    response = client_for(practitioner).get(
        url(patient, before=pair[0].public_id, after=pair[2].public_id)
    )
    assert response.status_code == 400
    assert "A voided photo is not compared" in response.content.decode()
    assert screen(pair[2]) not in response.content.decode()


def test_another_patients_photo_is_refused(org, practitioner, make_patient, patient, pair):
    bea = make_patient(first_name="Bea")
    give_photo_consent(org, practitioner, bea)
    stranger = add(org, practitioner, bea)
    response = client_for(practitioner).get(
        url(patient, before=pair[0].public_id, after=stranger.public_id)
    )
    assert response.status_code == 400
    assert "That photo is not one of this patient's." in html.unescape(response.content.decode())
    assert screen(stranger) not in response.content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ({"view": "face-sideways"}, "Choose a view from the list."),
        ({"before": "not-a-photo"}, "That photo could not be found."),
        ({"before": "same", "after": "same"}, "Choose two different photos to compare."),
    ],
)
def test_a_mistyped_address_is_refused_on_the_page(practitioner, patient, pair, query, message):
    query = {k: (pair[0].public_id if v == "same" else v) for k, v in query.items()}
    response = client_for(practitioner).get(url(patient, **query))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_picker_chooses_any_two_photos(practitioner, patient, pair):
    oldest, middle, newest = pair
    page = (
        client_for(practitioner)
        .get(url(patient, view="face-front", before=middle.public_id, after=newest.public_id))
        .content.decode()
    )
    assert screen(middle) in page and screen(newest) in page and screen(oldest) not in page
    assert f'name="before" value="{middle.public_id}" checked' in page


def test_the_patient_photos_page_links_to_the_comparison_of_a_view(
    org, practitioner, patient, pair
):
    add(org, practitioner, patient, view="face-45-left")
    page = client_for(practitioner).get(f"/photos/for/{patient.public_id}/").content.decode()
    assert page.count(">Compare</a>") == 1
    assert url(patient, view="face-front") in page


@pytest.mark.parametrize("count", [3, 15])
def test_the_page_runs_a_bounded_number_of_queries(
    org, practitioner, patient, count, django_assert_max_num_queries
):
    photos = [add(org, practitioner, patient, days_ago=count - i) for i in range(count)]
    client = client_for(practitioner)
    with django_assert_max_num_queries(10):
        response = client.get(url(patient, view="face-front"))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        response = client.get(url(patient, before=photos[1].public_id, after=photos[-1].public_id))
    assert response.status_code == 200


def _matrix(page):
    found = re.search(r'data-matrix="([^"]+)"', page)
    return [float(v) for v in found.group(1).split()] if found else None


def _on_screen(photo, point):
    return (
        point[0] * photo.screen_width / photo.width,
        point[1] * photo.screen_height / photo.height,
    )


def test_the_after_photo_is_lined_up_on_the_befores_pupils(org, practitioner, patient):
    before, at_before = face_photo(org, practitioner, patient, synthetic.Face(), days_ago=30)
    # Closer to the camera, tilted and off-centre, on a larger photo whose screen image
    # is smaller than its original: every difference the alignment must undo.
    moved = synthetic.Face(centre=(820.0, 900.0), roll=6.0, px_per_mm=5.0, size=(1500, 2000))
    after, at_after = face_photo(org, practitioner, patient, moved)
    assert after.screen_width < after.width
    for photo, at in ((before, at_before), (after, at_after)):
        place_pupils(org, practitioner, photo, at)
    page = client_for(practitioner).get(url(patient, view="face-front")).content.decode()
    assert "Aligned by the pupils." in page
    a, b, c, d, e, f = _matrix(page)
    for name in ("pupil-right", "pupil-left"):
        x, y = _on_screen(after, at_after[name])
        mapped = (a * x + c * y + e, b * x + d * y + f)
        assert mapped == pytest.approx(_on_screen(before, at_before[name]), abs=1.5)


def test_photos_without_pupils_say_so_and_link_to_their_placement(org, practitioner, patient):
    before, at = face_photo(org, practitioner, patient, synthetic.Face(), days_ago=30)
    after, _ = face_photo(org, practitioner, patient, synthetic.Face())
    place_pupils(org, practitioner, before, at)
    page = client_for(practitioner).get(url(patient, view="face-front")).content.decode()
    assert "Place the pupils on both photos to line them up." in page
    assert reverse("photo_landmarks", args=[after.public_id]) in page
    assert reverse("photo_landmarks", args=[before.public_id]) not in page
    assert _matrix(page) is None


def test_a_body_view_is_compared_as_taken(org, practitioner, patient):
    for days in (30, 1):
        add(org, practitioner, patient, view="body-front", days_ago=days)
    page = client_for(practitioner).get(url(patient, view="body-front")).content.decode()
    assert "lined up by the pupils on face views only" in page
    assert _matrix(page) is None


def test_the_benchmark_series_are_made_once_and_open(org, practitioner, make_patient):
    """bench/pages.py opens these paths at each `make bench`: made once, all served."""
    from mesoclinic.photos.models import Photo
    from mesoclinic.scale.compare_photos import comparison_paths

    for name in ("Short", "Long"):
        make_patient(last_name=name)
    with acting_for(org):
        first = comparison_paths(practitioner)
        again = comparison_paths(practitioner)
        assert Photo.objects.count() == 22
    assert first == again and set(first) == {"2", "20"}
    client = client_for(practitioner)
    for paths in first.values():
        page = client.get(paths[0])
        assert "Aligned by the pupils." in page.content.decode()
        assert all(p in page.content.decode() for p in paths[1:])
        assert [client.get(p).status_code for p in paths[1:]] == [200, 200]
