"""Consent from the portal (issue 16): the patient reads and signs their approved plan's
consent at home and the practitioner countersigns at the visit; questions to the clinic
about it; the clinic's cooling-off period before a plan's first session; and the tablet
handed to the patient in kiosk mode, given back with the staff member's password."""

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Organization
from mesoclinic.audit.models import AuditEvent
from mesoclinic.plans.models import Consent, Plan, PlanStatus
from mesoclinic.portal.consents import SIGNED_AT_HOME
from mesoclinic.portal.models import ConsentMessage
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import sessions
from mesoclinic.treatments.models import SessionStatus, TreatmentSession
from tests.factories import (
    SIGNATURE,
    client_for,
    consent_to,
    only_session,
    post_start,
)

SUBMENTAL = [{"concern": "localized-fat", "area": "submental"}]
STAFF_PASSWORD = "correct horse battery"  # tests.factories.make_user's


@pytest.fixture
def me(org, reception, patient):
    from tests.test_portal import portal_user

    return portal_user(org, reception, patient)


@pytest.fixture
def other_patient_user(org, reception, make_patient):
    from tests.test_portal import portal_user

    other = make_patient(first_name="Berta", last_name="Other", email="berta@example.com")
    return portal_user(org, reception, other)


def sign_page(client, plan):
    return client.get(reverse("portal_consent", args=[plan.public_id]))


def post_sign(client, url, page, **changes):
    data = {
        "typed_name": "Anna García",
        "signature": SIGNATURE,
        "understood": "on",
        "text_hash": page.context["text_hash"],
        **changes,
    }
    return client.post(url, data)


def consents_of(org, plan):
    with acting_for(org):
        return list(Consent.objects.filter(plan=plan).select_related("created_by"))


# --- Signing at home ---------------------------------------------------------------------


def test_the_patient_signs_at_home_the_text_the_clinic_shows_and_the_practitioner_countersigns(
    org, practitioner, approved_plan, me
):
    client = client_for(me)
    home = client.get(reverse("portal_home")).content.decode()
    url = reverse("portal_consent", args=[approved_plan.public_id])
    assert "Your consent to read and sign" in home and url in home
    page = sign_page(client, approved_plan)
    clinic = client_for(practitioner).get(reverse("consent_new", args=[approved_plan.public_id]))
    # The same document, word for word: the same plan version and consent wording.
    assert page.context["text_hash"] == clinic.context["text_hash"]
    assert page.context["blocks"] == clinic.context["blocks"]
    assert "Sign consent" in page.content.decode()

    response = post_sign(client, url, page)
    assert response.status_code == 302 and response["Location"] == url
    after = client.get(url).content.decode()
    assert "You signed this consent on" in after and "countersigns it at your visit" in after
    [consent] = consents_of(org, approved_plan)
    assert consent.created_by == me and consent.signed_at_home
    assert consent.patient_typed_name == "Anna García" and consent.countersigned_at is None

    staff = client_for(practitioner)
    detail = staff.get(reverse("consent_detail", args=[consent.public_id])).content.decode()
    signed_on = timezone.localtime(consent.patient_signed_at)
    assert (
        f"Signed by the patient at home on {signed_on.day} {signed_on:%b %Y}, "
        "waiting for your countersignature." in detail
    )
    staff.post(reverse("consent_countersign", args=[consent.public_id]))
    with acting_for(org):
        assert Plan.objects.get(pk=approved_plan.pk).status == PlanStatus.CONSENTED
    assert "countersigned by Dr Pia Prax" in client.get(url).content.decode()
    home = client.get(reverse("portal_home")).content.decode()
    assert "Your consent to read and sign" not in home


def test_a_consent_signed_on_the_clinic_tablet_is_not_said_to_be_signed_at_home(
    org, practitioner, signed_consent
):
    detail = client_for(practitioner).get(
        reverse("consent_detail", args=[signed_consent.public_id])
    )
    page = detail.content.decode()
    assert "at home" not in page and "waiting for a practitioner" in page


