"""The plan editor: engine proposals, re-checks, overrides, approval, versions and locking."""

import html
import json
import re

import pytest
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.plans import services
from mesoclinic.plans.models import Plan, PlanStatus, PlanVersion
from mesoclinic.rules.cli import main as plan_cli
from mesoclinic.tenancy import acting_for
from tests.factories import client_for, draft_plan, reload_plan

SUBMENTAL = {"concern": "localized-fat", "area": "submental"}


@pytest.fixture
def allergic_patient(org, make_patient, practitioner):
    patient = make_patient(weight_kg=70)
    with acting_for(org):
        pm.Allergy.objects.create(
            patient=patient,
            substance="lidocaine",
            recorded_on="2026-01-01",
            created_by=practitioner,
        )
    return patient


def _post(client, name, plan, data, *args):
    return client.post(
        reverse(name, args=[plan.public_id, *args]), {"lock_version": plan.lock_version, **data}
    )


def test_new_plan_starts_from_the_patients_concerns(org, practitioner, patient):
    with acting_for(org):
        pm.Concern.objects.create(
            patient=patient,
            concern="cellulite",
            areas=["thighs-outer"],
            recorded_on="2026-11-01",
            created_by=practitioner,
        )
    response = client_for(practitioner).post(reverse("plan_new", args=[patient.public_id]))
    with acting_for(org):
        plan = Plan.objects.get()
    assert response["Location"] == reverse("plan_editor", args=[plan.public_id])
    assert plan.inputs["items"] == [{"concern": "cellulite", "area": "thighs-outer"}]


def test_editor_shows_what_the_cli_computes_for_the_same_inputs(
    org, practitioner, make_patient, capsys
):
    patient = make_patient(weight_kg=70, date_of_birth="1985-04-01")
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    response = client_for(practitioner).get(reverse("plan_editor", args=[plan.public_id]))
    shown = response.context["result"]
    plan_cli(
        [
            "--treat",
            "localized-fat:submental",
            "--weight-kg",
            "70",
            "--sex",
            "F",
            "--birth-date",
            "1985-04-01",
            "--start",
            "2026-12-01",
            "--json",
        ]
    )
    cli = json.loads(capsys.readouterr().out)
    for key in ("hard_stops", "warnings", "doses", "schedule", "quote", "aftercare"):
        assert shown[key] == cli[key], key
    assert [a["points"] for a in shown["areas"]] == [a["points"] for a in cli["areas"]]
    body = response.content.decode()
    assert f"{len(cli['areas'][0]['points'])} points" in body
    assert cli["schedule"][1]["date"] in body
    # What the plan does and where each number comes from, for people: names, not codes.
    summary = re.search(r'<p class="planned-summary">(.*?)</p>', body, re.S).group(1)
    assert summary.startswith("Deoxycholic acid for submental fat · ")
    basis = re.search(r'<ul class="basis">(.*?)</ul>', body, re.S).group(1)
    assert "<strong>Depth</strong>" in basis and "<strong>Area treated</strong>" in basis
    for code in ("submental-deoxycholic", "depth_mm", "area_cm2", "cm2", "seed 0", ".md"):
        assert code not in summary + basis, code


def test_lidocaine_product_raises_the_allergy_stop_and_blocks_approval(
    org, practitioner, allergic_patient
):
    plan = draft_plan(org, allergic_patient, practitioner, [SUBMENTAL])
    client = client_for(practitioner)
    response = _post(
        client,
        "plan_update_item",
        plan,
        {
            "item0-concern": "localized-fat",
            "item0-products": ["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"],
        },
        0,
    )
    assert response.status_code == 200
    codes = {f["code"] for f in response.context["result"]["hard_stops"]}
    assert "ALLERGY" in codes
    plan = reload_plan(org, plan)
    refused = _post(client, "plan_approve", plan, {})
    assert refused.status_code == 400
    assert "Hard stops remain (allergy)" in html.unescape(refused.content.decode())
    # Switching back to a product without lidocaine clears the stop.
    switched = _post(
        client,
        "plan_update_item",
        plan,
        {"item0-concern": "localized-fat", "item0-products": ["deoxycholic-10mg-2ml"]},
        0,
    )
    assert "ALLERGY" not in {f["code"] for f in switched.context["result"]["hard_stops"]}


