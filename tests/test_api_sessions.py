"""The JSON API's treatment sessions: the same roles, limits and audit as the session page."""

import html

import pytest
from django.test import Client
from django.urls import reverse

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import SessionArea, SessionStatus, TreatmentSession
from tests.factories import (
    ADHOC,
    client_for,
    give_licence,
    make_lot,
    make_session,
    post_chart,
    post_start,
    receive_lot,
    take_baseline_photos,
)
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

CLINICAL = ["owner", "practitioner", "esthetician"]


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _token(user, *scopes):
    return _bearer(tokens.create(user, name="t", scopes=list(scopes), days=5)[1])


@pytest.fixture
def lot(org, site, practitioner):
    return make_lot(org, site, practitioner)


@pytest.fixture
def charted(org, patient, site, practitioner, lot):
    """A session in progress with one submental row of 2 mL."""
    return make_session(org, patient, site, practitioner, lot)


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_the_charted_rows(
    personas, role, charted, lot, org, site, make_patient
):
    other = make_patient(first_name="Berta", email="berta@example.com")
    make_session(org, other, site, personas["practitioner"], days_ago=1)
    client = client_for(personas[role])
    data = client.get(f"/api/v1/sessions/{charted.public_id}").json()
    assert data["status"] == "in_progress" and data["performed_by"] == "Dr Pia Prax"
    [row] = data["rows"]
    assert row["lot_number"] == "DX-2401" and row["dose"] == {"amount": "2.00", "unit": "mL"}
    assert row["area"] == "submental" and row["lot_expires_on"] == lot.expires_on.isoformat()
    listed = client.get("/api/v1/sessions", {"patient": str(charted.patient.public_id)}).json()
    assert [r["id"] for r in listed["results"]] == [str(charted.public_id)]


def test_reception_and_a_token_without_clinical_scope_get_403(reception, practitioner, charted):
    for client, headers in (
        (client_for(reception), {}),
        (Client(), _token(practitioner, "read")),
        (Client(), _token(reception, "read", "clinical")),
    ):
        for path in (f"/api/v1/sessions/{charted.public_id}", "/api/v1/sessions"):
            response = client.get(path, **headers)
            assert response.status_code == 403, path
            assert "Dr Pia" not in response.content.decode()


def test_a_clinical_token_reads_as_its_holder(practitioner, charted):
    response = Client().get(
        f"/api/v1/sessions/{charted.public_id}", **_token(practitioner, "read", "clinical")
    )
    assert response.status_code == 200 and len(response.json()["rows"]) == 1


def test_outsider_portal_patient_and_anonymous_never_see_the_session(
    outsider, org, reception, patient, charted
):
    from tests.test_portal import portal_user

    outside = client_for(outsider)
    assert outside.get(f"/api/v1/sessions/{charted.public_id}").status_code == 404
    assert outside.get("/api/v1/sessions", {"patient": str(patient.public_id)}).status_code == 404
    assert outside.get("/api/v1/sessions").json()["results"] == []
    me = client_for(portal_user(org, reception, patient))
    assert me.get(f"/api/v1/sessions/{charted.public_id}").status_code == 404
    assert Client().get(f"/api/v1/sessions/{charted.public_id}").status_code == 401


def test_filters_sorts_and_bad_values(org, patient, site, practitioner, lot):
    old = make_session(org, patient, site, practitioner, days_ago=40)
    with acting_for(org):
        TreatmentSession.objects.filter(pk=old.pk).update(status=SessionStatus.VOIDED)
    new = make_session(org, patient, site, practitioner, days_ago=2)
    client = client_for(practitioner)
    ids = lambda **q: [r["id"] for r in client.get("/api/v1/sessions", q).json()["results"]]  # noqa: E731
    assert ids() == [str(new.public_id), str(old.public_id)]
    assert ids(sort="started_at") == [str(old.public_id), str(new.public_id)]
    assert ids(status="voided") == [str(old.public_id)]
    started = new.started_at.date().isoformat()
    assert ids(started_from=started) == [str(new.public_id)]
    assert client.get("/api/v1/sessions", {"sort": "patient__last_name"}).status_code == 422
    assert client.get("/api/v1/sessions", {"status": "nope"}).status_code == 422
    backwards = client.get(
        "/api/v1/sessions", {"started_from": started, "started_to": "2000-01-01"}
    )
    assert backwards.status_code == 400 and "started_from" in backwards.json()["detail"]


