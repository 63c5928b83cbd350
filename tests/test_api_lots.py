"""The JSON API's lots and stock: each site's lots with their expiry and vials on hand,
and the stock per site and product against the reorder levels. Clinical roles read them
(as the lot pages); reception and a token without the clinical scope get 403, another
clinic 404 and none of its lots, a portal patient 404, nobody signed in 401."""

from datetime import date, timedelta

import pytest
from django.test import Client

from mesoclinic.accounts.models import Site
from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import stock
from tests.factories import CLINICAL, client_for, receive_lot
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures


@pytest.fixture
def lot(org, site, practitioner):
    return receive_lot(org, site, practitioner, number="DCA-001", vials=10)


@pytest.mark.parametrize("role", CLINICAL)
def test_clinical_roles_read_lots_with_expiry_and_vials_on_hand(personas, role, lot, site):
    client = client_for(personas[role])
    found = client.get("/api/v1/lots").json()["results"]
    assert [(x["lot_number"], x["vials_left"], x["state"]) for x in found] == [
        ("DCA-001", 10, "usable")
    ]
    assert found[0]["site"] == {"id": str(site.public_id), "name": site.name}
    assert found[0]["product_name"] and found[0]["expires_on"] == lot.expires_on.isoformat()
    detail = client.get(f"/api/v1/lots/{lot.public_id}").json()
    assert detail["id"] == str(lot.public_id)