def test_grade_a_stop_cannot_be_overridden(org, practitioner, allergic_patient):
    plan = draft_plan(
        org,
        allergic_patient,
        practitioner,
        [{**SUBMENTAL, "products": ["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"]}],
    )
    response = _post(
        client_for(practitioner),
        "plan_override",
        plan,
        {"code": "ALLERGY", "reason": "Patient insists"},
    )
    assert response.status_code == 400
    assert "cannot be overridden" in response.content.decode()
    assert reload_plan(org, plan).inputs["overrides"] == []


def test_practitioner_overrides_a_grade_c_warning_with_a_reason(org, practitioner, make_patient):
    patient = make_patient(fitzpatrick=5)
    plan = draft_plan(
        org, patient, practitioner, [{"concern": "skin-rejuvenation", "area": "cheeks"}]
    )
    client = client_for(practitioner)
    editor = client.get(reverse("plan_editor", args=[plan.public_id]))
    overridable = [f for f in editor.context["result"]["warnings"] if f["overridable"]]
    assert overridable, "a Fitzpatrick V patient gets a grade-C caution"
    code = overridable[0]["code"]
    assert _post(client, "plan_override", plan, {"code": code, "reason": ""}).status_code == 400
    done = _post(client, "plan_override", plan, {"code": code, "reason": "Test patch done, no PIH"})
    assert done.status_code == 200
    saved = reload_plan(org, plan).inputs["overrides"]
    assert saved[0]["code"] == code and saved[0]["reason"] == "Test patch done, no PIH"
    assert code in {f["code"] for f in done.context["result"]["overridden"]}
    assert AuditEvent.objects.filter(action="change").latest("id").fields == ["overrides"]


def test_esthetician_drafts_but_cannot_approve_or_override(org, practitioner, esthetician, patient):
    plan = draft_plan(org, patient, practitioner, [])
    client = client_for(esthetician)
    added = _post(
        client, "plan_add_area", plan, {"area": "forehead", "concern": "skin-rejuvenation"}
    )
    assert added.status_code == 200
    plan = reload_plan(org, plan)
    assert plan.inputs["items"] == [{"concern": "skin-rejuvenation", "area": "forehead"}]
    assert _post(client, "plan_approve", plan, {}).status_code == 403
    assert (
        _post(client, "plan_override", plan, {"code": "X", "reason": "because"}).status_code == 403
    )
    assert "Approve plan" not in added.content.decode()


def test_two_editors_never_silently_overwrite_each_other(org, practitioner, esthetician, patient):
    plan = draft_plan(org, patient, practitioner, [])
    stale = plan.lock_version
    first = client_for(practitioner).post(
        reverse("plan_add_area", args=[plan.public_id]),
        {"area": "forehead", "concern": "texture", "lock_version": stale},
    )
    second = client_for(esthetician).post(
        reverse("plan_add_area", args=[plan.public_id]),
        {"area": "scalp", "concern": "hair-loss", "lock_version": stale},
    )
    assert first.status_code == 200 and second.status_code == 409
    assert "Someone else changed this plan" in second.content.decode()
    assert [i["area"] for i in reload_plan(org, plan).inputs["items"]] == ["forehead"]


def test_removing_and_adding_points_by_tapping(org, practitioner, patient):
    plan = draft_plan(
        org, patient, practitioner, [{"concern": "skin-rejuvenation", "area": "forehead"}]
    )
    client = client_for(practitioner)
    before = client.get(reverse("plan_editor", args=[plan.public_id])).context["result"]["areas"][0]
    removed = before["points"][0]
    response = _post(client, "plan_point", plan, {"item": 0, "side": "", "remove": 0})
    after = response.context["result"]["areas"][0]
    assert len(after["points"]) == len(before["points"]) - 1
    assert removed not in after["points"]
    assert after["total_volume_ml"] < before["total_volume_ml"]
    plan = reload_plan(org, plan)
    back = _post(
        client, "plan_point", plan, {"item": 0, "side": "", "x": removed[0], "y": removed[1]}
    )
    assert len(back.context["result"]["areas"][0]["points"]) == len(before["points"])


