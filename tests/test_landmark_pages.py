"""The landmark placement page: who may open it, what a save keeps, what a refusal
keeps, and the symmetry it shows. Every face is drawn by photos/synthetic.py."""

import uuid

import pytest

from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos import landmarks, synthetic
from mesoclinic.photos.models import Landmarks
from mesoclinic.rules import symmetry
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, give_photo_consent
from tests.test_landmarks import face_photo, fractions

CLINICAL = ("owner", "practitioner", "esthetician")


@pytest.fixture
def patient(patient, org, practitioner):
    """The patient, with consent to clinical photos (none is taken without it)."""
    give_photo_consent(org, practitioner, patient)
    return patient


def url(photo):
    return f"/photos/{photo.public_id}/landmarks/"


def form_data(photo, at, **extra):
    data = {"submission_key": str(uuid.uuid4())}
    for name, (x, y) in fractions(photo, at).items():
        data[f"{name}-x"], data[f"{name}-y"] = str(x), str(y)
    data.update(extra)
    return data


def placements(org, photo):
    with acting_for(org):
        return Landmarks.objects.filter(photo=photo).count()


def events(org):
    with acting_for(org):
        return AuditEvent.objects.count()


@pytest.fixture
def face(org, practitioner, patient):
    return face_photo(
        org, practitioner, patient, synthetic.Face(moved={"mouth-corner-left": (3.0, 0.0)})
    )


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_open_the_page_with_one_audit_event(org, personas, role, face):
    photo, _ = face
    client = client_for(personas[role])
    before = events(org)
    response = client.get(url(photo))
    assert response.status_code == 200
    assert "the patient's right is on your left" in response.content.decode()
    assert "Right pupil" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert events(org) == before + 1


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_save_a_placement(org, personas, role, face):
    photo, at = face
    client = client_for(personas[role])
    before = events(org)
    response = client.post(url(photo), form_data(photo, at))
    assert response.status_code == 302
    assert placements(org, photo) == 1
    assert events(org) == before + 1


def test_reception_never_sees_the_page(org, reception, face):
    photo, at = face
    assert client_for(reception).get(url(photo)).status_code == 403
    assert client_for(reception).post(url(photo), form_data(photo, at)).status_code == 403
    assert placements(org, photo) == 0


def test_an_outsider_gets_a_404(org, outsider, face):
    photo, at = face
    assert client_for(outsider).get(url(photo)).status_code == 404
    assert client_for(outsider).post(url(photo), form_data(photo, at)).status_code == 404
    assert placements(org, photo) == 0


def test_a_double_submit_keeps_one_placement(org, practitioner, face):
    photo, at = face
    data = form_data(photo, at)
    client = client_for(practitioner)
    client.post(url(photo), data)
    client.post(url(photo), data)
    assert placements(org, photo) == 1


