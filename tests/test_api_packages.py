"""The JSON API's price list and course packages (issue 18): everyone on staff reads the
price list in force; whoever bills reads a patient's packages, with sessions and value
left, and sells one through the desk's form and service, so the sale issues its invoice,
happens once per Idempotency-Key and is refused, with the field at fault, where the page
refuses it. Estheticians get 403 for packages, another clinic 404 and never the data, a
portal patient 404, nobody signed in 401."""

import uuid
from decimal import Decimal

import pytest
from django.test import Client

from mesoclinic.api import tokens
from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing.models import Invoice, InvoiceLine
from mesoclinic.payments.models import Method, PackageSale
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_api_money import issued_invoice
from tests.test_packages import price_list_with_package, sell, signed_session  # noqa: F401
from tests.test_payments import pay
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

BILLERS = ["owner", "practitioner", "reception"]
STAFF = [*BILLERS, "esthetician"]


def _bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _sale(patient, site, version=1, package=0, **changes):
    body = {
        "patient": str(patient.public_id),
        "site": str(site.public_id),
        "price_list_version": version,
        "package": package,
    }
    body.update(changes)
    return body


def _post(client, body, key=None, **headers):
    return client.post(
        "/api/v1/packages",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        **headers,
    )


def _sales(org):
    with acting_for(org):
        return PackageSale.objects.count()


@pytest.mark.parametrize("role", STAFF)
def test_everyone_on_staff_reads_the_price_list_in_force(personas, role, org, owner):
    price_list_with_package(org, owner)
    listing = client_for(personas[role]).get("/api/v1/price-list").json()
    assert (listing["version"], listing["currency"]) == (1, "USD")
    assert listing["saved_by"] == owner.full_name
    assert listing["packages"] == [
        {
            "index": 0,
            "name": "Chin course of 3",
            "protocol": "submental-deoxycholic",
            "protocol_name": listing["packages"][0]["protocol_name"],
            "sessions": 3,
            "amount": "450.00",
        }
    ]
    # The protocol has a name for people, not its code.
    assert listing["packages"][0]["protocol_name"] not in ("", "submental-deoxycholic")


def test_before_the_first_price_list_nothing_has_a_price(owner):
    listing = client_for(owner).get("/api/v1/price-list").json()
    assert listing["version"] is None and listing["saved_at"] is None
    assert (listing["areas"], listing["products"], listing["packages"]) == ([], [], [])


def test_areas_and_products_carry_their_names_and_treatment_type(org, owner):
    from mesoclinic.billing import prices
    from mesoclinic.scheduling.models import TreatmentType

    with acting_for(org):
        peel = TreatmentType.objects.create(name="Face mesotherapy")
        prices.save_version(
            owner,
            prices.NewPrices(
                currency="USD", consultation=Decimal("40"), numbing=None,
                areas={("forehead", None): Decimal("90"), ("forehead", peel.pk): Decimal("80")},
                products={"pcdc-5ml": Decimal("12.5")}, packages=[],
            ),
        )  # fmt: skip
    listing = client_for(owner).get("/api/v1/price-list").json()
    assert (listing["consultation"], listing["numbing"]) == ("40.00", None)
    areas = {(a["area"], (a["treatment_type"] or {}).get("name")): a for a in listing["areas"]}
    assert areas[("forehead", None)]["amount"] == "90.00"
    assert areas[("forehead", "Face mesotherapy")]["amount"] == "80.00"
    assert areas[("forehead", None)]["area_name"] == "Forehead"
    [product] = listing["products"]
    assert (product["product"], product["amount"]) == ("pcdc-5ml", "12.50")
    assert product["product_name"] != "pcdc-5ml"


