"""The JSON API's plan and consent writes: the plan editor's and the consent page's own
forms and services, with their roles, locks, safety limits and audit."""

import pytest
from django.test import Client
from django.urls import reverse

from mesoclinic.api import plan_edits, tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.patients import models as pm
from mesoclinic.plans.models import Consent, Plan, PlanStatus, PlanVersion
from mesoclinic.tenancy import acting_for
from tests.factories import DCA, SIGNATURE, client_for, draft_plan, reload_plan

PLANS = "/api/v1/plans"
CONSENTS = "/api/v1/consents"
LIDOCAINE = ["deoxycholic-10mg-2ml", "lidocaine-1pct-5ml"]
# Our patient's last name as a page and as JSON write it: never in a refused answer.
LAST_NAME_SPELLINGS = ("García", "Garc\\u00eda")


def _token(user, *scopes):
    secret = tokens.create(user, name="t", scopes=list(scopes), days=5)[1]
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _post(client, path, body=None, **headers):
    return client.post(path, body or {}, content_type="application/json", **headers)


def _last_event() -> int:
    last = AuditEvent.objects.order_by("id").last()
    return last.id if last else 0


def _events_since(mark: int) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(id__gt=mark)
        .exclude(action="login")
        .order_by("id")
        .values_list("actor__email", "action", "object_type", "object_id")
    )


def _codes(findings) -> set[str]:
    return {f["code"] for f in findings}


@pytest.fixture
def audit():
    """Each call: the audit events written since the previous one (or the fixture)."""
    mark = [_last_event()]

    def since() -> list[tuple]:
        events = _events_since(mark[0])
        mark[0] = _last_event()
        return events

    return since


# --- the whole course, through a token -------------------------------------------------


