"""The JSON API's invoice writes (issue 18): drafting from a signed session or by hand,
adding a line, issuing and crediting through the invoice page's forms and
`billing.invoicing`, and the PDF. Whoever bills writes; an esthetician gets 403, another
clinic 404 and never the data, a portal patient 404, nobody signed in 401. A retried
request makes one draft, one line, one number and one credit note."""

import uuid

import pytest
from django.test import Client

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing.models import Invoice
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_invoices import draft, issue, price_list, signed  # noqa: F401 - fixture
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

BILLERS = ["owner", "practitioner", "reception"]


def _post(client, url, body=None, **headers):
    return client.post(f"/api/v1{url}", body or {}, content_type="application/json", **headers)


def _line(count, **changes):
    body = {
        "kind": "consultation",
        "description": "Consultation",
        "quantity": "1",
        "unit_price": "80.00",
        "line_count": count,
    }
    body.update(changes)
    return body


def _invoices(org, **filters):
    with acting_for(org):
        return Invoice.objects.filter(**filters).count()


@pytest.mark.parametrize("role", BILLERS)
def test_whoever_bills_drafts_a_signed_session_once_and_issues_it(
    personas,
    role,
    org,
    owner,
    signed,  # noqa: F811
):
    price_list(org, owner, product="95.50")
    client = client_for(personas[role])
    first = _post(client, "/invoices", {"session": str(signed.public_id)})
    assert first.status_code == 201, first.content
    drafted = first.json()
    assert (drafted["status"], drafted["number"], drafted["unpriced"]) == ("draft", None, [])
    assert [line["description"] for line in drafted["lines"]] == [
        "Mesotherapy, Submental (under the chin)",
        "Treatment product, per vial",
    ]
    again = _post(client, "/invoices", {"session": str(signed.public_id)})
    assert again.status_code == 200 and again.json()["id"] == drafted["id"]
    issued = _post(client, f"/invoices/{drafted['id']}/issue")
    assert issued.status_code == 200
    assert (issued.json()["status"], issued.json()["number"]) == ("issued", 1)
    assert issued.json()["total_gross"] == "345.50"
    twice = _post(client, f"/invoices/{drafted['id']}/issue")
    assert twice.status_code == 200 and twice.json()["number"] == 1
    assert _invoices(org) == 1


def test_what_has_no_price_is_listed_not_invented(org, owner, reception, signed):  # noqa: F811
    price_list(org, owner, submental=None)
    drafted = _post(client_for(reception), "/invoices", {"session": str(signed.public_id)})
    assert drafted.status_code == 201
    assert drafted.json()["lines"] == []
    assert drafted.json()["unpriced"] == ["Submental (under the chin) (treatment)"]


def test_a_draft_by_hand_takes_lines_once_each_and_refuses_what_the_page_refuses(
    org, reception, patient, site
):
    client = client_for(reception)
    made = _post(client, "/invoices", {"patient": str(patient.public_id)})
    assert made.status_code == 201 and made.json()["lines"] == []
    again = _post(client, "/invoices", {"patient": str(patient.public_id)})
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
    url = f"/invoices/{made.json()['id']}/lines"
    added = _post(client, url, _line(0))
    assert added.status_code == 201
    assert [line["description"] for line in added.json()["lines"]] == ["Consultation"]
    retried = _post(client, url, _line(0))  # the same request sent again
    assert retried.status_code == 409 and "has 1 line now" in retried.json()["detail"]
    no_reason = _post(client, url, _line(1, discount="10.00"))
    assert no_reason.status_code == 400
    assert "Say why" in no_reason.json()["errors"]["discount_reason"][0]
    too_much = _post(client, url, _line(1, discount="90.00", discount_reason="Friend"))
    assert too_much.status_code == 400 and "discount" in too_much.json()["errors"]
    bad = _post(client, url, _line(1, kind="treatment"))
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    assert _post(client, url, _line(1, quantity="0")).status_code == 400
    with acting_for(org):
        assert Invoice.objects.get().lines.count() == 1
    neither = _post(client, "/invoices", {})
    both = _post(
        client, "/invoices", {"patient": str(patient.public_id), "session": str(uuid.uuid4())}
    )
    assert neither.status_code == both.status_code == 400
    assert _invoices(org) == 1