@pytest.mark.parametrize("role", BILLERS)
def test_whoever_bills_sells_a_package_that_issues_its_invoice(
    personas, role, org, owner, patient, site
):
    price_list_with_package(org, owner)
    user = personas[role]
    response = _post(client_for(user), _sale(patient, site))
    assert response.status_code == 201, response.content
    sold = response.json()
    assert (sold["name"], sold["sessions"], sold["sessions_left"]) == ("Chin course of 3", 3, 3)
    assert (sold["price"], sold["unused_value"], sold["sold_by"]) == (
        "450.00", "450.00", user.full_name,
    )  # fmt: skip
    with acting_for(org):
        invoice = Invoice.objects.get()
        line = InvoiceLine.objects.get(invoice=invoice)
        sale = PackageSale.objects.get()
        events = AuditEvent.objects.filter(action="create", object_type="packagesale")
        assert events.count() == 1 and events.get().actor == user
    assert sold["invoice"] == str(invoice.public_id) and sold["id"] == str(sale.public_id)
    assert (invoice.number, invoice.total_gross) == (1, Decimal("450.00"))
    assert line.description == "Course package: Chin course of 3, 3 sessions"


def test_a_sale_sent_twice_with_one_key_sells_once(org, owner, reception, patient, site):
    price_list_with_package(org, owner)
    client, key = client_for(reception), str(uuid.uuid4())
    first = _post(client, _sale(patient, site), key)
    again = _post(client, _sale(patient, site), key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    with acting_for(org):
        assert PackageSale.objects.count() == 1 and Invoice.objects.count() == 1
    # Another key is another sale, as a second click on the page with a fresh form is.
    assert _post(client, _sale(patient, site)).status_code == 201
    assert _sales(org) == 2


def test_a_price_list_saved_since_it_was_read_is_a_409(org, owner, reception, patient, site):
    price_list_with_package(org, owner)
    price_list_with_package(org, owner, amount="480.00")  # version 2
    response = _post(client_for(reception), _sale(patient, site, version=1))
    assert response.status_code == 409
    assert "now version 2" in response.json()["errors"]["price_list_version"][0]
    assert _sales(org) == 0
    sold = _post(client_for(reception), _sale(patient, site, version=2))
    assert sold.json()["price"] == "480.00"


def test_a_sale_the_page_would_refuse_names_the_field_and_sells_nothing(
    org, owner, reception, patient, site, make_patient
):
    client = client_for(reception)
    none_yet = _post(client, _sale(patient, site))
    assert none_yet.status_code == 400 and "no price list" in none_yet.json()["detail"]
    price_list_with_package(org, owner)
    no_such = _post(client, _sale(patient, site, package=1))
    assert no_such.status_code == 400 and "no package 1" in no_such.json()["errors"]["package"][0]
    someone_else = make_patient(first_name="Ines", last_name="Other")
    theirs = issued_invoice(org, reception, someone_else, site)
    wrong = _post(client, _sale(patient, site, invoice=str(theirs.public_id)))
    assert wrong.status_code == 400 and "invoice" in wrong.json()["errors"]
    unknown_site = _post(client, {**_sale(patient, site), "site": str(uuid.uuid4())})
    assert unknown_site.status_code == 400 and "site" in unknown_site.json()["errors"]
    no_key = client.post("/api/v1/packages", _sale(patient, site), content_type="application/json")
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["detail"]
    negative = _post(client, _sale(patient, site, package=-1))
    assert negative.status_code == 400 and "package" in negative.json()["errors"]
    assert _sales(org) == 0


def test_a_package_already_on_an_invoice_gets_no_second_one(org, owner, reception, patient, site):
    price_list_with_package(org, owner)
    charged = issued_invoice(org, reception, patient, site, price="450.00")
    sold = _post(client_for(reception), _sale(patient, site, invoice=str(charged.public_id)))
    assert sold.status_code == 201 and sold.json()["invoice"] == str(charged.public_id)
    with acting_for(org):
        assert Invoice.objects.count() == 1


def test_the_list_shows_sessions_drawn_and_value_spent_and_each_read_is_audited(
    org,
    owner,
    reception,
    patient,
    site,
    consented_plan,
    signed_session,  # noqa: F811
):
    from tests.test_packages import the_protocol

    package = sell(org, reception, patient, site, the_protocol(org, consented_plan))
    signed_session()
    pay(org, reception, patient, site, "100.00", method=Method.PACKAGE_CREDIT, package=package)
    client = client_for(reception)
    [listed] = client.get(f"/api/v1/packages?patient={patient.public_id}").json()["results"]
    assert (listed["sessions_used"], listed["sessions_left"]) == (1, 2)
    assert (listed["price"], listed["unused_value"]) == ("300.00", "200.00")
    detail = client.get(f"/api/v1/packages/{package.public_id}").json()
    assert detail == listed
    with acting_for(org):
        listed_event = AuditEvent.objects.filter(
            action="view", object_type="patient", detail="api packages"
        )
        assert listed_event.count() == 1 and listed_event.get().object_id == str(patient.public_id)
        assert AuditEvent.objects.filter(action="view", object_type="packagesale").count() == 1


def test_packages_come_in_cursor_pages_in_a_bounded_number_of_queries(
    org, reception, patient, site, django_assert_max_num_queries
):
    made = [sell(org, reception, patient, site, "submental-deoxycholic") for _ in range(5)]
    client = client_for(reception)
    client.get("/api/v1/price-list")  # the session's first request pays its own set-up
    with django_assert_max_num_queries(12):
        first = client.get(f"/api/v1/packages?patient={patient.public_id}&limit=3").json()
    second = client.get(
        f"/api/v1/packages?patient={patient.public_id}&limit=3&cursor={first['next']}"
    ).json()
    seen = [p["id"] for p in first["results"] + second["results"]]
    assert seen == [str(p.public_id) for p in made] and second["next"] is None
    newest = client.get(f"/api/v1/packages?patient={patient.public_id}&sort=newest").json()
    assert newest["results"][0]["id"] == str(made[-1].public_id)
    assert client.get(f"/api/v1/packages?patient={patient.public_id}&sort=price").status_code == 422


def test_an_esthetician_reads_prices_but_handles_no_packages(
    org, owner, reception, esthetician, patient, site
):
    price_list_with_package(org, owner)
    package = sell(org, reception, patient, site, "submental-deoxycholic")
    client = client_for(esthetician)
    assert client.get("/api/v1/price-list").status_code == 200
    assert client.get(f"/api/v1/packages?patient={patient.public_id}").status_code == 403
    assert client.get(f"/api/v1/packages/{package.public_id}").status_code == 403
    assert _post(client, _sale(patient, site)).status_code == 403
    assert _sales(org) == 1


def test_another_clinic_gets_404_and_never_the_data(org, owner, reception, outsider, patient, site):
    price_list_with_package(org, owner)
    package = sell(org, reception, patient, site, "submental-deoxycholic")
    client = client_for(outsider)
    assert client.get("/api/v1/price-list").json()["version"] is None  # theirs, not ours
    for url in (
        f"/api/v1/packages?patient={patient.public_id}",
        f"/api/v1/packages/{package.public_id}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    sold = _post(client, _sale(patient, site))
    assert sold.status_code == 404 and "Chin" not in sold.content.decode()
    assert _sales(org) == 1


def test_a_portal_patient_and_nobody_signed_in_are_refused(
    me,
    org,
    owner,
    reception,
    patient,
    site,  # noqa: F811
):
    price_list_with_package(org, owner)
    package = sell(org, reception, patient, site, "submental-deoxycholic")
    portal = client_for(me)
    for url in ("/api/v1/price-list", f"/api/v1/packages/{package.public_id}"):
        assert portal.get(url).status_code == 404, url
        assert Client().get(url).status_code == 401, url
    assert _post(portal, _sale(patient, site)).status_code == 404
    assert _post(Client(), _sale(patient, site)).status_code == 401
    assert _sales(org) == 1


def test_tokens_need_the_write_scope_to_sell(org, owner, reception, patient, site):
    price_list_with_package(org, owner)
    _, read_only = tokens.create(reception, name="t", scopes=["read"], days=5)
    reader = Client()
    assert reader.get("/api/v1/price-list", **_bearer(read_only)).status_code == 200
    refused = _post(reader, _sale(patient, site), **_bearer(read_only))
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    _, writer = tokens.create(reception, name="w", scopes=["read", "write"], days=5)
    assert _post(Client(), _sale(patient, site), **_bearer(writer)).status_code == 201
    assert _sales(org) == 1


# --- saving a price list (the owner's write) ----------------------------------------------


def _save(client, body, **headers):
    return client.post("/api/v1/price-list", body, content_type="application/json", **headers)


def _new_list(version=None, **changes):
    body = {
        "version": version,
        "currency": "eur",
        "consultation": "50.00",
        "areas": [{"area": "submental", "amount": "300.00"}],
        "products": [{"product": "pcdc-5ml", "amount": "20.00"}],
        "packages": [
            {"name": "Chin course of 3", "protocol": "submental-deoxycholic", "sessions": 3,
             "amount": "800.00"},
        ],
    }  # fmt: skip
    body.update(changes)
    return body


def test_the_owner_saves_a_new_version_and_the_old_one_stays(org, owner):
    client = client_for(owner)
    first = _save(client, _new_list())
    assert first.status_code == 201, first.content
    saved = first.json()
    assert (saved["version"], saved["currency"], saved["consultation"]) == (1, "EUR", "50.00")
    assert [(a["area"], a["amount"]) for a in saved["areas"]] == [("submental", "300.00")]
    assert saved["packages"][0]["protocol_name"] == "Deoxycholic acid for submental fat"
    retried = _save(client, _new_list())  # the same request again: the list has moved on
    assert retried.status_code == 409 and "now version 1" in retried.json()["detail"]
    second = _save(client, _new_list(version=1, consultation=None, packages=[]))
    assert second.status_code == 201 and second.json()["version"] == 2
    assert second.json()["consultation"] is None and second.json()["packages"] == []
    with acting_for(org):
        from mesoclinic.billing.models import PriceList

        fees = PriceList.objects.order_by("version").values_list("consultation", flat=True)
        assert list(fees) == [Decimal("50.00"), None]
        assert AuditEvent.objects.filter(object_type="pricelist").count() == 2
    assert client_for(owner).get("/api/v1/price-list").json()["version"] == 2


def test_a_price_list_the_page_would_refuse_is_named_field_by_field(org, owner):
    client = client_for(owner)
    for changes, field in (
        ({"currency": "EURO"}, "currency"),
        ({"areas": [{"area": "moon", "amount": "1"}]}, "areas.0.area"),
        ({"areas": [{"area": "submental", "amount": "-5"}]}, "areas.0.amount"),
        ({"products": [{"product": "unicorn", "amount": "1"}]}, "products.0.product"),
        (
            {"packages": [{"name": "X", "protocol": "magic", "sessions": 3, "amount": "1"}]},
            "packages.0.protocol",
        ),
        (
            {"areas": [{"area": "submental", "treatment_type": str(uuid.uuid4()), "amount": "1"}]},
            "areas.0.treatment_type",
        ),
    ):
        response = _save(client, _new_list(**changes))
        assert response.status_code == 400, (changes, response.content)
        assert field in response.json()["errors"], (field, response.json())
    assert client.get("/api/v1/price-list").json()["version"] is None


def test_only_an_owner_saves_prices(org, owner, practitioner, reception, outsider, me):  # noqa: F811
    for user in (practitioner, reception):
        refused = _save(client_for(user), _new_list())
        assert refused.status_code == 403, user
    assert _save(client_for(me), _new_list()).status_code == 404
    assert _save(Client(), _new_list()).status_code == 401
    _, reader = tokens.create(owner, name="t", scopes=["read"], days=5)
    refused = _save(Client(), _new_list(), **_bearer(reader))
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    # Another clinic's owner saves their own list, never ours.
    assert _save(client_for(outsider), _new_list()).status_code == 201
    assert client_for(owner).get("/api/v1/price-list").json()["version"] is None
