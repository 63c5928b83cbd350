"""The session's standard photos, and the baseline a course's first session waits for
(issue 15, "Capture").

The session page loads which standard views of its areas are taken and which are
missing (with a Take link that opens the upload form filled in); a protocol that needs a
baseline has its first session signed only once each of those views has a photo that is
not voided, whichever path signs, and the sign confirmation says so before the press."""

import io
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from mesoclinic.audit.models import AuditEvent
from mesoclinic.photos import capture, services
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import sessions
from mesoclinic.treatments.models import TreatmentSession
from tests.factories import (
    client_for,
    consent_to,
    give_photo_consent,
    make_session,
    only_session,
    post_chart,
    post_start,
    receive_lot,
    take_baseline_photos,
)

FRONT, PROFILE = "Submental, front, chin raised", "Submental, profile"
NEEDS = "This protocol needs its baseline photos before its first session is signed"


@pytest.fixture
def patient(patient, org, practitioner):
    """The patient, with consent to clinical photos (none is taken without it)."""
    give_photo_consent(org, practitioner, patient)
    return patient


def jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 120), (180, 190, 200)).save(buffer, format="JPEG")
    buffer.seek(0)
    return buffer


def take(org, user, patient, view, session=None):
    with acting_for(org):
        return services.add_photo(
            user,
            patient,
            jpeg(),
            view=view,
            area="submental",
            side="",
            device="iPad camera",
            session=session,
            submission_key=uuid.uuid4(),
        )


@pytest.fixture
def session(org, site, practitioner, consented_plan):
    """The first session of a submental deoxycholic-acid course (needs a baseline), charted."""
    client = client_for(practitioner)
    assert post_start(client, consented_plan, site).status_code == 302
    lot = receive_lot(org, site, practitioner)
    assert post_chart(client, only_session(org), lot, volume_ml="3").status_code == 200
    return only_session(org)


def views_url(session):
    return reverse("session_photo_views", args=[session.public_id])


def sign_url(session):
    return reverse("session_sign", args=[session.public_id])


def is_signed(org):
    return only_session(org).is_signed


# --- the partial on the session page -----------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [("owner", 200), ("practitioner", 200), ("esthetician", 200), ("reception", 403)],
)
def test_the_partial_is_for_clinical_staff_only(personas, session, role, status):
    response = client_for(personas[role]).get(views_url(session))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert FRONT in page and PROFILE in page and "Missing" in page
        assert "no-store" in response["Cache-Control"]
    else:
        assert FRONT not in response.content.decode()


def test_another_clinics_session_is_not_found(outsider, session):
    response = client_for(outsider).get(views_url(session))
    assert response.status_code == 404
    assert FRONT not in response.content.decode()


def test_the_session_page_loads_the_partial(practitioner, session):
    page = client_for(practitioner).get(reverse("session_detail", args=[session.public_id]))
    assert f'hx-get="{views_url(session)}"' in page.content.decode()


def test_the_service_itself_refuses_reception(org, reception, session):
    with acting_for(org), pytest.raises(PermissionDenied):
        capture.session_views(reception, session)


def test_each_partial_is_one_audited_read_of_the_session(org, practitioner, session):
    client = client_for(practitioner)
    with acting_for(org):
        before = AuditEvent.objects.count()
    client.get(views_url(session))
    with acting_for(org):
        events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.object_id, e.detail) for e in events] == [
        ("view", str(session.public_id), "photo views")
    ]


def test_a_missing_view_offers_a_take_link_that_fills_in_the_form(
    org, practitioner, patient, session
):
    page = client_for(practitioner).get(views_url(session)).content.decode()
    take_link = (
        f"{reverse('patient_photos', args=[patient.public_id])}?session={session.public_id}"
        "&amp;view=submental-front&amp;area=submental"
    )
    assert take_link in page
    form = client_for(practitioner).get(take_link.replace("&amp;", "&")).context["form"]
    assert form["view"].value() == "submental-front"
    assert form["area"].value() == "submental"
    assert form["session"].value() == str(session.public_id)


def test_a_bad_prefill_is_ignored_not_an_error(practitioner, patient):
    url = reverse("patient_photos", args=[patient.public_id])
    response = client_for(practitioner).get(url, {"view": "x", "area": "y", "session": "z"})
    assert response.status_code == 200
    form = response.context["form"]
    assert not form["view"].value() and not form["area"].value()
    assert not form["session"].value()


def test_taken_views_show_their_thumbnail_and_all_taken_says_so(
    org, practitioner, patient, session
):
    front = take(org, practitioner, patient, "submental-front", session)
    page = client_for(practitioner).get(views_url(session)).content.decode()
    assert reverse("photo_image", args=[front.public_id, "thumb"]) in page
    assert "1 of 2 taken" in page and "All 2 standard views taken" not in page
    take(org, practitioner, patient, "submental-profile", session)
    page = client_for(practitioner).get(views_url(session)).content.decode()
    assert "All 2 standard views taken" in page and "Missing" not in page


def test_a_voided_photo_is_missing_again(org, practitioner, patient, session):
    front = take(org, practitioner, patient, "submental-front", session)
    with acting_for(org):
        services.void_photo(practitioner, front, "Taken of the wrong side")
    page = client_for(practitioner).get(views_url(session)).content.decode()
    assert "0 of 2 taken" in page
    assert reverse("photo_image", args=[front.public_id, "thumb"]) not in page