def test_a_practitioners_token_carries_a_patient_from_draft_to_consent_and_back(
    org, practitioner, patient, audit
):
    with acting_for(org):
        pm.Concern.objects.create(
            patient=patient,
            concern="localized-fat",
            areas=["submental"],
            recorded_on="2026-11-01",
            created_by=practitioner,
        )
    token = _token(practitioner, "read", "write", "clinical")
    api = Client()
    doc = practitioner.email
    audit()  # the token's and the concern's own events

    made = _post(api, PLANS, {"patient": str(patient.public_id)}, **token)
    assert made.status_code == 201, made.content
    plan = made.json()
    plan_id = plan["id"]
    assert plan["status"] == "draft" and plan["lock_version"] == 0 and plan["versions"] == []
    assert plan["created_by"] == "Dr Pia Prax"
    assert plan["draft"]["requested"] == [{"concern": "localized-fat", "area": "submental"}]
    assert audit() == [(doc, "create", "plan", plan_id)]
    # Sent again (a retried request): the same draft, not a second one.
    again = _post(api, PLANS, {"patient": str(patient.public_id)}, **token)
    assert again.status_code == 200 and again.json()["id"] == plan_id
    with acting_for(org):
        assert Plan.objects.filter(patient=patient).count() == 1
    assert audit() == []

    base = f"{PLANS}/{plan_id}"
    added = _post(
        api,
        f"{base}/areas",
        {"lock_version": 0, "concern": "skin-rejuvenation", "area": "forehead"},
        **token,
    )
    assert added.status_code == 200, added.content
    assert added.json()["lock_version"] == 1
    assert [i["area"] for i in added.json()["draft"]["requested"]] == ["submental", "forehead"]
    assert {i["area"] for i in added.json()["draft"]["items"]} == {"submental", "forehead"}
    assert audit() == [(doc, "change", "plan", plan_id)]

    updated = _post(
        api,
        f"{base}/areas/0",
        {"lock_version": 1, "concern": "localized-fat", "sessions": 3, "depth_mm": 5},
        **token,
    )
    assert updated.status_code == 200, updated.content
    [submental] = [i for i in updated.json()["draft"]["items"] if i["area"] == "submental"]
    assert submental["sessions"] == 3 and submental["depth_mm"] == 5.0
    assert audit() == [(doc, "change", "plan", plan_id)]

    removed = _post(api, f"{base}/areas/1/remove", {"lock_version": 2}, **token)
    assert removed.status_code == 200, removed.content
    assert [i["area"] for i in removed.json()["draft"]["requested"]] == ["submental"]
    assert audit() == [(doc, "change", "plan", plan_id)]

    moved = _post(api, f"{base}/start", {"lock_version": 3, "start": "2027-01-04"}, **token)
    assert moved.status_code == 200, moved.content
    assert moved.json()["draft"]["start"] == "2027-01-04"
    assert audit() == [(doc, "change", "plan", plan_id)]

    read = api.get(base, **token).json()
    assert read["lock_version"] == 4 and read["draft"]["hard_stops"] == []
    assert read["draft"]["error"] is None
    [item] = read["draft"]["items"]
    assert item["area"] == "submental" and item["sessions"] == 3 and item["depth_mm"] == 5.0
    assert item["points"] > 0 and item["dose_per_session_ml"] > 0
    assert audit() == [(doc, "view", "plan", plan_id)]

    approved = _post(api, f"{base}/approve", {"lock_version": 4}, **token)
    assert approved.status_code == 200, approved.content
    data = approved.json()
    assert data["status"] == "approved" and data["draft"] is None
    [version] = data["versions"]
    assert version["number"] == 1 and version["status"] == "current"
    assert version["approved_by"] == "Dr Pia Prax"
    assert [(i["area"], i["sessions"], i["depth_mm"]) for i in version["items"]] == [
        ("submental", 3, 5.0)
    ]
    with acting_for(org):
        assert PlanVersion.objects.filter(plan__public_id=plan_id).count() == 1
    assert audit() == [(doc, "change", "plan", plan_id)]

    document = api.get(f"{base}/consent-document", **token)
    assert document.status_code == 200, document.content
    shown = document.json()
    assert shown["plan_id"] == plan_id and shown["version"] == 1
    assert "Patient: Anna García" in shown["text"] and "Your right to withdraw" in shown["text"]
    assert shown["text_hash"] == Consent.hash_text(shown["text"])
    assert audit() == [(doc, "view", "plan", plan_id)]

    signature = {
        "typed_name": "anna  garcía",  # as the page: any case, spaces squeezed
        "signature": SIGNATURE,
        "understood": True,
        "text_hash": shown["text_hash"],
    }
    signed = _post(api, f"{base}/consents", signature, **token)
    assert signed.status_code == 201, signed.content
    consent = signed.json()
    assert consent["status"] == "awaiting_countersignature" and consent["version"] == 1
    assert consent["patient_typed_name"] == "anna garcía" and not consent["signed_at_home"]
    assert audit() == [(doc, "create", "consent", consent["id"])]
    # Sent again (a double tap): that consent, nothing written.
    resent = _post(api, f"{base}/consents", signature, **token)
    assert resent.status_code == 200 and resent.json()["id"] == consent["id"]
    with acting_for(org):
        assert Consent.objects.filter(plan__public_id=plan_id).count() == 1
        assert Consent.objects.get().patient_signature == SIGNATURE
    assert audit() == []

    countersigned = _post(api, f"{CONSENTS}/{consent['id']}/countersign", **token)
    assert countersigned.status_code == 200, countersigned.content
    assert countersigned.json()["status"] == "valid"
    assert countersigned.json()["countersigned_by"] == "Dr Pia Prax"
    assert audit() == [(doc, "change", "consent", consent["id"])]
    assert api.get(base, **token).json()["status"] == "consented"
    audit()

    revoked = _post(
        api, f"{CONSENTS}/{consent['id']}/revoke", {"reason": "Patient changed her mind"}, **token
    )
    assert revoked.status_code == 200, revoked.content
    gone = revoked.json()
    assert gone["status"] == "withdrawn" and gone["void_reason"] == "Patient changed her mind"
    assert gone["voided_by"] == "Dr Pia Prax" and gone["voided_at"]
    assert audit() == [(doc, "void", "consent", consent["id"])]
    after = api.get(base, **token).json()
    assert after["status"] == "approved"
    assert [c["status"] for c in after["consents"]] == ["withdrawn"]  # kept in the record