def test_bad_values_are_refused_with_the_field_named_and_nothing_lost(org, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    response = _post(
        client_for(practitioner),
        "plan_update_item",
        plan,
        {"item0-concern": "localized-fat", "item0-depth_mm": "25"},
        0,
    )
    assert response.status_code == 400
    assert "Depth (mm)" in response.content.decode()
    assert reload_plan(org, plan).inputs["items"] == [SUBMENTAL]


def test_approval_freezes_a_version_and_changing_it_needs_a_new_one(org, practitioner, patient):
    plan = draft_plan(
        org, patient, practitioner, [{"concern": "skin-rejuvenation", "area": "forehead"}]
    )
    client = client_for(practitioner)
    assert _post(client, "plan_approve", plan, {}).status_code == 302
    plan = reload_plan(org, plan)
    assert plan.status == PlanStatus.APPROVED
    with acting_for(org):
        version = PlanVersion.objects.get(plan=plan)
    assert version.number == 1 and version.approved_by == practitioner
    assert version.content_hash == services.content_hash(version.inputs, version.result)
    # An approved plan cannot be edited in place...
    assert (
        _post(client, "plan_add_area", plan, {"area": "scalp", "concern": "hair-loss"}).status_code
        == 403
    )
    # ...it is reopened as a draft of the next version.
    client.post(reverse("plan_reopen", args=[plan.public_id]))
    plan = reload_plan(org, plan)
    assert plan.status == PlanStatus.DRAFT
    _post(client, "plan_add_area", plan, {"area": "scalp", "concern": "hair-loss"})
    _post(client, "plan_approve", reload_plan(org, plan), {})
    with acting_for(org):
        assert list(
            PlanVersion.objects.filter(plan=plan)
            .order_by("number")
            .values_list("number", flat=True)
        ) == [
            1,
            2,
        ]
        assert (
            PlanVersion.objects.get(plan=plan, number=1).inputs["items"] == version.inputs["items"]
        )


@pytest.mark.parametrize(
    "role,expected",
    [("owner", 200), ("practitioner", 200), ("esthetician", 200), ("reception", 403)],
)
def test_editor_access_by_role(personas, role, expected, org, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    assert (
        client_for(personas[role]).get(reverse("plan_editor", args=[plan.public_id])).status_code
        == expected
    )


def test_reception_sees_the_quote_but_not_the_formula(org, reception, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    response = client_for(reception).get(reverse("plan_quote", args=[plan.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Total" in body
    # Word boundaries: a random CSRF token or CSP nonce may well contain the letters "mg".
    assert "Deoxycholic" not in body and not re.search(r"\d\s*mg\b", body)


@pytest.mark.parametrize(
    "name,method,extra",
    [
        ("plan_editor", "get", ()),
        ("plan_quote", "get", ()),
        ("plan_add_area", "post", ()),
        ("plan_update_item", "post", (0,)),
        ("plan_remove_item", "post", (0,)),
        ("plan_point", "post", ()),
        ("plan_start", "post", ()),
        ("plan_override", "post", ()),
        ("plan_approve", "post", ()),
        ("plan_reopen", "post", ()),
        ("consent_new", "get", ()),
        ("plan_propose", "post", ()),
        ("plan_cancel", "post", ()),
    ],
)
def test_outsider_gets_404_for_every_plan_url(
    org, outsider, practitioner, patient, name, method, extra
):
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    url = reverse(name, args=[plan.public_id, *extra])
    response = getattr(client_for(outsider), method)(url, {"lock_version": 0, "area": "scalp"})
    assert response.status_code == 404
    assert reload_plan(org, plan).inputs["items"] == [SUBMENTAL]


def test_editor_queries_stay_bounded_as_areas_and_points_grow(
    org, practitioner, patient, django_assert_max_num_queries
):
    client = client_for(practitioner)
    small = draft_plan(
        org, patient, practitioner, [{"concern": "skin-rejuvenation", "area": "forehead"}]
    )
    big = draft_plan(
        org,
        patient,
        practitioner,
        [
            {"concern": "cellulite", "area": "thighs-outer"},
            {"concern": "cellulite", "area": "buttocks"},
            {"concern": "localized-fat", "area": "abdomen"},
            {"concern": "skin-rejuvenation", "area": "cheeks"},
        ],
    )
    client.get(reverse("home"))
    with django_assert_max_num_queries(16):
        client.get(reverse("plan_editor", args=[small.public_id]))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("plan_editor", args=[big.public_id]))
    assert sum(len(a["points"]) for a in response.context["result"]["areas"]) > 200


def test_plan_views_and_changes_are_audited(org, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, [])
    client = client_for(practitioner)
    client.get(reverse("plan_editor", args=[plan.public_id]))
    _post(client, "plan_add_area", plan, {"area": "forehead", "concern": "texture"})
    events = list(
        AuditEvent.objects.exclude(action="login").order_by("id").values_list("action", "object_id")
    )
    assert events == [("view", str(plan.public_id)), ("change", str(plan.public_id))]


def test_demo_price_list_matches_the_seeds_ranges(org, practitioner, patient):
    """Seed 004: a basic face session costs 300-600 USD; seed 000: courses 250-12,000 USD."""
    face = draft_plan(
        org, patient, practitioner, [{"concern": "skin-rejuvenation", "area": "cheeks"}]
    )
    quote = (
        client_for(practitioner).get(reverse("plan_quote", args=[face.public_id])).context["quote"]
    )
    visit = quote["visit_fee"]
    (line,) = quote["lines"]
    assert line["session_low"] + visit["low"] / visit["visits_min"] >= 300
    assert line["session_high"] + visit["high"] / visit["visits_max"] <= 600
    body = draft_plan(
        org,
        patient,
        practitioner,
        [
            {"concern": "cellulite", "area": "thighs-outer"},
            {"concern": "localized-fat", "area": "abdomen"},
        ],
    )
    quote = (
        client_for(practitioner).get(reverse("plan_quote", args=[body.public_id])).context["quote"]
    )
    assert quote["low"] >= 250 and quote["high"] <= 12000


def test_plan_moves_through_proposed_and_can_be_cancelled_with_a_reason(org, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    client = client_for(practitioner)
    client.post(reverse("plan_propose", args=[plan.public_id]))
    assert reload_plan(org, plan).status == PlanStatus.PROPOSED
    client.post(reverse("plan_cancel", args=[plan.public_id]), {"reason": ""})
    assert reload_plan(org, plan).status == PlanStatus.PROPOSED
    client.post(reverse("plan_cancel", args=[plan.public_id]), {"reason": "Patient chose surgery"})
    plan = reload_plan(org, plan)
    assert plan.status == PlanStatus.CANCELLED and plan.cancelled_reason == "Patient chose surgery"
    assert (
        _post(client, "plan_add_area", plan, {"area": "scalp", "concern": "hair-loss"}).status_code
        == 403
    )


def test_quote_adds_the_clinics_tax(org, practitioner, patient):
    org.tax_rate = 20
    org.save()
    plan = draft_plan(org, patient, practitioner, [SUBMENTAL])
    quote = (
        client_for(practitioner).get(reverse("plan_quote", args=[plan.public_id])).context["quote"]
    )
    assert quote["total_low"] == (quote["low"] * 12 / 10).quantize(quote["low"])
    assert quote["tax_high"] == (quote["high"] / 5).quantize(quote["high"])


def test_the_editor_shows_doses_and_follow_ups_in_words_rounded_for_people(
    org, practitioner, patient
):
    plan = draft_plan(
        org, patient, practitioner, [{"concern": "localized-fat", "area": "submental"}]
    )
    page = client_for(practitioner).get(reverse("plan_editor", args=[plan.public_id]))
    doses = page.content.decode().split('id="h-doses"')[1].split("</table>")[0]
    assert "Deoxycholic acid" in doses and "deoxycholic-acid" not in doses
    assert re.search(r"\d+(\.\d)? mg", doses) and not re.search(r"\d\.\d{3,} mg", doses)
    follow = page.content.decode().split("<h3>Follow-up</h3>")[1].split("</ul>")[0]
    assert "check Submental (under the chin) after session 1" in follow and "{" not in follow