def test_pages_walk_every_session_once(org, patient, site, practitioner, make_patient):
    made = [
        make_session(org, make_patient(email=f"p{i}@example.com"), site, practitioner, days_ago=i)
        for i in range(5)
    ]
    client = client_for(practitioner)
    first = client.get("/api/v1/sessions", {"limit": 3}).json()
    second = client.get("/api/v1/sessions", {"limit": 3, "cursor": first["next"]}).json()
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert seen == [str(s.public_id) for s in made] and second["next"] is None


def test_each_read_is_one_audit_event(practitioner, charted, patient):
    client = client_for(practitioner)
    client.get(f"/api/v1/sessions/{charted.public_id}")
    client.get("/api/v1/sessions", {"patient": str(patient.public_id)})
    client.get("/api/v1/sessions")
    events = list(
        AuditEvent.objects.exclude(action="login")
        .order_by("id")
        .values_list("action", "object_type", "object_id", "detail")
    )
    assert events == [
        ("view", "treatmentsession", str(charted.public_id), "api"),
        ("view", "patient", str(patient.public_id), "api sessions"),
        ("search", "treatmentsession", "", "api sessions"),
    ]


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_costs_the_same_queries_at_3_and_30_rows(
    n, org, site, practitioner, make_patient, django_assert_max_num_queries
):
    for i in range(n):
        make_session(org, make_patient(email=f"q{i}@example.com"), site, practitioner, days_ago=i)
    client = client_for(practitioner)
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/sessions", {"limit": 200})
    assert len(response.json()["results"]) == n


# --- writes: the page's form and services ----------------------------------------------

PAIN = {**ADHOC, "concern": "pain", "areas": ["back"], "numbing_product": "", "weight_kg": "64"}


def _start_pain(client, org, patient, site, areas=("back",)):
    url = reverse("session_start_adhoc", args=[patient.public_id])
    assert client.post(url, {**PAIN, "areas": list(areas), "site": site.pk}).status_code == 302
    with acting_for(org):
        return TreatmentSession.objects.get(status=SessionStatus.IN_PROGRESS)


def _chart(client, session, lot, headers=None, **changes):
    body = {
        "area": "back",
        "technique": "point-by-point",
        "lot": str(lot.public_id),
        "volume_ml": "15",
        "injections": 100,
        "depth_mm": "5",
        "lock_version": session.lock_version,
        **changes,
    }
    return client.post(
        f"/api/v1/sessions/{session.public_id}/areas",
        body,
        content_type="application/json",
        **(headers or {}),
    )


def test_a_second_session_past_the_24_hour_lidocaine_cap_is_refused_and_not_charted(
    org, site, practitioner, patient
):
    client = client_for(practitioner)
    plain = receive_lot(org, site, practitioner, "LID-1", product="lidocaine-1pct-5ml", vials=20)
    epi = receive_lot(org, site, practitioner, "EPI-1", product="lidocaine-epi-1pct-20ml", vials=5)
    first = _start_pain(client, org, patient, site)
    charted = _chart(client, first, plain)  # 150 mg of lidocaine
    assert charted.status_code == 201, charted.content
    assert charted.json()["row"]["dose"] == {"amount": "15.00", "unit": "mL"}
    signed = client.post(f"/api/v1/sessions/{first.public_id}/sign")
    assert signed.status_code == 200, signed.content
    assert signed.json()["status"] == "signed" and signed.json()["signed_by"] == "Dr Pia Prax"
    second = _start_pain(client, org, patient, site, areas=("hands",))
    refused = _chart(
        client, second, epi, area="hands", volume_ml="30", injections=200
    )  # 300 mg more with epinephrine: 450 mg within 24 hours
    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert "450 mg of lidocaine in all" in detail and "within 24 hours" in detail
    with acting_for(org):
        assert SessionArea.objects.count() == 1
        assert SessionArea.objects.get().session_id == first.pk