def test_propose_reopen_and_cancel_move_the_plan_as_on_the_page(
    org, practitioner, patient, approved_plan, audit
):
    client = client_for(practitioner)
    draft = draft_plan(org, patient, practitioner, DCA)
    proposed = _post(client, f"{PLANS}/{draft.public_id}/propose")
    assert proposed.status_code == 200 and proposed.json()["status"] == "proposed"
    assert proposed.json()["draft"] is not None  # still editable
    assert _post(client, f"{PLANS}/{draft.public_id}/propose").status_code == 409
    short = _post(client, f"{PLANS}/{draft.public_id}/cancel", {"reason": "no"})
    assert short.status_code == 400 and "reason" in short.json()["errors"]
    assert reload_plan(org, draft).status == PlanStatus.PROPOSED
    cancelled = _post(client, f"{PLANS}/{draft.public_id}/cancel", {"reason": "Chose surgery"})
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_reason"] == "Chose surgery"
    twice = _post(client, f"{PLANS}/{draft.public_id}/cancel", {"reason": "Chose surgery"})
    assert twice.status_code == 409 and "already cancelled" in twice.json()["detail"]

    reopened = _post(client, f"{PLANS}/{approved_plan.public_id}/reopen")
    assert reopened.status_code == 200, reopened.content
    data = reopened.json()
    assert data["status"] == "draft" and data["draft"] is not None
    assert [v["number"] for v in data["versions"]] == [1]  # the approved version is kept
    plan_id, draft_id = str(approved_plan.public_id), str(draft.public_id)
    doc = practitioner.email
    assert audit() == [
        (doc, "change", "plan", draft_id),
        (doc, "change", "plan", draft_id),
        (doc, "change", "plan", plan_id),
    ]


# --- safety: what the engine stops stays stopped -------------------------------------------


@pytest.fixture
def allergic_patient(org, make_patient, practitioner):
    patient = make_patient(first_name="Alba", email="alba@example.com")
    with acting_for(org):
        pm.Allergy.objects.create(
            patient=patient,
            substance="lidocaine",
            recorded_on="2026-01-01",
            created_by=practitioner,
        )
    return patient


def test_a_grade_a_hard_stop_is_neither_overridden_nor_approved(
    org, practitioner, allergic_patient, audit
):
    plan = draft_plan(org, allergic_patient, practitioner, DCA)
    client = client_for(practitioner)
    url = f"{PLANS}/{plan.public_id}"
    with_lidocaine = _post(
        client,
        f"{url}/areas/0",
        {"lock_version": 0, "concern": "localized-fat", "products": LIDOCAINE},
    )
    assert with_lidocaine.status_code == 200, with_lidocaine.content
    [stop] = [f for f in with_lidocaine.json()["draft"]["hard_stops"] if f["code"] == "ALLERGY"]
    assert stop["grade"] == "A" and stop["overridable"] is False
    audit()

    override = _post(
        client,
        f"{url}/overrides",
        {"lock_version": 1, "code": "ALLERGY", "reason": "Patient insists, tolerated before"},
    )
    assert override.status_code == 400
    assert "cannot be overridden" in override.json()["detail"]
    assert override.json()["errors"]  # named, as the page names it
    approve = _post(client, f"{url}/approve", {"lock_version": 1})
    assert approve.status_code == 400, approve.content
    assert "allergy" in approve.json()["detail"] and "ALLERGY" not in approve.json()["detail"]

    plan = reload_plan(org, plan)
    assert plan.status == PlanStatus.DRAFT and plan.lock_version == 1
    assert plan.inputs["overrides"] == []
    with acting_for(org):
        assert not PlanVersion.objects.filter(plan=plan).exists()
    assert audit() == []  # nothing changed, nothing recorded
    read = client.get(url).json()
    assert read["status"] == "draft" and read["versions"] == []
    assert "ALLERGY" in _codes(read["draft"]["hard_stops"])