def test_signing_twice_makes_one_consent(org, approved_plan, me):
    client = client_for(me)
    url = reverse("portal_consent", args=[approved_plan.public_id])
    page = sign_page(client, approved_plan)
    first = post_sign(client, url, page)
    second = post_sign(client, url, page)
    assert first.status_code == second.status_code == 302
    assert len(consents_of(org, approved_plan)) == 1


def test_the_signature_service_returns_the_first_consent_when_sent_twice(org, approved_plan, me):
    from mesoclinic.portal import consents as home
    from mesoclinic.portal.services import account_of

    with acting_for(org):
        account = account_of(me)
        page_hash = home.document(account, approved_plan).text_hash
        first = home.sign(
            me, account, approved_plan, "Anna García", SIGNATURE, shown_hash=page_hash
        )
        again = home.sign(
            me, account, approved_plan, "Anna García", SIGNATURE, shown_hash=page_hash
        )
    assert first.pk == again.pk


def test_a_wrong_name_is_refused_next_to_the_field(org, approved_plan, me):
    client = client_for(me)
    url = reverse("portal_consent", args=[approved_plan.public_id])
    response = post_sign(client, url, sign_page(client, approved_plan), typed_name="Anna Smith")
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_typed_name_error"' in page
    assert "Type your full name as recorded: Anna García." in page
    assert consents_of(org, approved_plan) == []


def test_a_missing_signature_is_refused(org, approved_plan, me):
    client = client_for(me)
    url = reverse("portal_consent", args=[approved_plan.public_id])
    response = post_sign(client, url, sign_page(client, approved_plan), signature="")
    assert response.status_code == 400
    assert "Please sign in the box" in response.content.decode()
    assert consents_of(org, approved_plan) == []


def test_another_patients_plan_is_not_found(org, approved_plan, me, other_patient_user):
    client = client_for(other_patient_user)
    url = reverse("portal_consent", args=[approved_plan.public_id])
    assert client.get(url).status_code == 404
    post = client.post(url, {"typed_name": "Anna García", "signature": SIGNATURE})
    assert post.status_code == 404
    ask = reverse("portal_consent_ask", args=[approved_plan.public_id])
    assert (
        client.post(ask, {"body": "Hello?", "submission_key": str(uuid.uuid4())}).status_code == 404
    )
    assert consents_of(org, approved_plan) == []
    with acting_for(org):
        assert not ConsentMessage.objects.exists()


def test_a_draft_plan_has_no_consent_page(org, practitioner, patient, me):
    from tests.factories import plan_in_status

    draft = plan_in_status(org, patient, practitioner)
    assert client_for(me).get(reverse("portal_consent", args=[draft.public_id])).status_code == 404


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician", "reception"])
def test_staff_get_403_on_the_portal_consent_pages(personas, approved_plan, role):
    client = client_for(personas[role])
    url = reverse("portal_consent", args=[approved_plan.public_id])
    assert client.get(url).status_code == 403
    ask = reverse("portal_consent_ask", args=[approved_plan.public_id])
    assert client.post(ask, {"body": "x", "submission_key": str(uuid.uuid4())}).status_code == 403


def test_signing_at_home_is_audited_with_the_patient_as_actor(org, approved_plan, me):
    client = client_for(me)
    url = reverse("portal_consent", args=[approved_plan.public_id])
    post_sign(client, url, sign_page(client, approved_plan))
    [consent] = consents_of(org, approved_plan)
    with acting_for(org):
        viewed = AuditEvent.objects.get(object_id=str(approved_plan.public_id), action="view")
        signed = AuditEvent.objects.get(object_id=str(consent.public_id), action="create")
    assert viewed.actor == me and viewed.detail == "consent (portal)"
    assert signed.actor == me and signed.detail == SIGNED_AT_HOME


# --- Questions to the clinic ---------------------------------------------------------------


def ask(client, plan, body, key=None):
    return client.post(
        reverse("portal_consent_ask", args=[plan.public_id]),
        {"body": body, "submission_key": str(key or uuid.uuid4())},
    )


