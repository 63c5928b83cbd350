"""The treatment day: pre-check, charting with lots against limits, sign-off, amendments."""

import html
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mesoclinic.accounts.models import Site
from mesoclinic.notifications.models import Message
from mesoclinic.plans.models import Plan, PlanStatus
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import (
    FollowUpTask,
    Lot,
    SessionAmendment,
    SessionArea,
    SessionStatus,
    TreatmentSession,
)
from tests.factories import (
    ADHOC,
    client_for,
    only_session,
    post_chart,
    post_start,
    post_start_adhoc,
    receive_lot,
    run_worker,
    take_baseline_photos,
)


def test_session_starts_from_a_consented_plan_with_todays_answers(
    org, site, practitioner, consented_plan
):
    response = post_start(client_for(practitioner), consented_plan, site)
    session = only_session(org)
    assert response["Location"] == reverse("session_detail", args=[session.public_id])
    assert (
        session.precheck["pregnancy"] == "no"
        and session.precheck["numbing"]["product"] == "emla-cream-5g"
    )
    assert session.consent is not None and session.plan_version.number == 1
    with acting_for(org):
        assert Plan.objects.get(pk=consented_plan.pk).status == PlanStatus.ACTIVE


def test_a_patient_recorded_as_male_is_not_asked_about_pregnancy(
    org, site, practitioner, consented_plan, patient
):
    client = client_for(practitioner)
    start = reverse("session_start", args=[consented_plan.public_id])
    asked = client.get(start).content.decode()
    assert "pregnant or breastfeeding" in asked and "record: pregnancy," in asked
    with acting_for(org):
        patient.sex = "M"
        patient.save(update_fields=["sex"])
    page = client.get(start).content.decode()
    assert "pregnant or breastfeeding" not in page and 'name="pregnancy"' not in page
    assert "record: infection in the areas" in page  # the help asks nothing of pregnancy
    # An answer posted anyway (an old form) is not taken as asked.
    response = post_start(client, consented_plan, site, pregnancy="pregnant")
    assert response.status_code == 302, response.content.decode()[:2000]
    session = only_session(org)
    assert session.precheck["pregnancy"] == "not-asked"
    shown = client.get(reverse("session_detail", args=[session.public_id])).content.decode()
    assert "Not asked: recorded as male" in shown and "EMLA" in shown


def test_the_start_page_offers_the_site_where_the_patient_is_seen(
    org, site, practitioner, consented_plan, patient
):
    client = client_for(practitioner)
    start = reverse("session_start", args=[consented_plan.public_id])
    with acting_for(org):
        annex = Site.objects.create(organization=org, name="Zeta annex")
        practitioner.sites.add(site)
    selected = f'<option value="{site.pk}" selected>Main site</option>'
    assert selected in client.get(start).content.decode()  # the practitioner's site
    with acting_for(org):
        patient.home_site = annex
        patient.save(update_fields=["home_site"])
    page = client.get(start).content.decode()
    assert f'<option value="{annex.pk}" selected>Zeta annex</option>' in page
    assert "---" not in page


def test_the_pregnancy_question_must_be_answered_for_other_patients(
    org, site, practitioner, consented_plan
):
    response = post_start(client_for(practitioner), consented_plan, site, pregnancy="")
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_pregnancy_declared_today_stops_a_lipolysis_session(
    org, site, practitioner, consented_plan
):
    response = post_start(client_for(practitioner), consented_plan, site, pregnancy="pregnant")
    assert response.status_code == 400
    assert "must not be used during pregnancy" in response.content.decode()
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_infection_seen_today_in_the_area_stops_treatment(org, site, practitioner, consented_plan):
    response = post_start(
        client_for(practitioner), consented_plan, site, infected_areas=["submental"]
    )
    assert (
        response.status_code == 400
        and "Infection at the injection site" in response.content.decode()
    )


def test_no_session_without_a_valid_consent(org, site, practitioner, patient):
    with acting_for(org):
        plan = Plan.objects.create(
            patient=patient,
            created_by=practitioner,
            status=PlanStatus.APPROVED,
            inputs={"items": []},
        )
    response = post_start(client_for(practitioner), plan, site)
    assert response.status_code == 400 and "no valid consent" in response.content.decode()