def test_a_grade_c_warning_is_passed_with_a_reason_by_a_practitioner_only(
    org, practitioner, esthetician, make_patient, audit
):
    patient = make_patient(first_name="Fara", email="fara@example.com", fitzpatrick=5)
    plan = draft_plan(
        org, patient, practitioner, [{"concern": "skin-rejuvenation", "area": "cheeks"}]
    )
    url = f"{PLANS}/{plan.public_id}"
    client = client_for(practitioner)
    warnings = client.get(url).json()["draft"]["warnings"]
    [caution] = [f for f in warnings if f["code"] == "FITZPATRICK_PIH"]
    assert caution["grade"] == "C" and caution["overridable"] is True
    body = {"lock_version": 0, "code": "FITZPATRICK_PIH", "reason": "Test patch done, no PIH"}
    audit()
    assert _post(client_for(esthetician), f"{url}/overrides", body).status_code == 403
    blank = _post(client, f"{url}/overrides", {**body, "reason": ""})
    assert blank.status_code == 400 and "reason" in blank.json()["errors"]
    unknown = _post(client, f"{url}/overrides", {**body, "code": "NOT_A_FINDING"})
    assert unknown.status_code == 400
    assert reload_plan(org, plan).inputs["overrides"] == []
    assert audit() == []

    passed = _post(client, f"{url}/overrides", body)
    assert passed.status_code == 200, passed.content
    draft = passed.json()["draft"]
    [entry] = draft["overrides"]
    assert entry["code"] == "FITZPATRICK_PIH" and entry["reason"] == "Test patch done, no PIH"
    assert entry["by"] == "Dr Pia Prax"
    assert "FITZPATRICK_PIH" not in _codes(draft["warnings"])
    assert audit() == [(practitioner.email, "change", "plan", str(plan.public_id))]


def test_a_grade_b_hard_stop_overridden_as_the_page_requires_lets_the_plan_be_approved(
    org, practitioner, make_patient
):
    patient = make_patient(first_name="Greta", email="greta@example.com")
    with acting_for(org):
        pm.PregnancyStatus.objects.create(
            patient=patient,
            status=pm.PregnancyState.PREGNANT,
            confirmed_on="2026-11-01",
            recorded_on="2026-11-01",
            created_by=practitioner,
        )
    plan = draft_plan(org, patient, practitioner, DCA)
    url = f"{PLANS}/{plan.public_id}"
    client = client_for(practitioner)
    [stop] = [f for f in client.get(url).json()["draft"]["hard_stops"] if f["code"] == "PREGNANCY"]
    assert stop["grade"] == "B" and stop["overridable"] is True
    assert _post(client, f"{url}/approve", {"lock_version": 0}).status_code == 400
    body = {"lock_version": 0, "code": "PREGNANCY", "reason": "Postpartum, test confirmed"}
    # The clinic's only practitioner: the patient must have signed an acknowledgement.
    alone = _post(client, f"{url}/overrides", body)
    assert alone.status_code == 400 and "acknowledgement" in alone.json()["detail"]
    passed = _post(client, f"{url}/overrides", {**body, "patient_acknowledged": True})
    assert passed.status_code == 200, passed.content
    assert passed.json()["draft"]["hard_stops"] == []
    approved = _post(client, f"{url}/approve", {"lock_version": 1})
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"


# --- locks, limits and bad values -------------------------------------------------------


def test_a_stale_lock_version_is_a_409_naming_the_new_one_and_changes_nothing(
    org, practitioner, patient
):
    plan = draft_plan(org, patient, practitioner, DCA)
    url = f"{PLANS}/{plan.public_id}"
    client = client_for(practitioner)
    first = _post(
        client, f"{url}/areas", {"lock_version": 0, "concern": "hair-loss", "area": "scalp"}
    )
    assert first.status_code == 200 and first.json()["lock_version"] == 1
    inputs = reload_plan(org, plan).inputs
    stale = [
        ("areas", {"concern": "skin-rejuvenation", "area": "forehead"}),
        ("areas/0", {"concern": "localized-fat", "sessions": 2}),
        ("areas/1/remove", {}),
        ("start", {"start": "2027-02-01"}),
        ("approve", {}),
    ]
    for path, body in stale:
        answer = _post(client, f"{url}/{path}", {"lock_version": 0, **body})
        assert answer.status_code == 409, (path, answer.content)
        assert answer.json()["detail"].endswith("its lock_version is now 1."), path
    plan = reload_plan(org, plan)
    assert plan.inputs == inputs and plan.lock_version == 1 and plan.status == PlanStatus.DRAFT
    with acting_for(org):
        assert not PlanVersion.objects.filter(plan=plan).exists()