def test_a_double_submitted_row_is_charted_once(org, site, practitioner, patient):
    client = client_for(practitioner)
    plain = receive_lot(org, site, practitioner, "LID-2", product="lidocaine-1pct-5ml", vials=20)
    session = _start_pain(client, org, patient, site)
    assert _chart(client, session, plain, volume_ml="5", injections=30).status_code == 201
    again = _chart(client, session, plain, volume_ml="5", injections=30)  # same lock_version
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "The session was charted meanwhile (or this row was sent twice): read it again; "
        "its lock_version is now 1."
    )
    with acting_for(org):
        assert SessionArea.objects.filter(session=session).count() == 1


def test_bad_fields_are_named_and_a_signed_session_is_a_conflict(org, site, practitioner, patient):
    client = client_for(practitioner)
    plain = receive_lot(org, site, practitioner, "LID-3", product="lidocaine-1pct-5ml", vials=20)
    session = _start_pain(client, org, patient, site)
    deep = _chart(client, session, plain, depth_mm="14")
    assert deep.status_code == 400
    assert deep.json()["errors"]["depth_mm"] == ["Injection depth is 1-10 mm (seeds)."]
    with acting_for(org):
        TreatmentSession.objects.filter(pk=session.pk).update(status=SessionStatus.VOIDED)
    voided = _chart(client, session, plain)
    assert voided.status_code == 409 and "signed" in voided.json()["detail"]
    with acting_for(org):
        assert not SessionArea.objects.exists()


def test_writes_need_a_clinical_role_and_write_and_clinical_scopes(
    org, site, practitioner, reception, esthetician, outsider, patient
):
    plain = receive_lot(org, site, practitioner, "LID-4", product="lidocaine-1pct-5ml", vials=20)
    session = _start_pain(client_for(practitioner), org, patient, site)
    sign = f"/api/v1/sessions/{session.public_id}/sign"
    for headers in (
        _token(practitioner, "read", "clinical"),
        _token(practitioner, "read", "write"),
    ):
        assert _chart(Client(), session, plain, headers).status_code == 403
        assert Client().post(sign, **headers).status_code == 403
    assert _chart(client_for(reception), session, plain).status_code == 403
    assert client_for(esthetician).post(sign).status_code == 403
    assert _chart(client_for(outsider), session, plain).status_code == 404
    # Access before the body: an outsider learns nothing of what we would accept.
    empty = client_for(outsider).post(
        f"/api/v1/sessions/{session.public_id}/areas", {}, content_type="application/json"
    )
    assert empty.status_code == 404
    assert client_for(outsider).post(sign).status_code == 404
    assert _chart(Client(), session, plain).status_code == 401
    with acting_for(org):
        assert not SessionArea.objects.exists()
    token = _token(practitioner, "read", "write", "clinical")
    assert _chart(Client(), session, plain, token, volume_ml="5").status_code == 201
    # The service audits the write, once, as its holder.
    change = AuditEvent.objects.filter(action="change", object_id=str(session.public_id))
    assert change.get().actor == practitioner


def test_sign_off_refuses_what_the_page_refuses(org, site, practitioner, patient):
    client = client_for(practitioner)
    session = _start_pain(client, org, patient, site)
    empty = client.post(f"/api/v1/sessions/{session.public_id}/sign")
    assert empty.status_code == 400 and "Chart at least one area" in empty.json()["detail"]
    with acting_for(org):
        assert not TreatmentSession.objects.get(pk=session.pk).is_signed