def test_expired_and_recalled_lots_cannot_be_charted(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    expired = receive_lot(
        org, site, practitioner, "OLD-1", expires_on=date.today() - timedelta(days=1)
    )
    response = post_chart(client, session, expired, volume_ml="3.5")
    assert response.status_code == 400
    form = response.context["form"]
    assert "OLD-1 expired on" in form.errors["lot"][0]
    assert form["volume_ml"].value() == "3.5"  # what was typed is kept
    assert "Not usable today" in response.content.decode()
    recalled = receive_lot(org, site, practitioner, "BAD-1")
    with acting_for(org):
        Lot.objects.filter(pk=recalled.pk).update(
            recalled_at="2026-01-01T00:00Z", recall_reason="contaminated"
        )
    assert post_chart(client, session, recalled).status_code == 400
    with acting_for(org):
        assert not SessionArea.objects.exists()


def test_grade_a_limit_cannot_be_charted_past(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    lot = receive_lot(org, site, practitioner)
    assert post_chart(client, session, lot, volume_ml="8", injections="40").status_code == 200
    session = only_session(org)
    # Kybella: at most 10 mL and 50 injections per treatment (clinical-reference §3, grade A).
    over = post_chart(client, session, lot, volume_ml="4", injections="20")
    assert over.status_code == 400
    assert "exceeds the maximum of 10 mL" in over.content.decode()
    with acting_for(org):
        assert SessionArea.objects.count() == 1


def test_needle_geometry_bounds_the_recorded_depth(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner)
    response = post_chart(
        client, only_session(org), lot, depth_mm="6", needle_length_mm="4", needle_angle_deg="30"
    )
    assert response.status_code == 400
    assert "reaches at most 2.0 mm" in response.content.decode()


def test_signing_locks_the_record_takes_stock_once_and_sends_aftercare(
    org, site, practitioner, consented_plan, django_capture_on_commit_callbacks
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner)
    post_chart(client, only_session(org), lot, volume_ml="3")
    session = only_session(org)
    take_baseline_photos(org, practitioner, session)
    sign = reverse("session_sign", args=[session.public_id])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(sign).status_code == 302
        assert client.post(sign).status_code == 302  # a resubmitted form changes nothing
    with acting_for(org):
        lot.refresh_from_db()
    assert lot.vials_used == 2  # 3 mL from 2 mL vials: two vials opened, once
    session = only_session(org)
    assert session.status == SessionStatus.SIGNED and session.signed_by == practitioner
    assert "No vigorous exercise for 48 hours." in session.aftercare  # seed 000 base sheet
    assert mail.outbox == []  # the email leaves the request: the worker sends it
    run_worker()
    body = mail.outbox[0].body
    assert len(mail.outbox) == 1 and body.count("Seek care at once for intense pain") == 1
    assert mail.outbox[0].to == ["anna@example.com"]
    # Logged on the messages page like every message (notifications registers the sender).
    [logged] = Message.all_orgs.all()
    assert (logged.kind, logged.status, logged.patient_id) == (
        "aftercare",
        "sent",
        session.patient_id,
    )
    with acting_for(org):
        assert FollowUpTask.objects.filter(session=session, assigned_to=practitioner).exists()
    assert post_chart(client, session, lot).status_code == 400
    page = client.get(reverse("session_detail", args=[session.public_id])).content.decode()
    assert "min from start to sign-off" in page


def test_no_code_path_can_change_a_signed_session(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner)
    post_chart(client, only_session(org), lot)
    take_baseline_photos(org, practitioner, only_session(org))
    client.post(reverse("session_sign", args=[only_session(org).public_id]))
    with acting_for(org):
        area = SessionArea.objects.get()
        area.volume_ml = 1
        with pytest.raises(DatabaseError), transaction.atomic():
            area.save()
        with pytest.raises(DatabaseError), transaction.atomic():
            SessionArea.objects.all().delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            TreatmentSession.objects.update(weight_kg=99)
        with pytest.raises(DatabaseError), transaction.atomic():
            TreatmentSession.objects.all().delete()
        assert SessionArea.objects.get().volume_ml == 4


def test_amendments_keep_the_original(org, site, practitioner, esthetician, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    post_chart(client, only_session(org), receive_lot(org, site, practitioner))
    session = only_session(org)
    take_baseline_photos(org, practitioner, session)
    client.post(reverse("session_sign", args=[session.public_id]))
    nurse = client_for(esthetician)
    bad = nurse.post(
        reverse("session_amend", args=[session.public_id]), {"text": "x", "reason": ""}
    )
    assert bad.status_code == 400
    nurse.post(
        reverse("session_amend", args=[session.public_id]),
        {"text": "Depth was 5 mm, not 6 mm.", "reason": "Typing error"},
    )
    with acting_for(org):
        amendment = SessionAmendment.objects.get()
        assert SessionArea.objects.get().depth_mm == 6
    assert amendment.author == esthetician
    body = client.get(reverse("session_detail", args=[session.public_id])).content.decode()
    assert "Depth was 5 mm, not 6 mm." in body and "6.0 mm" in body


def test_voiding_needs_a_practitioner_and_a_reason(
    org, site, practitioner, esthetician, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    url = reverse("session_void", args=[session.public_id])
    assert client_for(esthetician).post(url, {"reason": "wrong patient"}).status_code == 403
    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "Charted on the wrong patient"})
    session = only_session(org)
    assert (
        session.status == SessionStatus.VOIDED
        and session.void_reason == "Charted on the wrong patient"
    )


def test_aftercare_pdf_for_a_signed_session(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    post_chart(client, only_session(org), receive_lot(org, site, practitioner))
    session = only_session(org)
    assert client.get(reverse("session_aftercare", args=[session.public_id])).status_code == 400
    take_baseline_photos(org, practitioner, session)
    client.post(reverse("session_sign", args=[session.public_id]))
    response = client.get(reverse("session_aftercare_pdf", args=[session.public_id]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


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
def test_session_page_by_role(personas, role, expected, org, site, practitioner, consented_plan):
    post_start(client_for(practitioner), consented_plan, site)
    session = only_session(org)
    assert (
        client_for(personas[role])
        .get(reverse("session_detail", args=[session.public_id]))
        .status_code
        == expected
    )


def test_reception_sees_that_a_session_happened_not_what_was_injected(
    org, site, practitioner, reception, consented_plan, patient
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    post_chart(client, only_session(org), receive_lot(org, site, practitioner))
    body = (
        client_for(reception)
        .get(reverse("patient_detail", args=[patient.public_id]))
        .content.decode()
    )
    assert "In progress" in body
    assert "DCA-001" not in body and "Deoxycholic" not in body


@pytest.mark.parametrize("name", ["session_chart", "session_sign", "session_amend", "session_void"])
def test_outsider_cannot_touch_a_session(org, site, practitioner, outsider, consented_plan, name):
    post_start(client_for(practitioner), consented_plan, site)
    session = only_session(org)
    response = client_for(outsider).post(
        reverse(name, args=[session.public_id]), {"reason": "xxxx"}
    )
    assert response.status_code == 404
    assert only_session(org).status == SessionStatus.IN_PROGRESS


def test_session_page_queries_stay_bounded_as_points_grow(
    org, site, practitioner, consented_plan, django_assert_max_num_queries
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    lots = [receive_lot(org, site, practitioner, f"L{i}", vials=500) for i in range(3)]
    with acting_for(org):
        SessionArea.objects.bulk_create(
            [
                SessionArea(
                    organization=org,
                    session=session,
                    area="submental",
                    technique="hypodermic",
                    lot=lots[i % 3],
                    volume_ml="0.01",
                    injections=1,
                    points=[[i, i]],
                )
                for i in range(500)
            ]
        )
    client.get(reverse("home"))
    with django_assert_max_num_queries(30):
        client.get(reverse("session_detail", args=[session.public_id]))


def test_site_is_from_the_users_organization(org, other_org, practitioner, consented_plan):
    foreign = Site.objects.create(organization=other_org, name="Elsewhere")
    response = post_start(client_for(practitioner), consented_plan, foreign)
    assert response.status_code == 400
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


# --- points on the diagram ------------------------------------------------------------------


def _row(org):
    with acting_for(org):
        return SessionArea.objects.get()


def _tap(client, session, row, x, y):
    return client.post(
        reverse("session_point", args=[session.public_id, row.public_id]), {"x": x, "y": y}
    )


def test_blank_count_takes_the_plans_points_and_taps_adjust_them(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    lot = receive_lot(org, site, practitioner)
    planned = session.plan_version.result["areas"][0]["points"]
    assert post_chart(client, session, lot, injections="", volume_ml="1").status_code == 200
    row = _row(org)
    assert row.points == planned and row.injections == len(planned)

    first = planned[0]
    page = _tap(client, session, row, first[0], first[1])
    assert page.status_code == 200
    assert f"{len(planned) - 1} done, 1 planned not done" in page.content.decode()
    assert _row(org).injections == len(planned) - 1

    _tap(client, session, row, first[0], first[1])
    assert _row(org).injections == len(planned)

    outline = session.plan_version.result["areas"][0]["outline"]
    cx = sum(p[0] for p in outline) / len(outline)
    cy = sum(p[1] for p in outline) / len(outline)
    _tap(client, session, row, cx + 0.3, cy + 0.3)
    assert _row(org).injections == len(planned) + 1

    refused = _tap(client, session, row, -4000, -4000)
    assert refused.status_code == 400
    assert "outside the area" in refused.content.decode()
    assert _row(org).injections == len(planned) + 1


def test_points_of_a_signed_session_cannot_be_tapped(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    post_chart(client, session, receive_lot(org, site, practitioner), injections="", volume_ml="1")
    take_baseline_photos(org, practitioner, session)
    client.post(reverse("session_sign", args=[session.public_id]))
    row = _row(org)
    x, y = row.points[0]
    response = _tap(client, session, row, x, y)
    assert response.status_code == 400
    assert _row(org).points == row.points


@pytest.mark.parametrize("role,expected", [("reception", 403), ("esthetician", 200)])
def test_point_taps_by_role(personas, role, expected, org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site, supervised_by=practitioner.pk)
    session = only_session(org)
    post_chart(client, session, receive_lot(org, site, practitioner), injections="", volume_ml="1")
    row = _row(org)
    x, y = row.points[0]
    assert _tap(client_for(personas[role]), session, row, x, y).status_code == expected


def test_an_unsupervised_esthetician_cannot_tap_a_prescription_product(
    org, site, practitioner, esthetician, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    post_chart(client, session, receive_lot(org, site, practitioner), injections="", volume_ml="1")
    row = _row(org)
    x, y = row.points[0]
    refused = _tap(client_for(esthetician), session, row, x, y)
    assert refused.status_code == 400
    assert "Deoxycholic acid is a prescription medicine" in refused.content.decode()
    assert _row(org).points == row.points


def test_outsider_cannot_tap_points(org, site, practitioner, outsider, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    post_chart(client, session, receive_lot(org, site, practitioner), injections="", volume_ml="1")
    row = _row(org)
    x, y = row.points[0]
    assert _tap(client_for(outsider), session, row, x, y).status_code == 404
    assert _row(org).points == row.points


def test_session_page_queries_do_not_grow_with_points_on_one_area(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    post_chart(client, session, receive_lot(org, site, practitioner), injections="", volume_ml="1")
    row = _row(org)
    url = reverse("session_detail", args=[session.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with acting_for(org):
        SessionArea.objects.filter(pk=row.pk).update(
            points=[[i / 10, i / 10] for i in range(500)], injections=500
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert "500 done" in page.content.decode()
    assert len(many) == len(few)


def test_chart_form_starts_with_the_next_planned_area(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    planned = session.plan_version.result["areas"][0]
    form = client.get(reverse("session_detail", args=[session.public_id])).context["form"]
    assert form["area"].value() == "submental"
    assert form["technique"].value() == planned["technique"]
    assert form["depth_mm"].value() == planned["depth_mm"]


def test_two_staff_charting_at_once_lose_nothing(
    org, site, practitioner, esthetician, consented_plan
):
    post_start(client_for(practitioner), consented_plan, site, supervised_by=practitioner.pk)
    session = only_session(org)  # both open the page at the same lock version
    lot = receive_lot(org, site, practitioner)
    assert post_chart(client_for(practitioner), session, lot, volume_ml="1").status_code == 200
    late = post_chart(client_for(esthetician), session, lot, volume_ml="1.5", depth_mm="5")
    assert late.status_code == 400
    assert "Someone else charted in this session meanwhile" in late.content.decode()
    form = late.context["form"]
    assert form["volume_ml"].value() == "1.5" and form["depth_mm"].value() == "5"
    assert "1.00 mL" in late.content.decode()  # the other entry is shown
    again = {k: v for k, v in form.data.items() if k != "csrfmiddlewaretoken"}
    resent = client_for(esthetician).post(reverse("session_chart", args=[session.public_id]), again)
    assert resent.status_code == 200
    with acting_for(org):
        assert SessionArea.objects.count() == 2


# --- ad hoc sessions ------------------------------------------------------------------------


def test_practitioner_treats_without_a_plan_with_a_reason(org, site, practitioner, patient):
    client = client_for(practitioner)
    response = post_start_adhoc(client, patient, site)
    assert response.status_code == 302
    session = only_session(org)
    assert session.plan is None and session.adhoc_reason == ADHOC["reason"]
    assert [a["area"] for a in session.precheck["areas"]] == ["submental"]
    page = client.get(reverse("session_detail", args=[session.public_id]))
    assert "ad hoc: Touch-up agreed" in page.content.decode()
    assert page.context["form"]["area"].value() == "submental"
    lot = receive_lot(org, site, practitioner)
    assert post_chart(client, session, lot, injections="", volume_ml="1").status_code == 200
    assert _row(org).injections == len(session.precheck["areas"][0]["points"])
    client.post(reverse("session_sign", args=[session.public_id]))
    assert "No vigorous exercise for 48 hours." in only_session(org).aftercare


def test_without_a_plan_the_engine_still_stops_pregnancy(org, site, practitioner, patient):
    response = post_start_adhoc(client_for(practitioner), patient, site, pregnancy="pregnant")
    assert response.status_code == 400
    assert "stops treatment" in response.content.decode()
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_treating_without_a_plan_needs_a_reason(org, site, practitioner, patient):
    response = post_start_adhoc(client_for(practitioner), patient, site, reason="")
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert response.context["form"]["concern"].value() == "localized-fat"


@pytest.mark.parametrize(
    "role,expected",
    [("owner", 400), ("practitioner", 302), ("esthetician", 403), ("reception", 403)],
)
def test_who_may_treat_without_a_plan(personas, role, expected, site, patient):
    """The demo owner holds no clinical licence: owning the clinic is not a licence to treat."""
    response = post_start_adhoc(client_for(personas[role]), patient, site)
    assert response.status_code == expected
    if role == "owner":
        assert "no valid clinical licence" in response.content.decode()


def test_outsider_cannot_start_a_session_for_our_patient(outsider, site, patient):
    assert post_start_adhoc(client_for(outsider), patient, site).status_code == 404


def test_the_lot_picker_lists_the_plans_products_first(org, site, practitioner, consented_plan):
    """The submental plan uses deoxycholic acid: its lot heads the picker, the rest of the
    shelf follows under its own heading, and both can be charted."""
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    session = only_session(org)
    receive_lot(org, site, practitioner, "HA-77", product="ha-noncrosslinked-2ml")
    receive_lot(org, site, practitioner, "DCA-55")
    page = html.unescape(client.get(reverse("session_detail", args=[session.public_id])).text)
    picker = page[page.index('name="lot"') : page.index("</select>", page.index('name="lot"'))]
    plan_group = picker.index('label="In this session\'s plan"')
    others = picker.index('label="Other lots usable at this site"')
    assert plan_group < picker.index("DCA-55") < others < picker.index("HA-77")