def test_an_approved_plan_is_not_edited_in_place(org, practitioner, approved_plan):
    url = f"{PLANS}/{approved_plan.public_id}"
    client = client_for(practitioner)
    lock = approved_plan.lock_version
    for path, body in (
        ("areas", {"concern": "hair-loss", "area": "scalp"}),
        ("areas/0", {"concern": "localized-fat", "sessions": 2}),
        ("areas/0/remove", {}),
        ("start", {"start": "2027-02-01"}),
        ("overrides", {"code": "FITZPATRICK_PIH", "reason": "Test patch done"}),
        ("approve", {}),
    ):
        answer = _post(client, f"{url}/{path}", {"lock_version": lock, **body})
        assert answer.status_code == 409, (path, answer.content)
    assert "reopen" in _post(client, f"{url}/areas/0", {"lock_version": lock}).json()["detail"]
    assert _post(client, f"{url}/propose").status_code == 409
    after = reload_plan(org, approved_plan)
    assert after.inputs == approved_plan.inputs and after.status == PlanStatus.APPROVED
    with acting_for(org):
        assert PlanVersion.objects.filter(plan=after).count() == 1
    # Nor is a draft consented.
    draft = draft_plan(org, approved_plan.patient, practitioner, DCA)
    assert client.get(f"{PLANS}/{draft.public_id}/consent-document").status_code == 409
    signing = _post(
        client,
        f"{PLANS}/{draft.public_id}/consents",
        {"typed_name": "Anna García", "signature": SIGNATURE, "understood": True, "text_hash": "x"},
    )
    assert signing.status_code == 409 and "approved" in signing.json()["detail"]


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("areas", {"concern": "localized-fat", "area": "elbow-tip"}, "area"),
        ("areas", {"concern": "world-peace", "area": "submental"}, "concern"),
        ("areas/0", {"concern": "localized-fat", "depth_mm": 50}, "depth_mm"),
        ("areas/0", {"concern": "localized-fat", "sessions": 0}, "sessions"),
        ("areas/0", {"concern": "localized-fat", "products": ["snake-oil"]}, "products"),
        ("start", {"start": "next tuesday"}, "start"),
        ("overrides", {"code": "FITZPATRICK_PIH", "reason": ""}, "reason"),
        ("cancel", {"reason": ""}, "reason"),
    ],
)
def test_bad_values_are_refused_with_the_field_named_and_nothing_changed(
    org, practitioner, patient, path, body, field, audit
):
    plan = draft_plan(org, patient, practitioner, DCA)
    audit()
    answer = _post(
        client_for(practitioner), f"{PLANS}/{plan.public_id}/{path}", {"lock_version": 0, **body}
    )
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"], answer.json()
    after = reload_plan(org, plan)
    assert after.inputs == plan.inputs and after.lock_version == 0
    assert after.status == PlanStatus.DRAFT
    assert audit() == []


def test_an_unknown_area_index_is_a_json_404(org, practitioner, patient):
    plan = draft_plan(org, patient, practitioner, DCA)
    client = client_for(practitioner)
    for path in ("areas/7", "areas/1/remove"):
        answer = _post(
            client,
            f"{PLANS}/{plan.public_id}/{path}",
            {"lock_version": 0, "concern": "localized-fat"},
        )
        assert answer.status_code == 404, path
        assert answer["Content-Type"].startswith("application/json")
        assert "no area at index" in answer.json()["detail"]
    assert reload_plan(org, plan).lock_version == 0


def _signature(**changes):
    return {
        "typed_name": "Anna García",
        "signature": SIGNATURE,
        "understood": True,
        **changes,
    }