def test_the_openapi_document_lists_the_allowed_sorts_and_statuses(practitioner):
    doc = client_for(practitioner).get("/api/v1/openapi.json").json()
    listing = doc["paths"]["/api/v1/sessions"]["get"]
    params = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert params["sort"]["enum"] == ["-started_at", "started_at"]
    assert set(doc["components"]["schemas"]["SessionStatus"]["enum"]) == {
        "in_progress",
        "signed",
        "voided",
    }
    chart = doc["paths"]["/api/v1/sessions/{session_id}/areas"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(chart["responses"])
    body = chart["requestBody"]["content"]["application/json"]["schema"]
    assert "lock_version" in body["required"]


def test_an_esthetician_is_refused_what_the_page_refuses_her(
    org, site, practitioner, esthetician, patient
):
    plain = receive_lot(org, site, practitioner, "LID-5", product="lidocaine-1pct-5ml", vials=20)
    session = _start_pain(client_for(practitioner), org, patient, site)
    client = client_for(esthetician)
    fields = {"area": "back", "technique": "point-by-point", "volume_ml": "5", "depth_mm": "5"}
    page = post_chart(
        client, session, plain, **fields, injections="30", needle_length_mm="", needle_angle_deg=""
    )
    api = _chart(client, session, plain, **fields, injections=30)
    assert page.status_code == api.status_code == 400
    assert "only a licensed practitioner charts it" in api.json()["detail"]
    assert api.json()["detail"] in page.content.decode()
    with acting_for(org):
        assert not SessionArea.objects.exists()


# --- void and amend (the session page's other writes) ------------------------------------


def _signed(org, patient, site, practitioner, lot):
    session = make_session(org, patient, site, practitioner, lot)
    with acting_for(org):
        from django.utils import timezone

        TreatmentSession.objects.filter(pk=session.pk).update(
            status=SessionStatus.SIGNED, signed_at=timezone.now(), signed_by=practitioner
        )
    return session


def test_a_session_is_voided_with_a_reason_once_and_kept(org, practitioner, charted):
    client = client_for(practitioner)
    url = f"/api/v1/sessions/{charted.public_id}/void"
    short = client.post(url, {"reason": "x"}, content_type="application/json")
    assert short.status_code == 400 and "reason" in short.json()["errors"]
    voided = client.post(url, {"reason": "Charted on the wrong patient"}, "application/json")
    assert voided.status_code == 200, voided.content
    data = voided.json()
    assert data["status"] == "voided" and data["void_reason"] == "Charted on the wrong patient"
    assert data["voided_by"] == "Dr Pia Prax" and len(data["rows"]) == 1  # kept, not deleted
    again = client.post(url, {"reason": "Second tap"}, content_type="application/json")
    assert (
        again.status_code == 200 and again.json()["void_reason"] == "Charted on the wrong patient"
    )
    voids = AuditEvent.objects.filter(action="void", object_id=str(charted.public_id))
    assert voids.count() == 1 and voids.get().actor == practitioner


def test_a_signed_session_is_amended_once_however_often_it_is_sent(
    org, make_patient, site, practitioner, lot, charted
):
    other = make_patient(first_name="Berta", email="berta@example.com")
    signed = _signed(org, other, site, practitioner, make_lot(org, site, practitioner, "S-1"))
    client = client_for(practitioner)
    body = {"text": "Depth was 4 mm, not 6 mm.", "reason": "Typing error"}
    url = f"/api/v1/sessions/{signed.public_id}/amendments"
    first = client.post(url, body, content_type="application/json")
    assert first.status_code == 201, first.content
    [amendment] = first.json()["amendments"]
    assert amendment["text"] == body["text"] and amendment["author"] == "Dr Pia Prax"
    again = client.post(url, body, content_type="application/json")
    assert len(again.json()["amendments"]) == 1
    other = client.post(url, {**body, "text": "Also: 30 points."}, content_type="application/json")
    assert len(other.json()["amendments"]) == 2
    # An unsigned session is edited, not amended.
    open_one = client.post(
        f"/api/v1/sessions/{charted.public_id}/amendments", body, content_type="application/json"
    )
    assert open_one.status_code == 409 and "Only a signed session" in open_one.json()["detail"]


def test_void_and_amend_need_the_pages_roles_and_scopes(
    org, patient, make_patient, site, practitioner, esthetician, reception, outsider, lot, charted
):
    from tests.test_portal import portal_user

    other = make_patient(first_name="Berta", email="berta@example.com")
    signed = _signed(org, other, site, practitioner, make_lot(org, site, practitioner, "S-2"))
    void = (f"/api/v1/sessions/{charted.public_id}/void", {"reason": "Wrong patient"})
    amend = (f"/api/v1/sessions/{signed.public_id}/amendments", {"text": "t", "reason": "why"})
    patient_login = client_for(portal_user(org, reception, patient))
    for url, body in (void, amend):
        assert client_for(reception).post(url, body, "application/json").status_code == 403
        token = _token(practitioner, "read", "clinical")  # no write scope
        assert Client().post(url, body, "application/json", **token).status_code == 403
        assert client_for(outsider).post(url, body, "application/json").status_code == 404
        assert patient_login.post(url, body, "application/json").status_code == 404
        assert Client().post(url, body, "application/json").status_code == 401
    # Voiding is a practitioner's (as on the page); an esthetician may amend.
    assert client_for(esthetician).post(*void, "application/json").status_code == 403
    assert client_for(esthetician).post(*amend, "application/json").status_code == 201
    with acting_for(org):
        assert TreatmentSession.objects.get(pk=charted.pk).status == SessionStatus.IN_PROGRESS


# --- starting a session (the start page's write) -----------------------------------------


def _start_body(plan, site, **changes):
    body = {
        "plan": str(plan.public_id),
        "site": str(site.public_id),
        "pregnancy": "no",
        "weight_kg": "64",
        "numbing_product": "emla-cream-5g",
        "numbing_amount_g": "2",
        "photos_taken": True,
    }
    body.update(changes)
    return body


def _start(client, body, **headers):
    return client.post("/api/v1/sessions", body, content_type="application/json", **headers)


def _sessions(org):
    with acting_for(org):
        return TreatmentSession.objects.count()


@pytest.mark.parametrize("role", ["owner", "practitioner"])
def test_a_clinician_starts_a_session_with_todays_answers(
    personas, role, org, site, consented_plan
):
    user = personas[role]
    if role == "owner":
        give_licence(user, number="GMC-7001999")  # treatment needs a licensed clinician
    response = _start(client_for(user), _start_body(consented_plan, site))
    assert response.status_code == 201, response.content
    started = response.json()
    assert (started["status"], started["performed_by"]) == ("in_progress", user.full_name)
    assert started["plan_id"] == str(consented_plan.public_id) and started["rows"] == []
    precheck = started["precheck"]
    assert (precheck["pregnancy"], precheck["numbing_product"]) == ("no", "emla-cream-5g")
    assert precheck["numbing_amount_g"] == 2 and precheck["photos_taken"] is True
    with acting_for(org):
        session = TreatmentSession.objects.get()
        events = AuditEvent.objects.filter(action="create", object_type="treatmentsession")
        assert events.count() == 1 and events.get().actor == user
    assert started["id"] == str(session.public_id) and session.weight_kg == 64


def test_pregnancy_or_infection_declared_today_refuse_the_start_as_the_page_does(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    pregnant = _start(client, _start_body(consented_plan, site, pregnancy="pregnant"))
    assert pregnant.status_code == 400
    assert "must not be used during pregnancy" in pregnant.json()["detail"]
    infected = _start(client, _start_body(consented_plan, site, infected_areas=["submental"]))
    assert infected.status_code == 400
    assert "Infection at the injection site" in infected.json()["detail"]
    unanswered = _start(client, _start_body(consented_plan, site, pregnancy=None))
    assert unanswered.status_code == 400 and "pregnancy" in unanswered.json()["errors"]
    page = post_start(client, consented_plan, site, pregnancy="pregnant")
    assert page.status_code == 400 and pregnant.json()["detail"] in html.unescape(
        page.content.decode()
    )
    assert _sessions(org) == 0


def test_a_man_is_not_asked_and_an_answer_sent_is_not_taken(
    org, site, practitioner, consented_plan, patient
):
    with acting_for(org):
        patient.sex = "M"
        patient.save(update_fields=["sex"])
    body = _start_body(consented_plan, site, pregnancy="pregnant")
    response = _start(client_for(practitioner), body)
    assert response.status_code == 201, response.content
    assert response.json()["precheck"]["pregnancy"] == "not-asked"


def test_the_same_start_sent_again_answers_with_its_session_and_another_is_a_409(
    org, site, practitioner, owner, consented_plan
):
    client = client_for(practitioner)
    first = _start(client, _start_body(consented_plan, site))
    again = _start(client, _start_body(consented_plan, site))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    give_licence(owner, number="GMC-7001999")
    colleague = _start(client_for(owner), _start_body(consented_plan, site))
    assert colleague.status_code == 409
    assert "already has a session in progress" in colleague.json()["detail"]
    assert _sessions(org) == 1


def test_the_patients_charted_history_refuses_a_start_too_soon(
    org, site, practitioner, consented_plan
):
    client = client_for(practitioner)
    assert post_start(client, consented_plan, site).status_code == 302
    with acting_for(org):
        session = TreatmentSession.objects.get()
    lot = receive_lot(org, site, practitioner, number="L-SOON")
    assert post_chart(client, session, lot).status_code == 200
    take_baseline_photos(org, practitioner, session)
    assert client.post(reverse("session_sign", args=[session.public_id])).status_code == 302
    again = _start(client, _start_body(consented_plan, site))
    assert again.status_code == 400 and "at least 30 days" in again.json()["detail"]
    assert _sessions(org) == 1


def test_bad_values_are_named_and_start_nothing(org, site, practitioner, consented_plan):
    client = client_for(practitioner)
    for changes, field in (
        ({"weight_kg": "900"}, "weight_kg"),
        ({"infected_areas": ["scalp"]}, "infected_areas"),  # not an area of the plan
        ({"numbing_product": "emla-cream-5g", "numbing_amount_g": None}, "numbing_amount_g"),
        ({"pregnancy": "maybe"}, "pregnancy"),
    ):
        response = _start(client, _start_body(consented_plan, site, **changes))
        assert response.status_code == 400, (changes, response.content)
        assert field in response.json()["errors"], (changes, response.json())
    slip = _start(client, _start_body(consented_plan, site, weight_kg="141"))
    assert slip.status_code == 400 and "kg, not lb" in slip.json()["errors"]["weight_kg"][0]
    assert _sessions(org) == 0


def test_a_plan_without_a_valid_consent_cannot_be_started(org, site, practitioner, approved_plan):
    response = _start(client_for(practitioner), _start_body(approved_plan, site))
    assert response.status_code == 400 and "no valid consent" in response.json()["detail"]
    assert _sessions(org) == 0


def test_who_may_start_a_session_through_the_api(
    org,
    site,
    practitioner,
    esthetician,
    reception,
    outsider,
    me,
    consented_plan,  # noqa: F811
):
    body = _start_body(consented_plan, site)
    assert _start(client_for(reception), body).status_code == 403
    scoped = _start(client_for(esthetician), body)
    assert scoped.status_code == 400 and "practitioner" in scoped.json()["detail"]
    foreign = _start(client_for(outsider), body)
    assert foreign.status_code == 404 and foreign.json() == {"detail": "Not found."}
    assert _start(client_for(me), body).status_code == 404
    assert _start(Client(), body).status_code == 401
    reader = _start(Client(), body, **_token(practitioner, "read", "clinical"))
    assert reader.status_code == 403 and "write" in reader.json()["detail"]
    no_clinical = _start(Client(), body, **_token(practitioner, "read", "write"))
    assert no_clinical.status_code == 403
    assert _sessions(org) == 0
    writer = _start(Client(), body, **_token(practitioner, "read", "write", "clinical"))
    assert writer.status_code == 201
