"""The five attacks on the treatment day, through the pages and below them (issue 11).

Each test is a way a grade-A label limit used to be passed, charted and signed; now
the engine checks every act against what the patient actually received.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import charting, sessions
from mesoclinic.treatments.models import Lot, SessionArea, SessionStatus, TreatmentSession
from tests.factories import (
    ADHOC,
    client_for,
    draft_plan,
    post_chart,
    post_start,
    post_start_adhoc,
    receive_lot,
    reload_plan,
    take_baseline_photos,
)


def _latest(org):
    with acting_for(org):
        return TreatmentSession.objects.order_by("-started_at", "-id").first()


def _sign(client, session):
    return client.post(reverse("session_sign", args=[session.public_id]))


def _charted_and_signed(client, org, site, user, plan=None, patient=None, **chart):
    response = post_start(client, plan, site) if plan else post_start_adhoc(client, patient, site)
    assert response.status_code == 302, response.content.decode()[:2000]
    session = _latest(org)
    lot = chart.pop("lot", None) or receive_lot(org, site, user, number=f"L{session.pk}")
    assert post_chart(client, session, lot, **chart).status_code == 200
    take_baseline_photos(org, user, session)
    assert _sign(client, _latest(org)).status_code == 302
    return _latest(org)


def test_a_signed_plan_cannot_be_started_again_the_same_day(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    first = _charted_and_signed(client, org, site, practitioner, plan=consented_plan)
    assert first.is_signed
    again = post_start(client, consented_plan, site)
    page = again.content.decode()
    assert again.status_code == 400
    assert "Deoxycholic acid: last given" in page and "at least 30 days" in page
    assert "Earliest next treatment" in page
    with acting_for(org):
        assert TreatmentSession.objects.count() == 1


def test_two_ad_hoc_deoxycholic_sessions_the_same_day_are_refused(org, site, practitioner, patient):
    client = client_for(practitioner)
    _charted_and_signed(client, org, site, practitioner, patient=patient)
    again = post_start_adhoc(client, patient, site)
    assert again.status_code == 400 and "at least 30 days" in again.content.decode()


def test_a_second_open_session_for_the_patient_is_refused(org, site, practitioner, patient):
    client = client_for(practitioner)
    assert post_start_adhoc(client, patient, site).status_code == 302
    second = post_start_adhoc(client, patient, site)
    assert second.status_code == 400
    with acting_for(org):
        assert TreatmentSession.objects.filter(status=SessionStatus.IN_PROGRESS).count() == 1


PAIN = {
    **ADHOC,
    "concern": "pain",
    "areas": ["back"],
    "numbing_product": "",
    "numbing_amount_g": "",
    "weight_kg": "64",
}


def _pain_chart(client, session, lot, ml):
    return post_chart(
        client,
        session,
        lot,
        area="back",
        technique="point-by-point",
        volume_ml=str(ml),
        injections=str(round(ml / 0.15)),
        depth_mm="5",
        needle_length_mm="13",
        needle_angle_deg="90",
    )


def test_lidocaine_in_two_sessions_the_same_day_is_summed_against_one_cap(
    org, site, practitioner, patient
):
    client = client_for(practitioner)
    plain = receive_lot(org, site, practitioner, "LID-1", product="lidocaine-1pct-5ml", vials=20)
    epi = receive_lot(org, site, practitioner, "EPI-1", product="lidocaine-epi-1pct-20ml", vials=5)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**PAIN, "site": site.pk}).status_code == 302
    assert _pain_chart(client, _latest(org), plain, 15).status_code == 200  # 150 mg plain
    assert _sign(client, _latest(org)).status_code == 302
    # A second session on the hands fits as planned (27 mg)...
    hands = {**PAIN, "areas": ["hands"], "site": site.pk}
    assert client.post(url, hands).status_code == 302
    refused = post_chart(
        client,
        _latest(org),
        epi,
        area="hands",
        technique="point-by-point",
        volume_ml="30",
        injections="200",
        depth_mm="5",
    )  # ...but 300 mg more with epinephrine is 450 mg in 24 h
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "450 mg of lidocaine in all" in page and "within 24 hours" in page
    assert "448 mg" in page  # 7 mg/kg x 64 kg
    with acting_for(org):
        assert SessionArea.objects.count() == 1


def test_a_session_whose_plan_would_pass_the_24_hour_cap_does_not_start(
    org, site, practitioner, patient
):
    client = client_for(practitioner)
    plain = receive_lot(org, site, practitioner, "LID-4", product="lidocaine-1pct-5ml", vials=20)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**PAIN, "site": site.pk}).status_code == 302
    assert _pain_chart(client, _latest(org), plain, 25).status_code == 200  # 250 mg
    assert _sign(client, _latest(org)).status_code == 302
    again = client.post(url, {**PAIN, "site": site.pk})  # the back again: 214.5 mg planned
    assert again.status_code == 400
    assert "464.5 mg this session" not in again.content.decode()
    assert "within 24 hours" in again.content.decode()


def test_plain_lidocaine_and_lidocaine_with_epinephrine_are_summed_in_one_session(
    org, site, practitioner, make_patient
):
    patient = make_patient(weight_kg=90)
    client = client_for(practitioner)
    plain = receive_lot(org, site, practitioner, "LID-2", product="lidocaine-1pct-5ml", vials=20)
    epi = receive_lot(org, site, practitioner, "EPI-2", product="lidocaine-epi-1pct-20ml", vials=5)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**PAIN, "weight_kg": "90", "site": site.pk}).status_code == 302
    assert _pain_chart(client, _latest(org), plain, 30).status_code == 200  # 300 mg
    refused = _pain_chart(client, _latest(org), epi, 50)  # + 500 mg with epinephrine
    assert refused.status_code == 400
    assert "800 mg of lidocaine in all" in refused.content.decode()


def test_sign_off_rechecks_rows_written_below_the_views(org, site, practitioner, patient):
    """Five 10 mL deoxycholic-acid rows written through the ORM are not signed."""
    client = client_for(practitioner)
    assert post_start_adhoc(client, patient, site).status_code == 302
    session = _latest(org)
    lot = receive_lot(org, site, practitioner, vials=40)
    with acting_for(org):
        for _ in range(5):
            SessionArea.objects.create(
                session=session,
                lot=lot,
                area="submental",
                technique="hypodermic",
                volume_ml=10,
                injections=50,
                depth_mm=6,
            )
    with acting_for(org), pytest.raises(sessions.SessionRefused) as refused:
        sessions.sign(practitioner, session)
    assert "500 mg this session exceeds the limit of 100 mg" in str(refused.value)
    assert not _latest(org).is_signed
    # Through the page too: the refusal is shown, nothing is signed.
    page = _sign(client, session)
    assert page.status_code == 400 and "exceeds the limit of 100 mg" in page.content.decode()


def test_a_grade_b_limit_needs_a_real_reason_next_to_the_field(org, site, practitioner, patient):
    client = client_for(practitioner)
    lipo = {**ADHOC, "concern": "localized-fat", "areas": ["abdomen"]}
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**lipo, "site": site.pk}).status_code == 302
    session = _latest(org)
    lot = receive_lot(org, site, practitioner, "PCDC-1", product="pcdc-5ml", vials=20)
    chart = dict(area="abdomen", technique="hypodermic", volume_ml="60", injections="200")
    missing = post_chart(client, session, lot, **chart)  # 3,000 mg PC against 2,500 (grade B)
    assert missing.status_code == 400
    errors = missing.context["form"].errors["override_reason"][0]
    assert "3,000 mg this session exceeds the limit of 2,500 mg" in errors
    assert missing.context["form"]["volume_ml"].value() == "60"  # nothing typed is lost
    lazy = post_chart(client, session, lot, override_reason="ok", **chart)
    assert "at least three words" in lazy.context["form"].errors["override_reason"][0]
    reason = "Tolerated 2,600 mg twice before; patient informed of the risk"
    done = post_chart(client, _latest(org), lot, override_reason=reason, **chart)
    assert done.status_code == 200
    session = _latest(org)
    assert session.overrides[0]["reason"] == reason
    assert session.overrides[0]["by"] == practitioner.full_name
    assert _sign(client, session).status_code == 302


def test_a_multi_dose_vial_is_refused_past_its_in_use_period(org, site, practitioner, patient):
    client = client_for(practitioner)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**PAIN, "site": site.pk}).status_code == 302
    epi = receive_lot(org, site, practitioner, "EPI-3", product="lidocaine-epi-1pct-20ml", vials=5)
    assert _pain_chart(client, _latest(org), epi, 2).status_code == 200
    with acting_for(org):
        opened = Lot.objects.get(pk=epi.pk).opened_at
        assert opened is not None
        Lot.objects.filter(pk=epi.pk).update(opened_at=opened - timedelta(days=29))
    late = _pain_chart(client, _latest(org), epi, 2)
    assert late.status_code == 400
    assert "28-day in-use period ended" in late.context["form"].errors["lot"][0]


def test_a_volume_with_no_injections_is_refused(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner)
    response = post_chart(client, _latest(org), lot, injections="0")
    assert response.status_code == 400
    assert "0 injections" in response.context["form"].errors["injections"][0]


def test_a_weight_far_from_the_last_one_asks_for_confirmation(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    slip = post_start(client, consented_plan, site, weight_kg="141")  # 64 kg entered in lb
    assert slip.status_code == 400
    assert "differs from the last recorded 64 kg" in slip.context["form"].errors["weight_kg"][0]
    assert (
        post_start(client, consented_plan, site, weight_kg="141", weight_confirmed="on").status_code
        == 302
    )


def test_tapping_a_point_changes_the_volume_by_the_plans_volume_per_point(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner)
    post_chart(client, _latest(org), lot, injections="", volume_ml="1")
    with acting_for(org):
        row = SessionArea.objects.get()
    before, x, y = float(row.volume_ml), *row.points[0]
    url = reverse("session_point", args=[_latest(org).public_id, row.public_id])
    assert client.post(url, {"x": x, "y": y}).status_code == 200
    with acting_for(org):
        row.refresh_from_db()
    assert row.injections == len(row.points)
    assert float(row.volume_ml) == pytest.approx(round(0.2 * row.injections, 2))
    assert float(row.volume_ml) != before or before == pytest.approx(0.2 * row.injections)


def test_the_session_start_records_the_numbing_cream_as_a_coded_product(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    assert post_start(client, consented_plan, site).status_code == 302
    session = _latest(org)
    assert session.precheck["numbing"]["product"] == "emla-cream-5g"
    assert session.precheck["numbing"]["amount_g"] == 2.0
    assert timezone.now() >= session.started_at


def test_signing_shows_the_totals_limits_reasons_and_lots_first(
    org, site, practitioner, esthetician, reception, outsider, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner, "DCA-77")
    post_chart(client, _latest(org), lot, volume_ml="4", injections="20")
    session = _latest(org)
    url = reverse("session_sign", args=[session.public_id])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Deoxycholic acid" in text and "40 mg" in text and "100 mg" in text
    assert "DCA-77" in text and "Confirm and sign" in text
    assert "DOSE_LIMIT" not in text and "submental" not in text.replace("Submental", "")
    assert not _latest(org).is_signed  # looking is not signing
    assert client_for(esthetician).get(url).status_code == 403
    assert client_for(reception).get(url).status_code == 403
    assert client_for(outsider).get(url).status_code == 404
    take_baseline_photos(org, practitioner, session)
    assert client.post(url).status_code == 302 and _latest(org).is_signed


def test_plan_approval_counts_sessions_given_outside_the_plan(org, site, practitioner, patient):
    """Four deoxycholic-acid treatments charted ad hoc, months apart: a new 4-session plan
    would make eight, and the label allows six."""
    from mesoclinic.plans.models import Plan, PlanStatus

    client = client_for(practitioner)
    lot = receive_lot(org, site, practitioner, vials=40)
    for months_ago in (5, 4, 3, 2):
        assert post_start_adhoc(client, patient, site).status_code == 302
        session = _latest(org)
        with acting_for(org):  # as if given then (dated before signing; signed rows are fixed)
            TreatmentSession.objects.filter(pk=session.pk).update(
                started_at=timezone.now() - timedelta(days=31 * months_ago)
            )
        assert post_chart(client, _latest(org), lot).status_code == 200
        assert _sign(client, _latest(org)).status_code == 302
    with acting_for(org):
        plan = Plan.objects.create(
            patient=patient,
            created_by=practitioner,
            inputs={"items": [{"concern": "localized-fat", "area": "submental"}]},
        )
    refused = client.post(reverse("plan_approve", args=[plan.public_id]), {"lock_version": 0})
    assert "4 already given + 4 planned" in refused.content.decode()
    with acting_for(org):
        assert Plan.objects.get(pk=plan.pk).status != PlanStatus.APPROVED


def test_approving_with_a_stale_version_is_refused(org, practitioner, patient):
    from mesoclinic.plans.models import Plan, PlanStatus

    with acting_for(org):
        plan = Plan.objects.create(
            patient=patient,
            created_by=practitioner,
            lock_version=3,
            inputs={"items": [{"concern": "localized-fat", "area": "submental"}]},
        )
    client = client_for(practitioner)
    stale = client.post(reverse("plan_approve", args=[plan.public_id]), {"lock_version": 2})
    assert stale.status_code in (400, 409)
    with acting_for(org):
        assert Plan.objects.get(pk=plan.pk).status != PlanStatus.APPROVED


def _pregnant_patient(org, make_patient, practitioner):
    from datetime import date

    from mesoclinic.patients import models as pm

    patient = make_patient()
    with acting_for(org):
        pm.PregnancyStatus.objects.create(
            patient=patient,
            status=pm.PregnancyState.PREGNANT,
            confirmed_on=date.today(),
            recorded_on=date.today(),
            created_by=practitioner,
        )
    return patient


def _override(client, plan, **data):
    return client.post(
        reverse("plan_override", args=[plan.public_id]),
        {"lock_version": plan.lock_version, "code": "PREGNANCY", **data},
    )


def test_a_pregnancy_override_needs_the_patients_acknowledgement_with_one_practitioner(
    org, practitioner, make_patient
):

    patient = _pregnant_patient(org, make_patient, practitioner)
    plan = draft_plan(org, patient, practitioner, [{"concern": "hair-loss", "area": "scalp"}])
    client = client_for(practitioner)
    reason = "Hair loss is distressing; obstetrician agreed in writing"
    lazy = _override(client, plan, reason="ok")
    assert lazy.status_code == 400 and "at least three words" in lazy.content.decode()
    alone = _override(client, plan, reason=reason)
    assert alone.status_code == 400 and "signed an acknowledgement" in alone.content.decode()
    assert reload_plan(org, plan).inputs.get("overrides", []) == []
    done = _override(client, plan, reason=reason, patient_acknowledged="on")
    assert done.status_code == 200
    assert reload_plan(org, plan).inputs["overrides"][0]["patient_acknowledged"] is True


def test_a_pregnancy_override_needs_a_second_practitioner_where_there_is_one(
    org, practitioner, make_patient
):
    from mesoclinic.accounts.models import User
    from mesoclinic.accounts.roles import Role

    second = User.objects.create_user(
        email="doc2@test.clinic", password="pw-long-enough-1", full_name="Dr Sam Second",
        organization=org, role=Role.PRACTITIONER,
    )  # fmt: skip
    patient = _pregnant_patient(org, make_patient, practitioner)
    plan = draft_plan(org, patient, practitioner, [{"concern": "hair-loss", "area": "scalp"}])
    client = client_for(practitioner)
    reason = "Hair loss is distressing; obstetrician agreed in writing"
    alone = _override(client, plan, reason=reason, patient_acknowledged="on")
    assert alone.status_code == 400 and "second practitioner" in alone.content.decode()
    done = _override(client, plan, reason=reason, confirmed_by=str(second.public_id))
    assert done.status_code == 200
    saved = reload_plan(org, plan).inputs["overrides"][0]
    assert saved["confirmed_by"] == "Dr Sam Second"
    assert "PREGNANCY" in {f["code"] for f in done.context["result"]["overridden"]}


def test_charting_a_pregnancy_stop_product_is_refused_at_the_chairside(
    org, site, practitioner, patient
):
    client = client_for(practitioner)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**PAIN, "site": site.pk}).status_code == 302
    with acting_for(org):  # pregnancy declared after the start, as the precheck records it
        session = _latest(org)
        TreatmentSession.objects.filter(pk=session.pk).update(
            precheck={**session.precheck, "pregnancy": "pregnant"}
        )
    minox = receive_lot(org, site, practitioner, "MIN-1", product="minoxidil-05pct-5ml")
    refused = _pain_chart(client, _latest(org), minox, 2)
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "must not be used during pregnancy" in text and "second practitioner" in text


def test_a_point_added_by_hand_near_the_marginal_mandibular_nerve_is_refused(
    org, site, practitioner, consented_plan
):
    from mesoclinic.rules import layout
    from mesoclinic.treatments import session_diagram

    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    post_chart(
        client, _latest(org), receive_lot(org, site, practitioner), injections="", volume_ml="1"
    )
    session = _latest(org)
    with acting_for(org):
        row = SessionArea.objects.get()
    planned = session_diagram.planned_area(session, "submental", "")
    zone = planned["keep_clear"][0]
    outline = [tuple(p) for p in planned["outline"]]
    path = [tuple(p) for p in zone["path"]]
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    near = next(
        (x / 2, y / 2)
        for x in range(int(min(xs) * 2), int(max(xs) * 2))
        for y in range(int(min(ys) * 2), int(max(ys) * 2))
        if layout.contains(outline, (x / 2, y / 2))
        and layout.distance_to_path((x / 2, y / 2), path) < zone["margin_mm"] / 2
    )
    url = reverse("session_point", args=[session.public_id, row.public_id])
    refused = client.post(url, {"x": near[0], "y": near[1]})
    assert refused.status_code == 400
    assert "marginal mandibular nerve" in refused.content.decode()
    with acting_for(org):
        assert SessionArea.objects.get().injections == row.injections


def test_a_lot_recalled_between_charting_and_sign_off_is_not_signed(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner, "DCA-R1")
    assert post_chart(client, _latest(org), lot).status_code == 200
    with acting_for(org):
        Lot.objects.filter(pk=lot.pk).update(
            recalled_at=timezone.now(), recall_reason="supplier recall: sterility"
        )
    refused = _sign(client, _latest(org))
    assert refused.status_code == 400
    assert "DCA-R1 was recalled: supplier recall: sterility" in refused.content.decode()
    assert not _latest(org).is_signed


def test_a_grade_a_limit_cannot_be_passed_with_a_reason(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    lot = receive_lot(org, site, practitioner)
    reason = "The patient insists and accepts every risk of this"
    over = post_chart(
        client, _latest(org), lot, volume_ml="12", injections="50", override_reason=reason
    )
    assert over.status_code == 400
    assert "exceeds the maximum of 10 mL" in over.content.decode()
    with acting_for(org):
        assert not SessionArea.objects.exists()
        assert not _latest(org).overrides


def test_tapping_extra_points_past_the_label_is_refused(org, site, practitioner, consented_plan):
    from mesoclinic.rules import layout
    from mesoclinic.treatments import session_diagram

    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    post_chart(
        client, _latest(org), receive_lot(org, site, practitioner), injections="", volume_ml="1"
    )
    session = _latest(org)
    planned = session_diagram.planned_area(session, "submental", "")
    outline = [tuple(p) for p in planned["outline"]]
    zones = [([tuple(p) for p in z["path"]], z["margin_mm"]) for z in planned["keep_clear"]]
    done = [tuple(p) for p in planned["points"]]
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    free = [
        (x + 0.5, y + 0.5)
        for x in range(int(min(xs)), int(max(xs)))
        for y in range(int(min(ys)), int(max(ys)))
        if layout.contains(outline, (x + 0.5, y + 0.5))
        and all(layout.distance_to_path((x + 0.5, y + 0.5), p) > m for p, m in zones)
        and all(abs(x + 0.5 - a) + abs(y + 0.5 - b) > 2 for a, b in done)
    ]
    with acting_for(org):
        row = SessionArea.objects.get()
    url = reverse("session_point", args=[session.public_id, row.public_id])
    room = 50 - len(done)  # the label: 50 injections (10 mL) per treatment
    assert 0 <= room < len(free)
    statuses = [client.post(url, {"x": x, "y": y}).status_code for x, y in free[: room + 1]]
    assert statuses == [200] * room + [400]
    with acting_for(org):
        row.refresh_from_db()
    assert row.injections == 50 and float(row.volume_ml) == 10


def test_the_last_point_of_an_area_cannot_be_untapped(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    post_start(client, consented_plan, site)
    post_chart(
        client, _latest(org), receive_lot(org, site, practitioner), injections="1", volume_ml="0.2"
    )
    session = _latest(org)
    with acting_for(org):
        row = SessionArea.objects.get()  # one injection counted, no point marked yet
    url = reverse("session_point", args=[session.public_id, row.public_id])
    planned_point = session.plan_version.result["areas"][0]["points"][0]
    assert client.post(url, {"x": planned_point[0], "y": planned_point[1]}).status_code == 200
    with acting_for(org):
        row.refresh_from_db()
    assert len(row.points) == 1
    last = row.points[0]
    refused = client.post(url, {"x": last[0], "y": last[1]})
    assert refused.status_code == 400 and "remove the charted area" in refused.content.decode()


def test_todays_weight_sets_the_mg_per_kg_cap(org, site, practitioner, make_patient):
    patient = make_patient(weight_kg=64)
    client = client_for(practitioner)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    light = {**PAIN, "areas": ["neck"], "weight_kg": "40", "weight_confirmed": "on"}
    assert client.post(url, {**light, "site": site.pk}).status_code == 302
    lot = receive_lot(org, site, practitioner, "LID-9", product="lidocaine-1pct-5ml", vials=20)
    refused = post_chart(
        client, _latest(org), lot, area="neck", technique="point-by-point", volume_ml="20",
        injections="100", depth_mm="5",
    )  # fmt: skip
    assert refused.status_code == 400
    assert "4.5 mg/kg x 40 kg = 180 mg" in refused.content.decode()


def test_the_service_refuses_a_volume_with_no_injections(org, site, practitioner, patient):
    client = client_for(practitioner)
    assert post_start_adhoc(client, patient, site).status_code == 302
    data = {"area": "submental", "side": "", "technique": "hypodermic", "volume_ml": 2,
            "injections": 0, "depth_mm": 6}  # fmt: skip
    with acting_for(org), pytest.raises(sessions.SessionRefused) as refused:
        charting.chart_area(
            practitioner, _latest(org), data, receive_lot(org, site, practitioner), 0
        )
    assert refused.value.field == "injections"


def _allergic_to(org, patient, practitioner, text):
    from datetime import date

    from mesoclinic.patients import models as pm

    with acting_for(org):
        pm.Allergy.objects.create(
            patient=patient,
            substance_text=text,
            severity=pm.Severity.ANAPHYLAXIS,
            recorded_on=date.today(),
            created_by=practitioner,
        )


def test_a_free_text_xylocaine_allergy_stops_lidocaine_and_emla(org, site, practitioner, patient):
    _allergic_to(org, patient, practitioner, "Xylocaine (anaphylaxis)")
    client = client_for(practitioner)
    url = reverse("session_start_adhoc", args=[patient.public_id])
    with_cream = {**PAIN, "areas": ["neck"], "numbing_product": "emla-cream-5g",
                  "numbing_amount_g": "2", "site": site.pk}  # fmt: skip
    refused = client.post(url, with_cream)  # the neck plan is lidocaine; EMLA is prilocaine
    text = refused.content.decode()
    assert refused.status_code == 400
    assert "Known allergy to amide local anaesthetics" in text
    assert "Xylocaine (anaphylaxis)" in text  # the alert stands at the top of the page
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_an_allergy_nobody_can_code_stops_the_session_until_it_is_coded(
    org, site, practitioner, patient
):
    _allergic_to(org, patient, practitioner, "the blue stuff from last year")
    refused = post_start_adhoc(client_for(practitioner), patient, site)
    assert refused.status_code == 400
    assert "could not be matched to a known substance" in refused.content.decode()


def test_an_unsupervised_esthetician_cannot_chart_deoxycholic_acid(
    org, site, practitioner, esthetician, consented_plan
):
    """The attack: a second session on the same plan, no supervisor, 4 mL more."""
    staff = client_for(esthetician)
    started = post_start(staff, consented_plan, site, numbing_product="", numbing_amount_g="")
    assert started.status_code == 302  # she may prepare the patient
    refused = post_chart(staff, _latest(org), receive_lot(org, site, practitioner))
    assert refused.status_code == 400
    assert "Deoxycholic acid is a prescription medicine" in refused.content.decode()
    with acting_for(org):
        assert not SessionArea.objects.exists()


def test_a_supervised_esthetician_charts_and_only_a_licensed_practitioner_signs(
    org, site, practitioner, esthetician, consented_plan
):
    from mesoclinic.accounts.models import ClinicalLicence

    staff = client_for(esthetician)
    post_start(staff, consented_plan, site, supervised_by=practitioner.pk)
    assert post_chart(staff, _latest(org), receive_lot(org, site, practitioner)).status_code == 200
    with acting_for(org):
        ClinicalLicence.objects.filter(user=practitioner).update(
            expires_on=timezone.localdate() - timedelta(days=1)
        )
    refused = _sign(client_for(practitioner), _latest(org))
    assert refused.status_code == 400
    assert "expired on" in refused.content.decode()
    assert not _latest(org).is_signed


def test_an_unsupervised_esthetician_cannot_apply_a_prescription_numbing_cream(
    org, site, esthetician, consented_plan
):
    refused = post_start(
        client_for(esthetician), consented_plan, site
    )  # EMLA: lidocaine, prilocaine
    assert refused.status_code == 400
    assert "prescription medicines" in refused.content.decode()
    with acting_for(org):
        assert not TreatmentSession.objects.exists()


def test_a_clinic_in_england_cannot_plan_cosmetic_filler_for_a_16_year_old(
    org, practitioner, make_patient
):
    from mesoclinic.plans import services

    teen = make_patient(
        date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 16)
    )
    inputs = {"items": [{"concern": "skin-rejuvenation", "area": "cheeks",
                         "products": ["ha-noncrosslinked-2ml"]}]}  # fmt: skip
    with acting_for(org):
        elsewhere = services.evaluate(teen, inputs).result["hard_stops"]
        org.jurisdiction = "GB-ENG"
        org.save(update_fields=["jurisdiction"])
        teen.organization.jurisdiction = "GB-ENG"
        england = services.evaluate(teen, inputs).result["hard_stops"]
    assert {f["code"] for f in elsewhere} >= {"MINOR"} and "AGE_BELOW_LABEL" not in {
        f["code"] for f in elsewhere
    }
    banned = [f for f in england if f["code"] == "AGE_BELOW_LABEL"]
    assert banned and "illegal below 18 in England" in banned[0]["message"]


def test_an_infection_seen_at_the_start_stops_charting_that_area(org, site, practitioner, patient):
    """Recorded at the pre-check for an area outside the plan: charting it is refused."""
    client = client_for(practitioner)
    assert post_start_adhoc(client, patient, site, infected_areas=["cheeks"]).status_code == 302
    data = {"area": "cheeks", "side": "", "technique": "papule", "volume_ml": 1,
            "injections": 10, "depth_mm": 1.5}  # fmt: skip
    lot = receive_lot(org, site, practitioner, "HA-1", product="ha-noncrosslinked-2ml")
    with acting_for(org), pytest.raises(sessions.SessionRefused) as refused:
        charting.chart_area(practitioner, _latest(org), data, lot, 0)
    assert "Infection at the injection site" in str(refused.value)


def test_a_session_start_in_england_keeps_the_clinics_jurisdiction(
    org, site, practitioner, make_patient
):
    today = timezone.localdate()
    teen = make_patient(date_of_birth=today.replace(year=today.year - 16))
    org.jurisdiction = "GB-ENG"
    org.save(update_fields=["jurisdiction"])
    client = client_for(practitioner)
    url = reverse("session_start_adhoc", args=[teen.public_id])
    filler = {**ADHOC, "concern": "skin-rejuvenation", "areas": ["cheeks"], "site": site.pk,
              "numbing_product": "", "numbing_amount_g": ""}  # fmt: skip
    refused = client.post(url, filler)
    assert refused.status_code == 400
    assert "illegal below 18 in England" in refused.content.decode()