def test_a_refusal_keeps_the_posted_points_and_says_why_by_the_field(org, practitioner, face):
    photo, at = face
    data = form_data(photo, at, ruler_mm="50")
    response = client_for(practitioner).post(url(photo), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Mark both ends of the ruler" in page
    assert f'value="{data["chin-x"]}"' in page
    assert 'value="50"' in page
    assert placements(org, photo) == 0


def test_moving_landmarks_asks_for_a_reason(org, practitioner, face):
    photo, at = face
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    assert "Why are the landmarks moved?" in client.get(url(photo)).content.decode()
    response = client.post(url(photo), form_data(photo, at))
    assert response.status_code == 400 and "Say why" in response.content.decode()
    assert client.post(url(photo), form_data(photo, at, reason="Chin moved")).status_code == 302
    assert placements(org, photo) == 2


def test_the_page_shows_the_symmetry_index_of_the_placed_face(org, practitioner, face):
    photo, at = face
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    page = client.get(url(photo)).content.decode()
    with acting_for(org):
        expected = landmarks.measure(landmarks.current([photo])[photo.pk], photo).index
    assert f"{expected:.1f} of 100" in page
    truth = symmetry.measure(at).index
    assert abs(expected - truth) < 0.5


def test_a_turned_face_is_flagged_as_unsuitable(org, practitioner, patient):
    photo, at = face_photo(org, practitioner, patient, synthetic.Face(yaw=20))
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    page = client.get(url(photo)).content.decode()
    assert "tilted or turned too much to measure" in page
    assert "not a clinical limit" in page


def test_the_detail_page_links_to_the_placement(practitioner, face):
    photo, at = face
    client = client_for(practitioner)
    assert "Place landmarks" in client.get(f"/photos/{photo.public_id}/").content.decode()
    client.post(url(photo), form_data(photo, at))
    assert "Move landmarks" in client.get(f"/photos/{photo.public_id}/").content.decode()


@pytest.mark.parametrize("count", [3, 20])
def test_the_page_runs_a_bounded_number_of_queries(
    org, practitioner, face, count, django_assert_max_num_queries
):
    photo, at = face
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    for i in range(count - 1):
        client.post(url(photo), form_data(photo, at, reason=f"Moved again {i}"))
    assert placements(org, photo) == count
    with django_assert_max_num_queries(15):
        assert client.get(url(photo)).status_code == 200


def test_the_index_is_recorded_as_the_courses_symmetry_score(org, practitioner, patient, face):
    """The symmetry result offers the due symmetry score of a symmetry course, with the
    index filled in; signed on the score form, it is the course's outcome."""
    import datetime as dt
    import html
    import re

    from django.utils import timezone

    from mesoclinic.outcomes.models import Assessment
    from tests.factories import plan_with_result

    photo, at = face
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    assert (
        "No course of this patient has a symmetry score due"
        in client.get(url(photo)).content.decode()
    )
    items = [{"concern": "facial-symmetry", "area": "cheeks", "protocol": "symmetry-booster-ha"}]
    plan_with_result(org, patient, practitioner, items, timezone.localdate() + dt.timedelta(days=7))
    page = client.get(url(photo)).content.decode()
    with acting_for(org):
        index = round(landmarks.measure(landmarks.current([photo])[photo.pk], photo).index, 1)
    link = re.search(r'href="([^"]*assessment[^"]*|/outcomes/[^"]*new/symmetry-index/[^"]*)"', page)
    assert link and f"Record {index:.1f}" in page
    form = client.get(html.unescape(link.group(1))).content.decode()
    assert f'value="{index:.1f}"' in form
    query = html.unescape(link.group(1)).split("?", 1)[1]
    from urllib.parse import parse_qs

    posted = {k: v[0] for k, v in parse_qs(query).items()}
    posted.update(submission_key=str(uuid.uuid4()))
    response = client.post(html.unescape(link.group(1)).split("?")[0] + "?" + query, posted)
    assert response.status_code == 302, response.content.decode()[:2000]
    with acting_for(org):
        score = Assessment.objects.get(instrument="symmetry-index")
    assert float(score.total) == index and score.timepoint == "baseline"


# --- the overlay picture on the photo's page -------------------------------------------


def _overlay_marks(page: str) -> dict[str, dict[str, tuple[float, float]]]:
    """Each drawn pair: its right landmark (dot) and mirrored left partner (ring)."""
    import re

    found = {}
    for name, body in re.findall(
        r'<g class="overlay-pair[^"]*" data-pair="([^"]+)">(.*?)</g>', page, re.S
    ):
        dot = re.search(r'class="overlay-right" cx="([\d.]+)" cy="([\d.]+)"', body)
        ring = re.search(r'class="overlay-mirrored" cx="([\d.]+)" cy="([\d.]+)"', body)
        label = re.search(r"<text[^>]*>([^<]+)</text>", body)
        found[name] = {
            "right": (float(dot[1]), float(dot[2])),
            "mirrored": (float(ring[1]), float(ring[2])),
            "label": label[1] if label else "",
        }
    return found


def test_the_photo_page_overlays_the_midline_and_the_mirrored_pairs(org, practitioner, face):
    """On a face drawn with only the left mouth corner 3 mm out, the mirrored left eye
    corners land on the right ones, the mouth's ring does not, and the mouth is named
    with its size in % of the distance between the pupils (no ruler)."""
    photo, at = face
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    page = client.get(f"/photos/{photo.public_id}/").content.decode()
    assert 'class="symmetry-overlay"' in page and "Show the symmetry overlay" in page
    assert "data-symmetry-index" in page  # the measure beside the picture
    marks = _overlay_marks(page)

    def apart(mark):
        (x1, y1), (x2, y2) = mark["right"], mark["mirrored"]
        return ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5

    ipd = abs(at["pupil-right"][0] - at["pupil-left"][0])
    assert apart(marks["Outer eye corners"]) < 0.01 * ipd
    assert abs(apart(marks["Mouth corners"]) - 3.0 * 4.0) < 1.5  # 3 mm at 4 px per mm
    assert marks["Mouth corners"]["label"].startswith("Mouth corners: ")
    assert marks["Mouth corners"]["label"].endswith("%")
    assert marks["Outer eye corners"]["label"] == ""


def test_no_overlay_without_landmarks_or_on_a_voided_photo(org, practitioner, face):
    photo, at = face
    client = client_for(practitioner)
    assert "symmetry-overlay" not in client.get(f"/photos/{photo.public_id}/").content.decode()
    client.post(url(photo), form_data(photo, at))
    client.post(f"/photos/{photo.public_id}/void/", {"reason": "Wrong patient"})
    page = client.get(f"/photos/{photo.public_id}/").content.decode()
    assert "symmetry-overlay" not in page and "data-symmetry-index" not in page


def test_with_a_ruler_the_largest_asymmetries_are_in_millimetres(org, practitioner, face):
    photo, at = face  # drawn at 4 px per mm: 200 px of ruler are 50 mm
    client = client_for(practitioner)
    ruler = {
        "ruler-a-x": "0.1",
        "ruler-a-y": "0.9",
        "ruler-b-x": str(0.1 + 200 / photo.width),
        "ruler-b-y": "0.9",
        "ruler_mm": "50",
    }
    assert client.post(url(photo), form_data(photo, at, **ruler)).status_code == 302
    marks = _overlay_marks(client.get(f"/photos/{photo.public_id}/").content.decode())
    label = marks["Mouth corners"]["label"]
    assert label.endswith(" mm")
    assert abs(float(label.split(": ")[1][:-3]) - 3.0) < 0.4


def test_a_label_near_the_photos_left_edge_is_written_on_the_photo(org, practitioner, face):
    """The patient's right is on the viewer's left: a label written left of a landmark
    near that edge would be cut off by the picture's edge, so it goes to the right."""
    import re

    photo, at = face  # the right mouth corner 380 px from the left edge of 960
    client = client_for(practitioner)
    client.post(url(photo), form_data(photo, at))
    page = client.get(f"/photos/{photo.public_id}/").content.decode()
    text = re.search(r'<text x="([\d.]+)"[^>]*text-anchor="(\w+)"[^>]*>Mouth corners', page)
    assert text and text[2] == "start"
    assert float(text[1]) > at["mouth-corner-right"][0]  # overlay in the photo's own pixels


def test_a_label_with_room_is_written_left_of_its_landmark():
    from mesoclinic.photos import overlay

    (x, _), anchor = overlay.place_label("Mouth corners: 4.8%", (900.0, 500.0), 960, 35.0)
    assert anchor == "end" and x < 900
    (x, _), anchor = overlay.place_label("Mouth corners: 4.8%", (100.0, 500.0), 960, 35.0)
    assert anchor == "start" and x > 100
