"""Course packages (issue 17): each signed session of the package's protocol draws one
session down, once however often it is signed; a voided session gives it back; other
protocols, ad hoc sessions and other patients draw nothing; the account shows what is
left in sessions and money."""

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from mesoclinic.audit.models import AuditEvent
from mesoclinic.payments import ledger, packages, services
from mesoclinic.payments.models import Method, PackageDraw, PackageSale
from mesoclinic.plans.models import PlanProtocol
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import sessions
from tests.factories import (
    client_for,
    only_session,
    post_chart,
    post_start,
    receive_lot,
    take_baseline_photos,
)
from tests.test_payments import pay
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures


def the_protocol(org, plan):
    with acting_for(org):
        return PlanProtocol.objects.filter(plan=plan).values_list("protocol", flat=True)[0]


def sell(org, user, patient, site, protocol, sessions=3, price="300.00", key=None):
    with acting_for(org):
        return packages.sell(
            user, patient, site=site, name="Submental course of 3", protocol=protocol,
            sessions=sessions, price=Decimal(price), submission_key=key or uuid.uuid4(),
        )  # fmt: skip


def left(org, package):
    with acting_for(org):
        return ledger.sessions_left(package)


@pytest.fixture
def signed_session(org, site, practitioner, consented_plan):
    """Start, chart and sign the consented plan's first session."""

    def sign():
        client = client_for(practitioner)
        post_start(client, consented_plan, site)
        lot = receive_lot(org, site, practitioner)
        post_chart(client, only_session(org), lot, volume_ml="3")
        session = only_session(org)
        take_baseline_photos(org, practitioner, session)
        with acting_for(org):
            assert sessions.sign(practitioner, session)
        return session

    return sign


def test_a_signed_session_draws_one_session_from_the_package(
    org, site, reception, practitioner, patient, consented_plan, signed_session
):
    package = sell(org, reception, patient, site, the_protocol(org, consented_plan))
    session = signed_session()
    assert left(org, package) == 2
    with acting_for(org):
        assert not sessions.sign(practitioner, session)  # signing again changes nothing
        packages.session_signed(practitioner, session)  # nor does the hook run twice
        assert PackageDraw.objects.count() == 1
        assert (
            AuditEvent.objects.filter(
                action="change", object_type="packagesale", detail="session drawn"
            ).count()
            == 1
        )
    assert left(org, package) == 2


def test_a_voided_session_gives_its_session_back(
    org, site, reception, practitioner, patient, consented_plan, signed_session
):
    package = sell(org, reception, patient, site, the_protocol(org, consented_plan))
    session = signed_session()
    with acting_for(org):
        sessions.void(practitioner, session, "Charted on the wrong patient")
    assert left(org, package) == 3


def test_another_protocols_package_is_not_drawn(org, site, reception, patient, signed_session):
    package = sell(org, reception, patient, site, "some-other-protocol")
    signed_session()
    assert left(org, package) == 3


def test_an_empty_package_is_not_drawn_and_the_oldest_goes_first(
    org, site, reception, patient, consented_plan, signed_session
):
    protocol = the_protocol(org, consented_plan)
    used_up = sell(org, reception, patient, site, protocol, sessions=1)
    newer = sell(org, reception, patient, site, protocol, sessions=2)
    signed_session()
    assert (left(org, used_up), left(org, newer)) == (0, 2)


def test_a_package_sold_twice_from_one_form_is_recorded_once(org, site, reception, patient):
    key = uuid.uuid4()
    sell(org, reception, patient, site, "x", key=key)
    sell(org, reception, patient, site, "x", key=key)
    with acting_for(org):
        assert PackageSale.objects.count() == 1


def test_estheticians_do_not_sell_packages(org, site, esthetician, patient):
    with pytest.raises(PermissionDenied):
        sell(org, esthetician, patient, site, "x")


def test_package_credit_pays_from_the_packages_money_and_no_more(org, site, reception, patient):
    package = sell(org, reception, patient, site, "x", price="300.00")
    pay(org, reception, patient, site, "100.00", method=Method.PACKAGE_CREDIT, package=package)
    with pytest.raises(services.PaymentRefused, match="USD 200.00 is left") as refused:
        pay(org, reception, patient, site, "200.01", method=Method.PACKAGE_CREDIT, package=package)
    assert refused.value.field == "amount"
    with pytest.raises(services.PaymentRefused) as refused:
        pay(org, reception, patient, site, "10.00", method=Method.PACKAGE_CREDIT)
    assert refused.value.field == "package"


