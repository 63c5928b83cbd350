"""The JSON API's money: invoices, payments, a patient's balance, and taking a payment
through the desk's service (its rules, its double-submit guard, its audit event).

Whoever bills (owners, practitioners, reception) reads and pays; estheticians get 403,
another clinic 404 and never the data, a portal patient 404, nobody signed in 401.
"""

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing import invoicing
from mesoclinic.payments.models import Payment
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_payments import give_back, pay
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

BILLERS = ["owner", "practitioner", "reception"]


def issued_invoice(org, user, patient, site, price="120.00", line="Mesotherapy: forehead"):
    with acting_for(org):
        draft = invoicing.draft_for_patient(user, patient, site)
        invoicing.add_line(
            user, draft, kind="treatment", description=line,
            quantity=Decimal("1"), unit_price=Decimal(price),
        )  # fmt: skip
        return invoicing.issue(user, draft)


@pytest.fixture
def invoice(org, reception, patient, site):
    return issued_invoice(org, reception, patient, site)


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _pay_body(patient, site, **changes):
    body = {
        "patient": str(patient.public_id),
        "site": str(site.public_id),
        "method": "card",
        "amount": "50.00",
        "reference": "TID 4471",
    }
    body.update(changes)
    return body


def _post(client, body, key=None, **headers):
    key = key or str(uuid.uuid4())
    return client.post(
        "/api/v1/payments",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


@pytest.mark.parametrize("role", BILLERS)
def test_whoever_bills_reads_invoices_lines_and_totals_as_decimal_strings(
    personas, role, invoice, patient
):
    client = client_for(personas[role])
    listing = client.get("/api/v1/invoices").json()
    assert [i["id"] for i in listing["results"]] == [str(invoice.public_id)]
    detail = client.get(f"/api/v1/invoices/{invoice.public_id}").json()
    assert detail["total_gross"] == "120.00" and detail["due"] == "120.00"
    assert detail["state"] == "unpaid" and detail["currency"] == "USD"
    assert [line["description"] for line in detail["lines"]] == ["Mesotherapy: forehead"]
    assert detail["patient"] == str(patient.public_id)


def test_an_esthetician_handles_no_money(esthetician, invoice, patient):
    client = client_for(esthetician)
    for url in (
        "/api/v1/invoices",
        f"/api/v1/invoices/{invoice.public_id}",
        f"/api/v1/payments?patient={patient.public_id}",
        f"/api/v1/payments/balance/{patient.public_id}",
    ):
        assert client.get(url).status_code == 403, url


def test_another_clinic_gets_404_and_never_the_data(
    outsider, invoice, patient, org, reception, site
):
    pay(org, reception, patient, site, "30.00")
    client = client_for(outsider)
    assert client.get("/api/v1/invoices").json()["results"] == []
    for url in (
        f"/api/v1/invoices/{invoice.public_id}",
        f"/api/v1/invoices?patient={patient.public_id}",
        f"/api/v1/payments?patient={patient.public_id}",
        f"/api/v1/payments/balance/{patient.public_id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    response = _post(client, _pay_body(patient, site))
    assert response.status_code == 404
    with acting_for(org):
        assert Payment.objects.count() == 1


def test_a_portal_patient_and_nobody_signed_in_are_refused(me, invoice, patient):  # noqa: F811
    assert client_for(me).get(f"/api/v1/invoices/{invoice.public_id}").status_code == 404
    assert Client().get(f"/api/v1/invoices/{invoice.public_id}").status_code == 401
    assert Client().get(f"/api/v1/payments/balance/{patient.public_id}").status_code == 401


def test_the_balance_and_payments_with_their_refunds(org, reception, patient, site, invoice):
    paid = pay(org, reception, patient, site, "100.00", invoice=invoice)
    give_back(org, reception, paid, site, "20.00")
    client = client_for(reception)
    balance = client.get(f"/api/v1/payments/balance/{patient.public_id}").json()
    assert balance == {
        "patient": str(patient.public_id), "currency": "USD", "invoiced": "120.00",
        "credited": "0.00", "paid": "100.00", "refunded": "20.00", "owed": "40.00",
    }  # fmt: skip
    payments = client.get(f"/api/v1/payments?patient={patient.public_id}").json()["results"]
    assert [(p["amount"], p["refunded"], p["invoice"]) for p in payments] == [
        ("100.00", "20.00", str(invoice.public_id))
    ]
    assert payments[0]["refunds"][0]["reason"] == "Session cancelled"
    detail = client.get(f"/api/v1/invoices/{invoice.public_id}").json()
    assert (detail["paid"], detail["due"], detail["state"]) == ("80.00", "40.00", "part-paid")


def test_a_payment_sent_twice_with_one_key_is_recorded_once(org, reception, patient, site, invoice):
    client = client_for(reception)
    key = str(uuid.uuid4())
    body = _pay_body(patient, site, invoice=str(invoice.public_id))
    first = _post(client, body, key)
    assert first.status_code == 201, first.content
    again = _post(client, body, key)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    with acting_for(org):
        payment = Payment.objects.get()
        assert (payment.amount, payment.invoice, payment.taken_by) == (
            Decimal("50.00"), invoice, reception,
        )  # fmt: skip
        events = AuditEvent.objects.filter(action="create", object_type="payment")
        assert events.count() == 1 and events.get().actor == reception


def test_a_payment_meets_the_pages_rules_with_the_field_at_fault(reception, patient, site, invoice):
    client = client_for(reception)
    too_much = _post(
        client, _pay_body(patient, site, invoice=str(invoice.public_id), amount="500.00")
    )
    assert too_much.status_code == 400
    assert "Only USD 120.00 is due" in too_much.json()["errors"]["amount"][0]
    card = _post(client, _pay_body(patient, site, reference="4111 1111 1111 1111"))
    assert card.status_code == 400 and "card number" in card.json()["errors"]["reference"][0]
    no_key = client.post(
        "/api/v1/payments", _pay_body(patient, site), content_type="application/json"
    )
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["detail"]
    for empty in ({}, ""):
        response = client.post("/api/v1/payments", empty, content_type="application/json")
        assert response.status_code == 400, response.content
    bad = _post(client, _pay_body(patient, site, method="cheque"))
    assert bad.status_code == 400 and "method" in bad.json()["errors"]
    with acting_for(patient.organization):
        assert not Payment.objects.exists()


def test_tokens_need_the_write_scope_to_pay(org, reception, patient, site):
    _, read_only = tokens.create(reception, name="t", scopes=["read"], days=5)
    refused = _post(Client(), _pay_body(patient, site), **_bearer(read_only))
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    _, writer = tokens.create(reception, name="w", scopes=["read", "write"], days=5)
    assert _post(Client(), _pay_body(patient, site), **_bearer(writer)).status_code == 201
    with acting_for(org):
        assert Payment.objects.count() == 1


def test_an_esthetician_token_cannot_pay(org, esthetician, patient, site):
    _, secret = tokens.create(esthetician, name="t", scopes=["read", "write", "clinical"], days=5)
    assert _post(Client(), _pay_body(patient, site), **_bearer(secret)).status_code == 403


def test_invoices_come_in_cursor_pages_and_each_read_is_audited(org, reception, patient, site):
    made = [issued_invoice(org, reception, patient, site, price=f"{n}0.00") for n in (1, 2, 3)]
    client = client_for(reception)
    first = client.get("/api/v1/invoices?limit=2").json()
    second = client.get(f"/api/v1/invoices?limit=2&cursor={first['next']}").json()
    seen = [i["id"] for i in first["results"] + second["results"]]
    assert seen == [str(i.public_id) for i in reversed(made)] and second["next"] is None
    assert client.get("/api/v1/invoices?sort=biggest").status_code == 422
    with acting_for(org):
        assert AuditEvent.objects.filter(action="search", object_type="invoice").count() == 2
    client.get(f"/api/v1/invoices/{made[0].public_id}")
    with acting_for(org):
        assert (
            AuditEvent.objects.filter(action="view", object_id=str(made[0].public_id)).count() == 1
        )


@pytest.mark.parametrize("count", [3, 30])
def test_lists_run_a_bounded_number_of_queries(
    org, reception, patient, site, count, django_assert_max_num_queries
):
    for _ in range(count):
        paid = pay(org, reception, patient, site, "10.00")
        give_back(org, reception, paid, site, "1.00")
        issued_invoice(org, reception, patient, site, price="10.00")
    client = client_for(reception)
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/v1/invoices?limit=200").json()["results"]) == count
    with django_assert_max_num_queries(12):
        response = client.get(f"/api/v1/payments?patient={patient.public_id}&limit=200")
        assert len(response.json()["results"]) == count


def test_the_openapi_document_describes_taking_a_payment(reception):
    document = client_for(reception).get("/api/v1/openapi.json").json()
    take = document["paths"]["/api/v1/payments"]["post"]
    body = take["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["method"]["enum"] == [
        "cash", "card", "bank_transfer", "package_credit", "voucher",
    ]  # fmt: skip
    assert {"200", "201", "400", "403", "404"} <= set(take["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in take["parameters"])
    listing = document["paths"]["/api/v1/invoices"]["get"]["parameters"]
    sort = next(p for p in listing if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["newest", "oldest"]


# --- refunds ------------------------------------------------------------------------------


def _refund(client, payment, site, key=None, **changes):
    body = {"site": str(site.public_id), "method": "card", "amount": "20.00"}
    body.update({"reason": "Treatment cancelled", **changes})
    return client.post(
        f"/api/v1/payments/{payment.public_id}/refunds",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def test_a_refund_sent_twice_with_one_key_gives_back_once_and_never_more_than_paid(
    org, reception, patient, site
):
    from mesoclinic.payments.models import Refund

    payment = pay(org, reception, patient, site, "50.00")
    client = client_for(reception)
    key = str(uuid.uuid4())
    first = _refund(client, payment, site, key)
    assert first.status_code == 201, first.content
    again = _refund(client, payment, site, key)
    assert again.status_code == 200
    assert [r["amount"] for r in again.json()["refunds"]] == ["20.00"]
    too_much = _refund(client, payment, site, amount="40.00")
    assert too_much.status_code == 400
    assert "At most USD 30.00" in too_much.json()["errors"]["amount"][0]
    no_reason = _refund(client, payment, site, reason="  ")
    assert "reason" in no_reason.json()["errors"]
    no_key = client.post(
        f"/api/v1/payments/{payment.public_id}/refunds",
        {"site": str(site.public_id), "method": "card", "amount": "1.00", "reason": "x"},
        content_type="application/json",
    )
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["detail"]
    with acting_for(org):
        assert Refund.objects.get().amount == Decimal("20.00")
    assert AuditEvent.objects.filter(action="create", object_type="refund").count() == 1


def test_refunds_are_for_those_who_take_payments_in_this_clinic(
    org,
    reception,
    esthetician,
    outsider,
    patient,
    site,
    me,  # noqa: F811
):
    payment = pay(org, reception, patient, site, "50.00")
    assert _refund(client_for(esthetician), payment, site).status_code == 403
    read_only = _bearer(tokens.create(reception, name="t", scopes=["read"], days=5)[1])
    url = f"/api/v1/payments/{payment.public_id}/refunds"
    body = {"site": str(site.public_id), "method": "card", "amount": "1.00", "reason": "why"}
    assert Client().post(url, body, "application/json", **read_only).status_code == 403
    assert _refund(client_for(outsider), payment, site).status_code == 404
    assert _refund(client_for(me), payment, site).status_code == 404
    assert _refund(Client(), payment, site).status_code == 401
