"""Landmarks placed on a photo: kept as signed placements, moved only by a new placement
with a reason, read back as the photo's pupils and its facial symmetry. Every face here
is drawn by the test (photos/synthetic.py), never a person."""

import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction

from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos import landmarks, services, synthetic
from mesoclinic.photos.models import Landmarks
from mesoclinic.tenancy import acting_for
from tests.factories import give_photo_consent


@pytest.fixture
def patient(patient, org, practitioner):
    """The patient, with consent to clinical photos (none is taken without it)."""
    give_photo_consent(org, practitioner, patient)
    return patient


def face_photo(org, user, patient, face=None, view="face-front"):
    image, at = synthetic.draw(face or synthetic.Face())
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    with acting_for(org):
        photo = services.add_photo(
            user,
            patient,
            io.BytesIO(buffer.getvalue()),
            view=view,
            area="",
            side="",
            device="Clinic camera",
            submission_key=uuid.uuid4(),
        )
    return photo, at


def fractions(photo, at):
    return {name: (x / photo.width, y / photo.height) for name, (x, y) in at.items()}


def place(org, user, photo, points, **kwargs):
    with acting_for(org):
        return landmarks.place(user, photo, points, submission_key=uuid.uuid4(), **kwargs)


def test_a_nul_byte_in_the_reason_is_refused(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient, synthetic.Face())
    place(org, practitioner, photo, fractions(photo, at))
    with pytest.raises(services.PhotoRefused, match="Null characters"):
        place(org, practitioner, photo, fractions(photo, at), reason="moved\x00 a point")


def test_a_placement_is_read_back_as_the_photos_pupils_and_symmetry(org, practitioner, patient):
    face = synthetic.Face(moved={"mouth-corner-left": (3.0, 0.0)})
    photo, at = face_photo(org, practitioner, patient, face)
    place(org, practitioner, photo, fractions(photo, at))
    with acting_for(org):
        placed = landmarks.current([photo])[photo.pk]
        right, left = landmarks.pupils(placed, photo.width, photo.height)
        found = landmarks.measure(placed, photo)
    assert right == pytest.approx(at["pupil-right"], abs=0.05)
    assert left == pytest.approx(at["pupil-left"], abs=0.05)
    mouth = next(p for p in found.pairs if p.key == "mouth-corner")
    assert abs(mouth.horizontal_pct) == pytest.approx(3.0 / 62 * 100, abs=0.5)
    assert 90 < found.index < 100


def test_a_ruler_gives_millimetres(org, practitioner, patient):
    face = synthetic.Face(moved={"mouth-corner-left": (3.0, 0.0)}, px_per_mm=4.0)
    photo, at = face_photo(org, practitioner, patient, face)
    points = fractions(photo, at)
    points["ruler-a"], points["ruler-b"] = (0.1, 0.9), (0.1 + 200 / photo.width, 0.9)
    placed = place(org, practitioner, photo, points, ruler_mm=50)
    with acting_for(org):
        found = landmarks.measure(placed, photo)
    mouth = next(p for p in found.pairs if p.key == "mouth-corner")
    assert abs(mouth.horizontal_mm) == pytest.approx(3.0, abs=0.3)


def test_moving_points_is_a_new_placement_with_a_reason(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient)
    first = place(org, practitioner, photo, fractions(photo, at))
    with pytest.raises(services.PhotoRefused, match="why"):
        place(org, practitioner, photo, fractions(photo, at))
    second = place(org, practitioner, photo, fractions(photo, at), reason="Chin was misplaced")
    with acting_for(org):
        assert landmarks.current([photo])[photo.pk] == second
        assert Landmarks.objects.get(pk=second.pk).replaces == first
        assert AuditEvent.objects.filter(object_id=str(second.public_id)).count() == 1


def test_a_placement_submitted_twice_is_kept_once(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient)
    key = uuid.uuid4()
    with acting_for(org):
        one = landmarks.place(practitioner, photo, fractions(photo, at), submission_key=key)
        two = landmarks.place(practitioner, photo, fractions(photo, at), submission_key=key)
        assert one == two and Landmarks.objects.count() == 1


@pytest.mark.parametrize(
    "points, message",
    [
        ({"pupil-right": (0.4, 0.4)}, "both pupils"),
        ({"pupil-right": (0.4, 0.4), "pupil-left": (1.4, 0.4)}, "outside"),
        ({"pupil-right": (0.4, 0.4), "pupil-left": (0.6, 0.4), "ear": (0.5, 0.5)}, "Unknown"),
        ({"pupil-right": (0.4, 0.4), "pupil-left": "left"}, "position"),
    ],
)
def test_impossible_points_are_refused(org, practitioner, patient, points, message):
    photo, _ = face_photo(org, practitioner, patient)
    with pytest.raises(services.PhotoRefused, match=message):
        place(org, practitioner, photo, points)


def test_landmarks_need_a_face_photo_that_shows_both_eyes(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient, view="face-90-left")
    with pytest.raises(services.PhotoRefused, match="both eyes"):
        place(org, practitioner, photo, fractions(photo, at))


def test_reception_places_no_landmarks(org, practitioner, reception, patient):
    photo, at = face_photo(org, practitioner, patient)
    with pytest.raises(PermissionDenied):
        place(org, reception, photo, fractions(photo, at))


def test_the_database_refuses_to_edit_or_delete_a_placement(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient)
    placed = place(org, practitioner, photo, fractions(photo, at))
    with acting_for(org):
        with pytest.raises(DatabaseError), transaction.atomic():
            Landmarks.objects.filter(pk=placed.pk).update(points={"pupil-right": [0, 0]})
        with pytest.raises(DatabaseError), transaction.atomic():
            Landmarks.objects.filter(pk=placed.pk).delete()
        assert Landmarks.objects.get(pk=placed.pk).points == placed.points


def test_a_voided_photo_takes_no_landmarks(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient)
    with acting_for(org):
        services.void_photo(practitioner, photo, "Wrong patient")
    with pytest.raises(services.PhotoRefused, match="voided"):
        place(org, practitioner, photo, fractions(photo, at))


@pytest.mark.parametrize(
    "ends, length, message",
    [(True, 0, "up to 500"), (True, 900, "up to 500"), (False, 50, "both ends")],
)
def test_a_ruler_needs_both_ends_and_a_sensible_length(
    org, practitioner, patient, ends, length, message
):
    photo, at = face_photo(org, practitioner, patient)
    points = fractions(photo, at)
    if ends:
        points["ruler-a"], points["ruler-b"] = (0.1, 0.9), (0.3, 0.9)
    with pytest.raises(services.PhotoRefused, match=message):
        place(org, practitioner, photo, points, ruler_mm=length)