def test_the_account_shows_sessions_and_money_left(
    org, site, reception, patient, consented_plan, signed_session
):
    package = sell(org, reception, patient, site, the_protocol(org, consented_plan))
    signed_session()
    pay(org, reception, patient, site, "100.00", method=Method.PACKAGE_CREDIT, package=package)
    html = client_for(reception).get(reverse("payment_account", args=[patient.public_id]))
    page = html.content.decode()
    assert "2 of 3" in page and "USD 200.00" in page


# Selling from the price list, on the page


def price_list_with_package(org, owner, protocol="submental-deoxycholic", amount="450.00"):
    from mesoclinic.billing import prices

    with acting_for(org):
        return prices.save_version(
            owner,
            prices.NewPrices(
                currency="USD", consultation=None, numbing=None, areas={}, products={},
                packages=[prices.Package("Chin course of 3", protocol, 3, Decimal(amount))],
            ),
        )  # fmt: skip


def sell_url(patient):
    return reverse("payment_sell_package", args=[patient.public_id])


def test_a_package_is_sold_from_the_price_list_once(org, site, owner, reception, patient):
    version = price_list_with_package(org, owner)
    client = client_for(reception)
    assert (
        "Chin course of 3: 3 sessions, USD 450.00" in client.get(sell_url(patient)).content.decode()
    )
    data = {
        "package": f"{version.version}-0",
        "site": str(site.public_id),
        "submission_key": str(uuid.uuid4()),
    }
    client.post(sell_url(patient), data)
    client.post(sell_url(patient), data)
    with acting_for(org):
        sale = PackageSale.objects.get()
    assert (sale.name, sale.sessions, sale.price) == ("Chin course of 3", 3, Decimal("450.00"))
    assert sale.protocol == "submental-deoxycholic" and sale.sold_by == reception
    with acting_for(org):
        assert AuditEvent.objects.filter(action="create", object_type="packagesale").count() == 1
    page = client.get(reverse("payment_account", args=[patient.public_id])).content.decode()
    assert "Chin course of 3" in page and "3 of 3" in page


def test_a_package_from_a_replaced_price_list_is_refused(org, site, owner, reception, patient):
    old = price_list_with_package(org, owner)
    price_list_with_package(org, owner, amount="500.00")
    data = {
        "package": f"{old.version}-0",
        "site": str(site.public_id),
        "submission_key": str(uuid.uuid4()),
    }
    response = client_for(reception).post(sell_url(patient), data)
    assert response.status_code == 400
    assert 'id="id_package_error"' in response.content.decode()
    with acting_for(org):
        assert not PackageSale.objects.exists()


def test_without_a_package_on_the_price_list_the_page_says_so(reception, patient):
    page = client_for(reception).get(sell_url(patient)).content.decode()
    assert "The price list has no course package yet" in page


def test_the_sale_page_is_for_billing_staff_of_the_clinic(esthetician, outsider, me, patient):
    assert client_for(esthetician).get(sell_url(patient)).status_code == 403
    assert client_for(outsider).get(sell_url(patient)).status_code == 404
    assert client_for(me).get(sell_url(patient)).status_code == 404


def test_a_refunded_package_credit_payment_goes_back_to_the_package(org, site, reception, patient):
    from tests.test_payments import give_back

    package = sell(org, reception, patient, site, "x", price="300.00")
    spent = pay(
        org, reception, patient, site, "300.00", method=Method.PACKAGE_CREDIT, package=package
    )
    give_back(org, reception, spent, site, "120.00")
    pay(org, reception, patient, site, "120.00", method=Method.PACKAGE_CREDIT, package=package)
    with pytest.raises(services.PaymentRefused, match="USD 0.00 is left"):
        pay(org, reception, patient, site, "0.01", method=Method.PACKAGE_CREDIT, package=package)
    page = client_for(reception).get(reverse("payment_account", args=[patient.public_id]))
    assert page.context["packages"][0].spent == Decimal("300.00")