def test_an_issued_invoice_takes_no_line_and_is_corrected_by_credit_notes_once(
    org,
    owner,
    reception,
    signed,  # noqa: F811
):
    price_list(org, owner, product="95.50")
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    client = client_for(reception)
    late = _post(client, f"/invoices/{invoice.public_id}/lines", _line(2))
    assert late.status_code == 409 and "credit note" in late.json()["detail"]
    url = f"/invoices/{invoice.public_id}/credit-notes"
    assert _post(client, url, {"reason": "x"}).status_code == 400  # too short to say why
    assert _post(client, url, {"reason": "Vial not used", "lines": [9]}).status_code == 400
    note = _post(client, url, {"reason": "Vial not used", "lines": [2]})
    assert note.status_code == 201, note.content
    assert (note.json()["kind"], note.json()["number"], note.json()["total_gross"]) == (
        "credit_note", 2, "95.50",
    )  # fmt: skip
    assert note.json()["credits"] == str(invoice.public_id)
    again = _post(client, url, {"reason": "Vial not used", "lines": [2]})
    assert again.status_code == 409
    assert "already credited by Credit note 2" in again.json()["detail"]
    assert _post(client, url, {"reason": "Cancelled"}).status_code == 409  # all: line 2 again
    rest = _post(client, url, {"reason": "Cancelled", "lines": [1]})
    assert rest.status_code == 201 and rest.json()["number"] == 3
    assert _invoices(org, kind="credit_note") == 2


def test_the_pdf_is_the_printed_invoice_never_cached_and_audited(
    org,
    owner,
    reception,
    signed,  # noqa: F811
):
    price_list(org, owner)
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    response = client_for(reception).get(f"/api/v1/invoices/{invoice.public_id}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and response["Cache-Control"] == "no-store"
    with acting_for(org):
        events = AuditEvent.objects.filter(action="export", object_type="invoice")
        assert events.count() == 1 and "PDF" in events.get().detail


def test_writes_are_audited_once_each(org, reception, patient, site):
    client = client_for(reception)
    made = _post(client, "/invoices", {"patient": str(patient.public_id)}).json()
    _post(client, f"/invoices/{made['id']}/lines", _line(0))
    _post(client, f"/invoices/{made['id']}/issue")
    with acting_for(org):
        details = list(
            AuditEvent.objects.filter(object_type="invoice")
            .order_by("pk")
            .values_list("action", "detail")
        )
    assert details == [
        ("create", "drafted by hand"),
        ("change", "line added: consultation"),
        ("change", "issued"),
    ]


def test_who_may_write_invoices(
    org,
    owner,
    reception,
    esthetician,
    outsider,
    me,
    patient,
    signed,  # noqa: F811
):
    price_list(org, owner)
    invoice = issue(org, reception, draft(org, reception, signed).invoice)
    body = {"patient": str(patient.public_id)}
    assert _post(client_for(esthetician), "/invoices", body).status_code == 403
    credit = {"reason": "Cancelled"}
    for client, expected in ((client_for(outsider), 404), (client_for(me), 404), (Client(), 401)):
        assert _post(client, "/invoices", body).status_code == expected
        assert (
            _post(client, "/invoices", {"session": str(signed.public_id)}).status_code == expected
        )
        note = _post(client, f"/invoices/{invoice.public_id}/credit-notes", credit)
        assert note.status_code == expected
        assert client.get(f"/api/v1/invoices/{invoice.public_id}/pdf").status_code == expected
    foreign = _post(client_for(outsider), f"/invoices/{invoice.public_id}/issue")
    assert foreign.json() == {"detail": "Not found."}
    _, read_only = tokens.create(reception, name="t", scopes=["read"], days=5)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {read_only}"}
    refused = _post(Client(), "/invoices", body, **bearer)
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    assert Client().get(f"/api/v1/invoices/{invoice.public_id}/pdf", **bearer).status_code == 200
    assert _invoices(org) == 1