@pytest.mark.parametrize(
    "changes,field,status",
    [
        ({"typed_name": "Someone Else"}, "typed_name", 400),
        ({"understood": False}, "understood", 400),
        ({"signature": ""}, "signature", 400),
        ({"signature": "<script>alert(1)</script>"}, "signature", 400),
        ({"text_hash": "0" * 64}, "text_hash", 409),
    ],
)
def test_an_incomplete_signature_is_refused_with_the_field_named(
    org, practitioner, approved_plan, changes, field, status, audit
):
    client = client_for(practitioner)
    url = f"{PLANS}/{approved_plan.public_id}"
    shown = client.get(f"{url}/consent-document").json()
    audit()
    body = _signature(**{"text_hash": shown["text_hash"], **changes})
    answer = _post(client, f"{url}/consents", body)
    assert answer.status_code == status, answer.content
    assert field in answer.json()["errors"], answer.json()
    with acting_for(org):
        assert not Consent.objects.exists()
    assert reload_plan(org, approved_plan).status == PlanStatus.APPROVED
    assert audit() == []


def test_a_revoked_consent_is_not_countersigned_nor_revoked_again(
    org, practitioner, signed_consent
):
    client = client_for(practitioner)
    url = f"{CONSENTS}/{signed_consent.public_id}"
    assert _post(client, f"{url}/revoke", {"reason": "x"}).status_code == 400
    assert _post(client, f"{url}/revoke", {"reason": "Changed her mind"}).status_code == 200
    again = _post(client, f"{url}/revoke", {"reason": "Second tap"})
    assert again.status_code == 409 and "already revoked" in again.json()["detail"]
    late = _post(client, f"{url}/countersign")
    assert late.status_code == 409 and "revoked" in late.json()["detail"]
    with acting_for(org):
        consent = Consent.objects.get(pk=signed_consent.pk)
    assert consent.void_reason == "Changed her mind" and consent.countersigned_at is None


# --- who may ---------------------------------------------------------------------------


def _operations(patient, draft, approved, consent) -> dict[str, tuple[str, str, dict | None]]:
    """Every plan write (and the consent document), with a body the caller could send."""
    d, a, k = draft.public_id, approved.public_id, consent.public_id
    lock = {"lock_version": 0}
    return {
        "create_plan": ("post", reverse("api:create_plan"), {"patient": str(patient.public_id)}),
        "add_area": (
            "post",
            f"{PLANS}/{d}/areas",
            {**lock, "concern": "skin-rejuvenation", "area": "forehead"},
        ),
        "update_area": (
            "post",
            f"{PLANS}/{d}/areas/0",
            {**lock, "concern": "localized-fat", "sessions": 2},
        ),
        "remove_area": ("post", f"{PLANS}/{d}/areas/0/remove", lock),
        "set_start": ("post", f"{PLANS}/{d}/start", {**lock, "start": "2027-02-01"}),
        "add_override": (
            "post",
            f"{PLANS}/{d}/overrides",
            {**lock, "code": "NO_SOURCED_LIMIT", "reason": "Seen before, fine"},
        ),
        "approve": ("post", f"{PLANS}/{d}/approve", lock),
        "propose": ("post", f"{PLANS}/{d}/propose", {}),
        "reopen": ("post", f"{PLANS}/{a}/reopen", {}),
        "cancel": ("post", f"{PLANS}/{d}/cancel", {"reason": "Chose surgery"}),
        "consent_document": ("get", f"{PLANS}/{a}/consent-document", None),
        "sign_consent": ("post", f"{PLANS}/{a}/consents", _signature(text_hash="x")),
        "countersign": ("post", f"{CONSENTS}/{k}/countersign", {}),
        "revoke": ("post", f"{CONSENTS}/{k}/revoke", {"reason": "Changed her mind"}),
    }


def _send(client, operation, **headers):
    method, path, body = operation
    if method == "get":
        return client.get(path, **headers)
    return _post(client, path, body, **headers)


def _unchanged(org, draft, approved, consent):
    with acting_for(org):
        assert Plan.objects.get(pk=draft.pk).lock_version == 0
        assert Plan.objects.get(pk=draft.pk).status == PlanStatus.DRAFT
        assert Plan.objects.get(pk=approved.pk).status == PlanStatus.APPROVED
        assert Plan.objects.count() == 3  # nobody made a plan
        consent = Consent.objects.get(pk=consent.pk)
        assert consent.countersigned_at is None and consent.voided_at is None
        assert Consent.objects.count() == 1


