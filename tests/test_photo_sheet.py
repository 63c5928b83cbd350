"""The comparison sheet for a consultation: each view's photos over the course with
their dates, the session of the course they were taken at and the scores recorded at
the same visit; as a page and as a PDF that embeds the photos. Drawn images only."""

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from mesoclinic.audit.models import AuditEvent
from mesoclinic.outcomes.models import Assessment
from mesoclinic.photos import services, sheet
from mesoclinic.plans.models import PlanStatus
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionStatus
from tests.factories import client_for, give_photo_consent, make_session, plan_in_status

CLINICAL = ("owner", "practitioner", "esthetician")


@pytest.fixture
def patient(patient, org, practitioner):
    """The patient, with consent to clinical photos (none is taken without it)."""
    give_photo_consent(org, practitioner, patient)
    return patient


def jpeg(colour=(200, 200, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def add(org, user, patient, view="face-front", days_ago=0, session=None):
    when = timezone.now() - dt.timedelta(days=days_ago)
    with acting_for(org):
        return services.add_photo(
            user,
            patient,
            io.BytesIO(jpeg()),
            view=view,
            area="",
            side="",
            device="Clinic camera",
            session=session,
            submission_key=uuid.uuid4(),
            taken_at=when,
        )


def score(org, patient, days_ago, display, session=None, voided=False):
    with acting_for(org):
        return Assessment.objects.create(
            patient=patient,
            session=session,
            instrument="hexsel-css",
            instrument_version=1,
            timepoint="baseline" if session is None else "each-session",
            rater="clinician",
            answers={},
            total=Decimal(9),
            display=display,
            taken_at=timezone.now() - dt.timedelta(days=days_ago),
            submission_key=uuid.uuid4(),
            voided_at=timezone.now() if voided else None,
            void_reason="entered for the wrong patient" if voided else "",
        )


def page_url(patient, view=""):
    return reverse("photo_sheet", args=[patient.public_id]) + (f"?view={view}" if view else "")


def pdf_url(patient, view=""):
    return reverse("photo_sheet_pdf", args=[patient.public_id]) + (f"?view={view}" if view else "")


def screen(photo):
    return reverse("photo_image", args=[photo.public_id, "screen"])


def events(org):
    with acting_for(org):
        return AuditEvent.objects.count()


@pytest.fixture
def course(org, practitioner, patient, site):
    """Two sessions of one course, 40 and 10 days ago, each photographed face front."""
    plan = plan_in_status(org, patient, practitioner, PlanStatus.APPROVED)
    first = signed_session(org, patient, site, practitioner, plan, 40)
    second = signed_session(org, patient, site, practitioner, plan, 10)
    photos = [
        add(org, practitioner, patient, days_ago=41),  # before the course
        add(org, practitioner, patient, days_ago=40, session=first),
        add(org, practitioner, patient, days_ago=10, session=second),
    ]
    return first, second, photos


def signed_session(org, patient, site, practitioner, plan, days_ago):
    at = timezone.now() - dt.timedelta(days=days_ago)
    signed = {"status": SessionStatus.SIGNED, "signed_at": at, "signed_by": practitioner}
    return make_session(org, patient, site, practitioner, plan=plan, days_ago=days_ago, **signed)


def visits(found):
    return [(v.photo, v.when, [s.display for s in v.scores]) for r in found.rows for v in r.visits]


def test_the_sheet_numbers_the_sessions_and_puts_each_visits_scores_beside_its_photo(
    org, practitioner, patient, course
):
    first, second, (before, at_first, at_second) = course
    score(org, patient, 41, "9 of 15 (moderate)")  # the baseline, the day of the first photo
    score(org, patient, 10, "5 of 15 (mild)", session=second)
    score(org, patient, 10, "7 of 15 (mild)", session=second, voided=True)
    score(org, patient, 25, "6 of 15 (mild)")  # a day without a photo
    with acting_for(org):
        found = sheet.build(practitioner, patient)
    assert visits(found) == [
        (before, "Not at a session", ["9 of 15 (moderate)"]),
        (at_first, "Session 1", []),
        (at_second, "Session 2", ["5 of 15 (mild)"]),
    ]


def test_a_voided_session_does_not_count_in_the_numbering(org, practitioner, patient, course):
    first, second, photos = course
    with acting_for(org):
        type(first).objects.filter(pk=first.pk).update(status=SessionStatus.VOIDED)
        found = sheet.build(practitioner, patient)
    assert [w for _, w, _ in visits(found)][2] == "Session 1"


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_the_sheet_with_one_audit_event(org, personas, role, patient, course):
    client = client_for(personas[role])
    before = events(org)
    response = client.get(page_url(patient))
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert all(screen(p) in page for p in course[2])
    assert "Session 2" in page and "Face, front" in page
    assert ">face-front" not in page
    assert events(org) == before + 1


def test_voided_photos_and_other_views_are_left_off(org, practitioner, patient, course):
    voided = add(org, practitioner, patient, days_ago=5)
    with acting_for(org):
        services.void_photo(practitioner, voided, "wrong patient")
    side = add(org, practitioner, patient, view="face-45-left", days_ago=5)
    client = client_for(practitioner)
    page = client.get(page_url(patient, "face-front")).content.decode()
    assert screen(voided) not in page and screen(side) not in page
    assert screen(course[2][0]) in page
    whole = client.get(page_url(patient)).content.decode()
    assert screen(side) in whole and "Face, 45° left" in whole


def test_a_long_course_shows_the_baseline_and_the_latest_photos_and_says_so(
    org, practitioner, patient
):
    photos = [add(org, practitioner, patient, days_ago=100 - 7 * i) for i in range(10)]
    with acting_for(org):
        found = sheet.build(practitioner, patient)
    (row,) = found.rows
    assert [v.photo for v in row.visits] == [photos[0], *photos[-(sheet.PER_VIEW - 1) :]]
    assert row.left_out == 10 - sheet.PER_VIEW
    page = client_for(practitioner).get(page_url(patient)).content.decode()
    assert "4 in between are on the photos page" in page


def test_reception_never_sees_the_sheet_nor_its_pdf(org, reception, patient, course):
    client = client_for(reception)
    before = events(org)
    assert client.get(page_url(patient)).status_code == 403
    assert client.get(pdf_url(patient)).status_code == 403
    assert events(org) == before
    with acting_for(org), pytest.raises(PermissionDenied):
        sheet.build(reception, patient)


def test_an_outsider_gets_a_404(outsider, patient, course):
    client = client_for(outsider)
    assert client.get(page_url(patient)).status_code == 404
    assert client.get(pdf_url(patient)).status_code == 404


def test_an_unknown_view_is_refused_on_the_page(practitioner, patient, course):
    response = client_for(practitioner).get(page_url(patient, "nose"))
    assert response.status_code == 400
    assert "Choose a view from the list." in response.content.decode()


def test_the_pdf_embeds_the_photos_with_their_sessions_and_one_export_event(
    org, practitioner, patient, course
):
    score(org, patient, 10, "5 of 15 (mild)", session=course[1])
    client = client_for(practitioner)
    before = events(org)
    response = client.get(pdf_url(patient))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Session 2" in text and "5 of 15 (mild)" in text and patient.full_name in text
    images = [image for p in reader.pages for image in p.images]
    assert len(images) == 3  # the three photos, read from the encrypted store
    assert events(org) == before + 1
    with acting_for(org):
        event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "export"
    assert sorted(event.fields) == sorted(str(p.public_id) for p in course[2])


def test_the_pdf_fetches_nothing_but_the_sheets_photos(org, practitioner, patient, course):
    from mesoclinic.photos.sheet_views import _fetcher

    elsewhere = add(org, practitioner, patient, view="face-45-left")
    with acting_for(org):
        fetch = _fetcher(sheet.build(practitioner, patient, "face-front"))
    assert fetch.fetch(f"sheet-photo:{course[2][0].public_id}").read()[:2] == b"\xff\xd8"
    for url in (f"sheet-photo:{elsewhere.public_id}", "file:///etc/passwd", "http://example.org/"):
        with pytest.raises(ValueError):
            fetch.fetch(url)


@pytest.mark.parametrize("count", [2, 20])
def test_the_page_runs_a_bounded_number_of_queries(
    org, practitioner, patient, site, count, django_assert_max_num_queries
):
    plan = plan_in_status(org, patient, practitioner, PlanStatus.APPROVED)
    for i in range(count):
        session = signed_session(org, patient, site, practitioner, plan, count - i)
        add(org, practitioner, patient, days_ago=count - i, session=session)
        score(org, patient, count - i, "5 of 15 (mild)", session=session)
    client = client_for(practitioner)
    with django_assert_max_num_queries(10):
        response = client.get(page_url(patient))
    assert response.status_code == 200


def test_the_photos_page_and_the_comparison_link_to_the_sheet(practitioner, patient, course):
    client = client_for(practitioner)
    assert (
        page_url(patient)
        in client.get(reverse("patient_photos", args=[patient.public_id])).content.decode()
    )
    compare = client.get(reverse("photo_compare", args=[patient.public_id])).content.decode()
    assert page_url(patient, "face-front") in compare