def test_the_partial_reads_a_bounded_number_of_queries(
    org, practitioner, patient, session, django_assert_max_num_queries
):
    client = client_for(practitioner)
    client.get(views_url(session))
    # measured: 7 at both sizes (sign-in 2, session, photos, charted areas, session
    # number, the audit event)
    with django_assert_max_num_queries(7):
        client.get(views_url(session))
    for _ in range(6):
        take(org, practitioner, patient, "submental-front", session)
        take(org, practitioner, patient, "submental-profile", session)
        take(org, practitioner, patient, "face-front")
    with django_assert_max_num_queries(7):
        page = client.get(views_url(session)).content.decode()
    assert "All 2 standard views taken" in page


# --- the baseline before the first sign-off ----------------------------------------


def test_the_service_refuses_the_first_session_until_the_views_are_taken(
    org, practitioner, patient, session
):
    with acting_for(org), pytest.raises(sessions.SessionRefused) as refused:
        sessions.sign(practitioner, TreatmentSession.objects.get(pk=session.pk))
    assert f"{NEEDS}: 0 of 2 taken — missing: {FRONT}; {PROFILE}." == str(refused.value)
    take(org, practitioner, patient, "submental-front", session)
    with acting_for(org), pytest.raises(sessions.SessionRefused) as refused:
        sessions.sign(practitioner, TreatmentSession.objects.get(pk=session.pk))
    assert f"1 of 2 taken — missing: {PROFILE}." in str(refused.value)
    take(org, practitioner, patient, "submental-profile", session)
    with acting_for(org):
        assert sessions.sign(practitioner, TreatmentSession.objects.get(pk=session.pk))
    assert is_signed(org)


def test_the_page_shows_the_refusal_next_to_the_sign_button(org, practitioner, session):
    client = client_for(practitioner)
    response = client.post(sign_url(session))
    page = response.content.decode()
    assert response.status_code == 400 and not is_signed(org)
    refusal = page.index('class="error-box refusal"')
    assert refusal < page.index(NEEDS) < page.index("Confirm and sign")
    assert page.count(NEEDS) == 1  # the refusal, not the requirement again
    take_baseline_photos(org, practitioner, session)
    assert client.post(sign_url(session)).status_code == 302 and is_signed(org)


def test_the_confirmation_states_the_requirement_before_the_press(
    org, practitioner, patient, session
):
    take(org, practitioner, patient, "submental-profile", session)
    page = client_for(practitioner).get(sign_url(session)).content.decode()
    assert "Before signing" in page
    assert f"{NEEDS}: 1 of 2 taken — missing: {FRONT}." in page
    take(org, practitioner, patient, "submental-front", session)
    page = client_for(practitioner).get(sign_url(session)).content.decode()
    assert NEEDS not in page and "Before signing" not in page


def test_a_voided_photo_does_not_count(org, practitioner, patient, session):
    take_baseline_photos(org, practitioner, session)
    front = take(org, practitioner, patient, "submental-front", session)
    with acting_for(org):
        # Both front photos voided: the view has none left.
        for photo in services.Photo.objects.filter(view="submental-front"):
            services.void_photo(practitioner, photo, "Blurred")
    assert front.pk
    response = client_for(practitioner).post(sign_url(session))
    assert response.status_code == 400 and f"missing: {FRONT}." in response.content.decode()
    assert not is_signed(org)


def test_a_photo_of_the_patient_taken_before_at_no_session_counts(
    org, practitioner, patient, session
):
    take(org, practitioner, patient, "submental-front")
    take(org, practitioner, patient, "submental-profile")
    assert client_for(practitioner).post(sign_url(session)).status_code == 302
    assert is_signed(org)


def test_another_patients_photos_do_not_count(org, practitioner, make_patient, session):
    other = make_patient(first_name="Bea")
    give_photo_consent(org, practitioner, other)
    take(org, practitioner, other, "submental-front")
    take(org, practitioner, other, "submental-profile")
    assert client_for(practitioner).post(sign_url(session)).status_code == 400
    assert not is_signed(org)


def test_a_protocol_without_the_requirement_signs_without_photos(org, site, practitioner, patient):
    plan = consent_to(
        org,
        practitioner,
        patient,
        [{"concern": "pain", "area": "knees", "protocol": "pain-point-by-point"}],
    )
    client = client_for(practitioner)
    assert post_start(client, plan, site).status_code == 302
    lot = receive_lot(org, site, practitioner, "LID-1", product="lidocaine-1pct-5ml")
    charted = post_chart(
        client,
        only_session(org),
        lot,
        area="knees",
        technique="point-by-point",
        volume_ml="1",
        injections="5",
        depth_mm="4",
        needle_length_mm="4",
    )
    assert charted.status_code == 200, charted.content.decode()[-1500:]
    page = client.get(sign_url(only_session(org))).content.decode()
    assert "baseline photos" not in page
    assert client.post(sign_url(only_session(org))).status_code == 302 and is_signed(org)


def test_a_later_session_of_the_course_signs_without_new_photos(
    org, site, practitioner, patient, consented_plan, session
):
    with acting_for(org):
        version = TreatmentSession.objects.get(pk=session.pk).plan_version
    signed = {"status": "signed", "signed_at": timezone.now(), "signed_by": practitioner}
    make_session(
        org,
        patient,
        site,
        practitioner,
        days_ago=40,
        plan=consented_plan,
        plan_version=version,
        **signed,
    )
    with acting_for(org):
        assert sessions.sign(practitioner, TreatmentSession.objects.get(pk=session.pk))
