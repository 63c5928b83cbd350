"""The price list: owner-edited, read by the rest of the staff, a new version per save."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing import prices
from mesoclinic.billing.models import Price, PriceList
from mesoclinic.scheduling.models import TreatmentType
from mesoclinic.tenancy import acting_for
from tests.factories import client_for

URL = "/billing/prices/"


def _form(**changes):
    return {"currency": "EUR", "consultation": "50", "area__submental__any": "300", **changes}


def _current(org):
    with acting_for(org):
        return prices.current()


def test_the_owner_saves_prices_as_a_new_version_each_time(org, owner):
    client = client_for(owner)
    assert client.post(URL, _form()).status_code == 302
    assert client.post(URL, _form(**{"area__submental__any": "320.50"})).status_code == 302
    book = _current(org)
    assert book.price_list.version == 2 and book.currency == "EUR"
    assert book.area("submental") == Decimal("320.50")
    assert book.price_list.consultation == Decimal("50.00")
    with acting_for(org):
        first = PriceList.objects.get(version=1)
        assert prices.book_of(first).area("submental") == Decimal("300.00")
        assert AuditEvent.objects.filter(object_type="pricelist", action="create").count() == 2


def test_a_treatment_type_price_wins_over_the_any_treatment_price(org, owner):
    with acting_for(org):
        peel = TreatmentType.objects.create(name="Fat dissolving")
    form = _form(**{f"area__submental__{peel.pk}": "450", "area__forehead__any": ""})
    client_for(owner).post(URL, form)
    book = _current(org)
    assert book.area("submental", peel.pk) == Decimal("450.00")
    assert book.area("submental", None) == Decimal("300.00")
    # Left empty: no price, never a zero.
    assert book.area("forehead") is None


def test_products_and_packages_are_priced(org, owner):
    form = _form(
        **{
            "product__deoxycholic-10mg-2ml": "150",
            "package_0_name": "Chin course",
            "package_0_protocol": "submental-deoxycholic",
            "package_0_sessions": "4",
            "package_0_amount": "1000",
        }
    )
    assert client_for(owner).post(URL, form).status_code == 302
    book = _current(org)
    assert book.product("deoxycholic-10mg-2ml") == Decimal("150.00")
    (package,) = book.packages
    assert (package.name, package.sessions, package.amount) == ("Chin course", 4, Decimal("1000"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"area__forehead__any": "-5"}, "area__forehead__any", "greater than or equal to 0"),
        ({"consultation": "12.345"}, "consultation", "to the cent"),
        ({"package_0_name": "Chin course"}, "package_0_amount", "needs a name, protocol"),
        ({"currency": "E1"}, "currency", "three-letter"),
    ],
)
def test_bad_prices_are_refused_next_to_the_field_and_kept(org, owner, changes, field, message):
    response = client_for(owner).post(URL, _form(**changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and f'id="id_{field}_error"' in html
    assert 'value="300"' in html  # the area price typed is still there
    assert _current(org) is None


@pytest.mark.parametrize("role", ["practitioner", "esthetician", "reception"])
def test_the_staff_read_the_prices_but_only_the_owner_saves(personas, org, owner, role):
    package = {
        "package_0_name": "Chin course of 3",
        "package_0_protocol": "submental-deoxycholic",
        "package_0_sessions": "3",
        "package_0_amount": "450",
    }
    client_for(owner).post(URL, _form(**package))
    client = client_for(personas[role])
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "300.00" in html and "<input" not in html.split("<main", 1)[1]
    assert "Chin course of 3" in html and "Deoxycholic acid for submental fat" in html
    main = html.split("<main", 1)[1]
    assert ">submental<" not in main and "submental-deoxycholic" not in main  # names, not codes
    assert client.post(URL, _form(consultation="1")).status_code == 403
    assert _current(org).price_list.version == 1


def test_another_organization_never_sees_our_prices(org, owner, outsider):
    client_for(owner).post(URL, _form())
    html = client_for(outsider).get(URL).content.decode()
    assert "300.00" not in html and "No price list yet" in html


def test_a_portal_patient_gets_404(org, owner, portal_client):
    assert portal_client.get(URL).status_code == 404


def test_saved_versions_refuse_update_and_delete_in_the_database(org, owner):
    client_for(owner).post(URL, _form())
    with acting_for(org):
        for rows, change in (
            (PriceList.objects.all(), {"currency": "GBP"}),
            (Price.objects.all(), {"amount": 1}),
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                rows.update(**change)
            with pytest.raises(DatabaseError), transaction.atomic():
                rows.delete()


@pytest.fixture
def portal_client(org):
    from mesoclinic.accounts.roles import Role
    from tests.factories import make_user

    return client_for(make_user(org, Role.PATIENT, "anna@example.com", "Anna García"))


def test_the_service_refuses_anyone_but_the_owner_whoever_calls(org, practitioner, reception):
    from django.core.exceptions import PermissionDenied

    new = prices.NewPrices("USD", None, None, {("submental", None): Decimal(1)}, {}, [])
    for user in (practitioner, reception):
        with acting_for(org), pytest.raises(PermissionDenied):
            prices.save_version(user, new)
    assert _current(org) is None