@pytest.fixture
def targets(org, patient, practitioner, approved_plan, signed_consent):
    draft = draft_plan(org, patient, practitioner, DCA)
    return draft, approved_plan, signed_consent


def test_the_table_names_every_plan_write(patient, targets):
    routed = {
        operation.view_func.__name__
        for router in (plan_edits.router, plan_edits.consents)
        for path_view in router.path_operations.values()
        for operation in path_view.operations
    }
    assert set(_operations(patient, *targets)) == routed | {"create_plan"}


def test_an_esthetician_edits_a_draft_but_does_not_approve_override_or_countersign(
    org, esthetician, patient, targets, audit
):
    draft, approved, consent = targets
    ops = _operations(patient, draft, approved, consent)
    client = client_for(esthetician)
    audit()
    for name in ("add_override", "approve", "countersign"):
        answer = _send(client, ops[name])
        assert answer.status_code == 403, name
    _unchanged(org, draft, approved, consent)
    assert audit() == []
    added = _send(client, ops["add_area"])
    assert added.status_code == 200, added.content
    updated = _post(
        client,
        f"{PLANS}/{draft.public_id}/areas/1",
        {"lock_version": 1, "concern": "skin-rejuvenation", "sessions": 2},
    )
    assert updated.status_code == 200, updated.content
    moved = _post(
        client, f"{PLANS}/{draft.public_id}/start", {"lock_version": 2, "start": "2027-02-01"}
    )
    assert moved.status_code == 200 and moved.json()["draft"]["start"] == "2027-02-01"
    assert audit() == [(esthetician.email, "change", "plan", str(draft.public_id))] * 3


def test_reception_a_token_without_write_or_clinical_scope_are_refused_everything(
    org, reception, practitioner, patient, targets
):
    draft, approved, consent = targets
    ops = _operations(patient, draft, approved, consent)
    callers = {
        "reception": (client_for(reception), {}, set(ops)),
        "reception token": (Client(), _token(reception, "read", "write", "clinical"), set(ops)),
        # Reading the consent document is a read: the write scope is for the writes.
        "no write scope": (
            Client(),
            _token(practitioner, "read", "clinical"),
            set(ops) - {"consent_document"},
        ),
        "no clinical scope": (Client(), _token(practitioner, "read", "write"), set(ops)),
    }
    mark = _last_event()
    wrong = []
    for caller, (client, headers, refused) in callers.items():
        for name in sorted(refused):
            answer = _send(client, ops[name], **headers)
            body = answer.content.decode()
            if answer.status_code != 403 or any(n in body for n in LAST_NAME_SPELLINGS):
                wrong.append(f"{caller} {name}: {answer.status_code} {body[:200]}")
    assert not wrong, "\n".join(wrong)
    _unchanged(org, draft, approved, consent)
    # Nothing done, nothing recorded (the tokens' own events came before).
    assert _events_since(mark) == []


def test_outsider_portal_patient_and_anonymous_get_nothing_of_ours(
    org, outsider, reception, patient, targets
):
    from tests.test_portal import portal_user

    draft, approved, consent = targets
    ops = _operations(patient, draft, approved, consent)
    callers = {
        "outsider": (client_for(outsider), 404),
        "patient": (client_for(portal_user(org, reception, patient)), 404),
        "anonymous": (Client(), 401),
    }
    wrong = []
    for caller, (client, status) in callers.items():
        for name, operation in ops.items():
            answer = _send(client, operation)
            body = answer.content.decode()
            if answer.status_code != status:
                wrong.append(f"{caller} {name}: {answer.status_code} {body[:200]}")
            elif caller != "patient" and any(n in body for n in LAST_NAME_SPELLINGS):
                wrong.append(f"{caller} {name}: shows our patient's name")
    assert not wrong, "\n".join(wrong)
    # Refused before the body is read: an outsider learns nothing of what we accept.
    empty = client_for(outsider).post(
        f"{PLANS}/{draft.public_id}/areas", {}, content_type="application/json"
    )
    assert empty.status_code == 404
    _unchanged(org, draft, approved, consent)