def test_reception_and_a_token_without_the_clinical_scope_are_refused(reception, practitioner, lot):
    for url in ("/api/v1/lots", f"/api/v1/lots/{lot.public_id}", "/api/v1/lots/stock"):
        assert client_for(reception).get(url).status_code == 403, url
    _, secret = tokens.create(practitioner, name="t", scopes=["read"], days=5)
    response = Client().get("/api/v1/lots", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403 and "clinical" in response.json()["detail"]


def test_another_clinic_a_portal_patient_and_nobody_are_refused(outsider, me, lot, site):  # noqa: F811
    client = client_for(outsider)
    assert client.get("/api/v1/lots").json()["results"] == []
    assert client.get("/api/v1/lots/stock").json()["results"] == []
    assert client.get(f"/api/v1/lots/{lot.public_id}").status_code == 404
    assert client.get(f"/api/v1/lots?site={site.public_id}").status_code == 404
    assert client_for(me).get("/api/v1/lots").status_code == 404
    assert Client().get("/api/v1/lots").status_code == 401


def test_lots_are_filtered_by_site_state_and_number(org, site, practitioner, lot):
    other = Site.objects.create(organization=org, name="Annex")
    expired = receive_lot(
        org, other, practitioner, number="OLD-1", expires_on=date.today() - timedelta(days=1)
    )
    client = client_for(practitioner)

    def numbers(query):
        return [x["lot_number"] for x in client.get(f"/api/v1/lots?{query}").json()["results"]]

    assert numbers(f"site={other.public_id}") == []
    assert numbers(f"site={other.public_id}&show=expired") == ["OLD-1"]
    assert numbers("show=all&sort=received") in (["DCA-001", "OLD-1"], ["OLD-1", "DCA-001"])
    assert numbers("lot_number=dca-001") == ["DCA-001"]
    assert client.get("/api/v1/lots?show=lost").status_code == 422
    detail = client.get(f"/api/v1/lots/{expired.public_id}").json()
    assert detail["state"] == "expired"


def test_stock_per_site_and_product_against_the_reorder_level(org, site, owner, practitioner, lot):
    with acting_for(org):
        stock.set_level(owner, site, lot.product, 10)
    found = client_for(practitioner).get("/api/v1/lots/stock").json()["results"]
    assert [(x["product"], x["vials_left"], x["low_at"], x["low"]) for x in found] == [
        (lot.product, 10, 10, True)
    ]
    with acting_for(org):
        assert AuditEvent.objects.filter(object_type="stock").count() == 1


def test_lot_pages_and_their_audit(org, site, practitioner):
    made = [
        receive_lot(
            org,
            site,
            practitioner,
            number=f"L-{n}",
            expires_on=date.today() + timedelta(days=10 + n),
        )
        for n in range(3)
    ]
    client = client_for(practitioner)
    first = client.get("/api/v1/lots?limit=2").json()
    second = client.get(f"/api/v1/lots?limit=2&cursor={first['next']}").json()
    assert [x["id"] for x in first["results"] + second["results"]] == [
        str(x.public_id) for x in made
    ]
    assert second["next"] is None
    assert client.get("/api/v1/lots?cursor=forged").status_code == 400
    with acting_for(org):
        assert AuditEvent.objects.filter(action="search", object_type="lot").count() == 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_bounded_number_of_queries(
    org, site, practitioner, count, django_assert_max_num_queries
):
    for n in range(count):
        receive_lot(org, site, practitioner, number=f"L-{n}")
    client = client_for(practitioner)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/lots?limit=200").json()["results"]) == count
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/lots/stock").json()["results"]) == 1


# --- receiving a delivery -----------------------------------------------------------------


def _delivery(site, **changes):
    today = date.today()
    return {
        "site": str(site.public_id),
        "product": "ha-noncrosslinked-2ml",
        "lot_number": " hab-7781 ",
        "expires_on": str(today + timedelta(days=300)),
        "received_on": str(today),
        "vials_received": 12,
        "supplier": "Demo Pharma",
        "invoice_number": "INV-55",
        "unit_cost": "18.50",
        **changes,
    }


@pytest.mark.parametrize("role", CLINICAL)
def test_a_clinical_role_receives_a_lot_once_as_the_page_does(personas, role, org, site):
    client = client_for(personas[role])
    made = client.post("/api/v1/lots", _delivery(site), content_type="application/json")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["lot_number"] == "HAB-7781" and data["vials_left"] == 12
    assert data["state"] == "usable" and data["site"]["id"] == str(site.public_id)
    again = client.post("/api/v1/lots", _delivery(site), content_type="application/json")
    assert again.status_code == 400
    assert again.json()["errors"]["lot_number"] == [
        "This lot of this product is already in stock at that site."
    ]
    with acting_for(org):
        from mesoclinic.treatments.models import Lot

        assert Lot.objects.filter(lot_number="HAB-7781").count() == 1
    created = AuditEvent.objects.filter(action="create", object_id=data["id"])
    assert created.get().actor == personas[role]


def test_an_expired_or_empty_delivery_is_refused_field_by_field(practitioner, site):
    client = client_for(practitioner)
    past = str(date.today() - timedelta(days=1))
    bad = client.post(
        "/api/v1/lots",
        _delivery(site, expires_on=past, vials_received=0, product="no-such-product"),
        content_type="application/json",
    )
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert set(errors) >= {"vials_received", "product"}


def test_receiving_needs_a_clinical_role_write_scope_and_our_site(
    org, site, practitioner, reception, outsider, patient
):
    body = _delivery(site)
    assert client_for(reception).post("/api/v1/lots", body, "application/json").status_code == 403
    token = {"HTTP_AUTHORIZATION": "Bearer " + tokens.create(
        practitioner, name="t", scopes=["read", "clinical"], days=5
    )[1]}  # fmt: skip
    assert Client().post("/api/v1/lots", body, "application/json", **token).status_code == 403
    assert client_for(outsider).post("/api/v1/lots", body, "application/json").status_code == 404
    patient_login = client_for(portal_user(org, reception, patient))
    assert patient_login.post("/api/v1/lots", body, "application/json").status_code == 404
    assert Client().post("/api/v1/lots", body, "application/json").status_code == 401


# --- signing a stock count ----------------------------------------------------------------


def _count(client, site, lines, key=None):
    import uuid

    return client.post(
        "/api/v1/lots/counts",
        {"site": str(site.public_id), "lines": lines},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def _line(lot, expected, counted, reason=""):
    return {"lot": str(lot.public_id), "expected": expected, "counted": counted, "reason": reason}


def test_a_count_sets_the_stock_once_with_the_reasons_for_differences(org, site, practitioner, lot):
    import uuid

    other = receive_lot(org, site, practitioner, number="HAB-1", product="ha-noncrosslinked-2ml")
    client = client_for(practitioner)
    no_reason = _count(client, site, [_line(lot, 10, 9), _line(other, 10, 10)])
    assert (
        no_reason.status_code == 400 and "Say why lot DCA-001 differs" in no_reason.json()["detail"]
    )
    missing = _count(client, site, [_line(lot, 10, 10)])
    assert missing.status_code == 400 and "HAB-1" in missing.json()["detail"]
    key = str(uuid.uuid4())
    lines = [_line(lot, 10, 9, "One vial broken"), _line(other, 10, 10)]
    signed = _count(client, site, lines, key)
    assert signed.status_code == 201, signed.content
    assert signed.json()["differences"] == 1 and signed.json()["lots_counted"] == 2
    again = _count(client, site, lines, key)
    assert again.status_code == 200 and again.json()["id"] == signed.json()["id"]
    left = client.get(f"/api/v1/lots/{lot.public_id}").json()["vials_left"]
    assert left == 9  # set to the count, once
    stale = _count(client, site, [_line(lot, 10, 9, "x"), _line(other, 10, 10)])
    assert stale.status_code == 409  # the stock moved since 10 was read
    assert AuditEvent.objects.filter(action="create", object_type="stockcount").count() == 1


def test_counting_is_for_those_who_sign_in_this_clinic(
    org, site, practitioner, esthetician, reception, outsider, patient, lot
):
    lines = [_line(lot, 10, 10)]
    assert _count(client_for(esthetician), site, lines).status_code == 403
    assert _count(client_for(reception), site, lines).status_code == 403
    assert _count(client_for(outsider), site, lines).status_code == 404
    assert _count(client_for(portal_user(org, reception, patient)), site, lines).status_code == 404
    assert _count(Client(), site, lines).status_code == 401
    assert client_for(practitioner).get(f"/api/v1/lots/{lot.public_id}").json()["vials_left"] == 10


# --- recall: who received a lot, and recalling it -----------------------------------------


def test_a_recall_lists_everyone_who_received_the_lot_in_pages(
    org, site, practitioner, esthetician, make_patient, lot
):
    from tests.factories import make_session

    people = [make_patient(first_name=n, email=f"{n}@example.com") for n in ("Ana", "Bo", "Cy")]
    made = [
        make_session(org, p, site, practitioner, lot, days_ago=d)
        for p, d in zip(people, (30, 20, 10), strict=True)
    ]
    other = receive_lot(org, site, practitioner, number="OTHER-9", vials=5)
    make_session(org, make_patient(first_name="Dee"), site, practitioner, other, days_ago=5)
    client = client_for(esthetician)
    first = client.get("/api/v1/lots/recall", {"lot": " dca-001 ", "limit": 2}).json()
    second = client.get(
        "/api/v1/lots/recall", {"lot": "DCA-001", "limit": 2, "cursor": first["next"]}
    ).json()
    rows = first["results"] + second["results"]
    assert [r["session_id"] for r in rows] == [str(s.public_id) for s in reversed(made)]
    assert [r["patient_name"] for r in rows] == ["Cy García", "Bo García", "Ana García"]
    assert rows[0]["email"] == "Cy@example.com" and rows[0]["volume_ml"] == "2.00"
    assert second["next"] is None
    with acting_for(org):
        searched = AuditEvent.objects.filter(
            action="search", object_type="lot", detail="api recall"
        )
        assert searched.count() == 2 and searched.first().object_id == "DCA-001"
    assert client.get("/api/v1/lots/recall").status_code == 422  # the lot number is required


def test_a_practitioner_recalls_a_lot_once_and_it_can_no_longer_be_charted(
    org, site, practitioner, esthetician, patient, lot
):
    from tests.factories import make_session, post_chart

    url = f"/api/v1/lots/{lot.public_id}/recall"
    body = {"reason": "Manufacturer notice 2026-14"}
    assert (
        client_for(esthetician).post(url, body, content_type="application/json").status_code == 403
    )
    client = client_for(practitioner)
    assert client.post(url, {"reason": "x"}, content_type="application/json").status_code == 400
    recalled = client.post(url, body, content_type="application/json")
    assert recalled.status_code == 200, recalled.content
    assert recalled.json()["state"] == "recalled"
    assert recalled.json()["recall_reason"] == "Manufacturer notice 2026-14"
    again = client.post(url, {"reason": "Twice"}, content_type="application/json")
    assert again.status_code == 200 and again.json()["recall_reason"] == body["reason"]
    with acting_for(org):
        changes = AuditEvent.objects.filter(action="change", object_type="lot")
        assert changes.count() == 1
    session = make_session(org, patient, site, practitioner, days_ago=0)
    charted = post_chart(client, session, lot)
    assert charted.status_code == 400 and "recalled" in charted.content.decode()


def test_recalls_are_for_our_clinicians_only(org, practitioner, reception, outsider, me, lot):  # noqa: F811
    url = f"/api/v1/lots/{lot.public_id}/recall"
    body = {"reason": "Manufacturer notice"}
    _, reader = tokens.create(practitioner, name="t", scopes=["read", "clinical"], days=5)
    for client, expected in (
        (client_for(reception), 403),
        (client_for(outsider), 404),
        (client_for(me), 404),
        (Client(), 401),
    ):
        assert client.post(url, body, content_type="application/json").status_code == expected
    assert client_for(reception).get("/api/v1/lots/recall", {"lot": "DCA-001"}).status_code == 403
    assert (
        client_for(outsider).get("/api/v1/lots/recall", {"lot": "DCA-001"}).json()["results"] == []
    )
    refused = Client().post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {reader}"
    )
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    with acting_for(org):
        lot.refresh_from_db()
        assert lot.recalled_at is None