def test_a_question_from_home_is_answered_by_the_clinic_and_the_patient_reads_the_answer(
    org, practitioner, approved_plan, me
):
    client = client_for(me)
    sent = ask(client, approved_plan, "Will it bruise before my wedding on the 20th?")
    assert sent.status_code == 302
    staff = client_for(practitioner)
    panel_url = reverse("consent_questions", args=[approved_plan.public_id])
    sign_page_html = staff.get(reverse("consent_new", args=[approved_plan.public_id]))
    assert panel_url in sign_page_html.content.decode()
    panel = staff.get(panel_url).content.decode()
    assert "1 open" in panel and "Will it bruise before my wedding on the 20th?" in panel
    with acting_for(org):
        question = ConsentMessage.objects.get()
    answered = staff.post(
        reverse("consent_question_answer", args=[question.public_id]),
        {
            "body": "Bruises fade in about a week: book at least two weeks before.",
            "submission_key": str(uuid.uuid4()),
        },
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "open</span>" not in answered and "Send answer" not in answered
    assert "Bruises fade in about a week" in answered
    page = client.get(reverse("portal_consent", args=[approved_plan.public_id])).content.decode()
    assert "Will it bruise before my wedding" in page
    assert "Dr Pia Prax, Test Clinic" in page and "Bruises fade in about a week" in page


def test_a_question_sent_twice_is_kept_once_and_an_empty_one_is_refused(org, approved_plan, me):
    client = client_for(me)
    key = uuid.uuid4()
    ask(client, approved_plan, "Is it painful?", key)
    ask(client, approved_plan, "Is it painful?", key)
    empty = ask(client, approved_plan, "   ")
    assert empty.status_code == 400 and 'id="id_body_error"' in empty.content.decode()
    with acting_for(org):
        assert ConsentMessage.objects.count() == 1


def test_questions_and_answers_are_kept_as_written(org, practitioner, approved_plan, me):
    ask(client_for(me), approved_plan, "Is it painful?")
    with acting_for(org):
        question = ConsentMessage.objects.get()
        with pytest.raises(DatabaseError), transaction.atomic():
            ConsentMessage.objects.filter(pk=question.pk).update(body="Something else")
        with pytest.raises(DatabaseError), transaction.atomic():
            ConsentMessage.objects.filter(pk=question.pk).delete()
        assert ConsentMessage.objects.get().body == "Is it painful?"


def test_reception_cannot_answer_or_read_consent_questions(org, reception, approved_plan, me):
    ask(client_for(me), approved_plan, "Is it painful?")
    with acting_for(org):
        question = ConsentMessage.objects.get()
    client = client_for(reception)
    answer = reverse("consent_question_answer", args=[question.public_id])
    assert (
        client.post(answer, {"body": "No", "submission_key": str(uuid.uuid4())}).status_code == 403
    )
    panel = reverse("consent_questions", args=[approved_plan.public_id])
    assert client.get(panel).status_code == 403


def test_questions_and_answers_are_audited_with_their_authors(org, practitioner, approved_plan, me):
    ask(client_for(me), approved_plan, "Is it painful?")
    with acting_for(org):
        question = ConsentMessage.objects.get()
    client_for(practitioner).post(
        reverse("consent_question_answer", args=[question.public_id]),
        {"body": "A little.", "submission_key": str(uuid.uuid4())},
    )
    with acting_for(org):
        found = {
            e.detail: e.actor
            for e in AuditEvent.objects.filter(object_type="consentmessage", action="create")
        }
    assert found == {
        "consent question (portal)": me,
        "answer to a consent question": practitioner,
    }


# --- Kiosk mode ----------------------------------------------------------------------------


def hand_over(client, plan):
    return client.post(reverse("consent_kiosk_start", args=[plan.public_id]))


def test_hand_to_patient_shows_only_the_consent_and_the_patient_signs_there(
    org, practitioner, approved_plan
):
    client = client_for(practitioner)
    sign_page_html = client.get(reverse("consent_new", args=[approved_plan.public_id]))
    assert "Hand to patient" in sign_page_html.content.decode()
    response = hand_over(client, approved_plan)
    assert response["Location"] == reverse("consent_kiosk")
    page = client.get(reverse("consent_kiosk"))
    html = page.content.decode()
    assert "Your consent, Anna García" in html and "Give back to the clinic" in html
    assert reverse("patient_list") not in html and "Log out" not in html  # no staff navigation
    signed = post_sign(client, reverse("consent_kiosk"), page)
    assert signed["Location"] == reverse("consent_kiosk")
    assert (
        "Thank you: your consent is signed" in client.get(reverse("consent_kiosk")).content.decode()
    )
    [consent] = consents_of(org, approved_plan)
    assert consent.created_by == practitioner and not consent.signed_at_home


def test_the_kiosk_keeps_the_tablet_away_from_every_other_staff_page(
    practitioner, approved_plan, patient
):
    client = client_for(practitioner)
    hand_over(client, approved_plan)
    for url in (
        reverse("home"),
        reverse("patient_list"),
        reverse("patient_detail", args=[patient.public_id]),
        reverse("consent_new", args=[approved_plan.public_id]),
        reverse("clinic_settings"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("consent_kiosk"), url
    assert client.post(reverse("logout"))["Location"] == reverse("consent_kiosk")


def test_a_wrong_password_keeps_the_kiosk_and_the_right_one_gives_the_tablet_back(
    org, practitioner, approved_plan
):
    client = client_for(practitioner)
    hand_over(client, approved_plan)
    wrong = client.post(reverse("consent_kiosk_leave"), {"password": "guess"}, follow=True)
    assert wrong.redirect_chain[-1][0] == reverse("consent_kiosk")
    assert "That is not the password of Dr Pia Prax" in wrong.content.decode()
    assert client.get(reverse("patient_list"))["Location"] == reverse("consent_kiosk")
    right = client.post(reverse("consent_kiosk_leave"), {"password": STAFF_PASSWORD})
    assert right["Location"] == reverse("consent_new", args=[approved_plan.public_id])
    assert client.get(reverse("patient_list")).status_code == 200


def test_giving_back_after_signing_opens_the_consent_to_countersign(
    org, practitioner, approved_plan
):
    client = client_for(practitioner)
    hand_over(client, approved_plan)
    post_sign(client, reverse("consent_kiosk"), client.get(reverse("consent_kiosk")))
    [consent] = consents_of(org, approved_plan)
    right = client.post(reverse("consent_kiosk_leave"), {"password": STAFF_PASSWORD})
    assert right["Location"] == reverse("consent_detail", args=[consent.public_id])


def test_reception_cannot_hand_a_consent_over(reception, approved_plan):
    assert hand_over(client_for(reception), approved_plan).status_code == 403


def test_the_kiosk_hand_over_and_give_back_are_audited(org, practitioner, approved_plan):
    client = client_for(practitioner)
    hand_over(client, approved_plan)
    client.post(reverse("consent_kiosk_leave"), {"password": STAFF_PASSWORD})
    with acting_for(org):
        details = list(
            AuditEvent.objects.filter(object_id=str(approved_plan.public_id), actor=practitioner)
            .order_by("at")
            .values_list("detail", flat=True)
        )
    assert "consent handed to the patient (kiosk)" in details
    assert details[-1] == "tablet given back from the kiosk"


def test_a_wrong_kiosk_password_is_audited(org, practitioner, approved_plan):
    client = client_for(practitioner)
    hand_over(client, approved_plan)
    client.post(reverse("consent_kiosk_leave"), {"password": "guess"})
    with acting_for(org):
        failed = AuditEvent.objects.get(
            action="login_failed", object_id=str(approved_plan.public_id)
        )
    assert failed.actor == practitioner and failed.detail == "kiosk: wrong staff password"


@contextmanager
def clock_moved(monkeypatch, hours):
    """Django's clock moved by `hours` (negative: the past) inside the block."""
    real = timezone.now
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real() + timedelta(hours=hours))
        yield


def cooling_off(org, hours):
    Organization.objects.filter(pk=org.pk).update(cooling_off_hours=hours)


# --- Cooling-off -----------------------------------------------------------------------


def test_a_first_session_inside_the_cooling_off_period_is_refused_with_when(
    org, site, practitioner, patient
):
    cooling_off(org, 24)
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    client = client_for(practitioner)
    response = post_start(client, plan, site)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Consent was signed less than an hour ago; this clinic waits 24 hours" in page
    allowed = timezone.localtime(timezone.now() + timedelta(hours=24))
    assert f"treatment from {allowed.day} {allowed:%b}" in page
    with acting_for(org):
        assert not TreatmentSession.objects.exists()
    # Shown before anyone fills the form in, next to the button.
    shown = client.get(reverse("session_start", args=[plan.public_id])).content.decode()
    assert 'id="start-wait"' in shown and "this clinic waits 24 hours" in shown


def test_the_service_itself_refuses_a_start_inside_the_cooling_off_period(
    org, site, practitioner, patient
):
    cooling_off(org, 24)
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    check = sessions.Precheck(
        pregnancy="no",
        infected_areas=[],
        weight_kg=64,
        numbing_product="",
        numbing_applied_at="",
        photos_taken=True,
    )
    with acting_for(org), pytest.raises(sessions.SessionRefused, match="waits 24 hours"):
        practitioner.refresh_from_db()
        sessions.start(practitioner, plan, site, check)


def test_a_first_session_after_the_cooling_off_period_starts(
    org, site, practitioner, patient, monkeypatch
):
    cooling_off(org, 24)
    with clock_moved(monkeypatch, hours=-25):
        plan = consent_to(org, practitioner, patient, SUBMENTAL)
    response = post_start(client_for(practitioner), plan, site)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert only_session(org).plan_id == plan.pk


def test_three_hours_into_a_day_of_cooling_off_says_three_hours(
    org, site, practitioner, patient, monkeypatch
):
    cooling_off(org, 24)
    with clock_moved(monkeypatch, hours=-3):
        plan = consent_to(org, practitioner, patient, SUBMENTAL)
    page = post_start(client_for(practitioner), plan, site).content.decode()
    assert "Consent was signed 3 hours ago; this clinic waits 24 hours" in page


def test_no_cooling_off_by_default(org, site, practitioner, patient):
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    assert post_start(client_for(practitioner), plan, site).status_code == 302


def test_only_the_first_session_of_a_plan_waits(org, site, practitioner, patient):
    plan = consent_to(org, practitioner, patient, SUBMENTAL)
    assert post_start(client_for(practitioner), plan, site).status_code == 302
    with acting_for(org):
        TreatmentSession.objects.filter(plan=plan).update(
            status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=practitioner
        )
    cooling_off(org, 24)
    response = post_start(client_for(practitioner), plan, site)
    assert "this clinic waits" not in response.content.decode()
    with acting_for(org):
        assert TreatmentSession.objects.filter(plan=plan).count() == 2
        assert plan.__class__.objects.get(pk=plan.pk).status == PlanStatus.ACTIVE


def test_the_clinic_sets_its_cooling_off_period_in_the_settings(org, owner):
    client = client_for(owner)
    base = {"name": "Test Clinic", "currency": "USD", "tax_rate": "0", "jurisdiction": ""}
    too_long = client.post(reverse("clinic_settings"), {**base, "cooling_off_hours": "721"})
    assert too_long.status_code == 400
    assert "less than or equal to 720" in too_long.content.decode()
    saved = client.post(reverse("clinic_settings"), {**base, "cooling_off_hours": "24"})
    assert saved.status_code == 302
    org.refresh_from_db()
    assert org.cooling_off_hours == 24
    page = client.get(reverse("clinic_settings")).content.decode()
    assert "Cooling-off before the first treatment (hours)" in page
