"""Stock that looks after itself: owner-set low levels per product and site, expiry
warnings at 60 and 30 days, received stock with its invoice and cost, stock value per
site, and the owners' daily digest email."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import stock, stock_digest, tasks
from mesoclinic.treatments.models import Lot, StockDigest, StockLevel
from tests.factories import client_for, run_worker

TODAY = date.today()
HA = "ha-noncrosslinked-2ml"
PCDC = "pcdc-5ml"


def _lot(org, site, user, number, product=HA, **extra):
    values = {
        "expires_on": TODAY + timedelta(days=200),
        "received_on": TODAY - timedelta(days=3),
        "vials_received": 10,
        **extra,
    }
    with acting_for(org):
        return Lot.objects.create(
            site=site, product=product, lot_number=number, received_by=user, **values
        )


def _level(org, owner, site, product=HA, low_at=5):
    with acting_for(org):
        return stock.set_level(owner, site, product, low_at)


def _row_of(body, lot_number):
    start = body.index(f">{lot_number}</a></td>")
    return body[start : body.index("</tr>", start)]


# Low stock: counted across the site's usable lots of the product


def test_owner_sets_a_level_on_the_stock_levels_page_and_it_is_audited(owner, org, site):
    client = client_for(owner)
    data = {"site": str(site.public_id), "product": HA, "low_at": "4"}
    response = client.post(reverse("stock_levels"), data)
    assert response.status_code == 302
    with acting_for(org):
        assert StockLevel.objects.get().low_at == 4
    client.post(reverse("stock_levels"), {**data, "low_at": "6"})
    with acting_for(org):
        assert list(StockLevel.objects.values_list("low_at", flat=True)) == [6]
    events = AuditEvent.objects.filter(object_type="stocklevel").order_by("id")
    assert [(e.action, e.detail) for e in events] == [
        ("create", "low at 4 vials"),
        ("change", "low at 4 -> 6 vials"),
    ]
    body = client.get(reverse("stock_levels")).content.decode()
    assert "Non-crosslinked HA booster 32 mg/mL, 2 mL syringe" in body
    assert "6 vials" in body and "Olga Owner" in body
    assert HA not in body.replace(f'value="{HA}"', "")


@pytest.mark.parametrize(
    "role,get,post",
    [("practitioner", 200, 403), ("esthetician", 200, 403), ("reception", 403, 403)],
)
def test_only_an_owner_sets_levels_and_reception_sees_no_stock(personas, site, role, get, post):
    client = client_for(personas[role])
    assert client.get(reverse("stock_levels")).status_code == get
    data = {"site": str(site.public_id), "product": HA, "low_at": "4"}
    assert client.post(reverse("stock_levels"), data).status_code == post
    assert not StockLevel.all_orgs.exists()
    if get == 200:
        assert "Save level" not in client.get(reverse("stock_levels")).content.decode()


def test_another_clinic_cannot_set_a_level_at_our_site_nor_see_ours(
    outsider, owner, org, site, practitioner
):
    _lot(org, site, practitioner, "HA-1", vials_received=3)
    _level(org, owner, site)
    client = client_for(outsider)
    data = {"site": str(site.public_id), "product": HA, "low_at": "9"}
    response = client.post(reverse("stock_levels"), data)
    assert response.status_code == 400
    assert "site" in response.context["form"].errors
    assert StockLevel.all_orgs.get().low_at == 5
    assert "Main site" not in client.get(reverse("stock_levels")).content.decode()
    body = client.get(reverse("lot_list") + "?show=all").content.decode()
    assert "HA-1" not in body and "Low stock" not in body


def test_a_negative_level_is_refused_next_to_its_field(owner, site):
    data = {"site": str(site.public_id), "product": HA, "low_at": "-1"}
    response = client_for(owner).post(reverse("stock_levels"), data)
    assert response.status_code == 400
    assert "low_at" in response.context["form"].errors


def test_low_counts_the_sites_unexpired_unrecalled_lots_of_the_product(
    owner, org, site, practitioner
):
    other_site = Site.objects.create(organization=org, name="Annex")
    _lot(org, site, practitioner, "HA-1", vials_received=3)
    _lot(org, site, practitioner, "HA-2", vials_received=4, vials_used=2)
    # None of these keep the main site's HA stock up.
    _lot(org, site, practitioner, "HA-OLD", expires_on=TODAY - timedelta(days=1))
    _lot(org, other_site, practitioner, "HA-ANNEX", vials_received=20)
    _lot(org, site, practitioner, "PC-1", product=PCDC, vials_received=30)
    recalled = _lot(org, site, practitioner, "HA-BAD", vials_received=20)
    with acting_for(org):
        Lot.objects.filter(pk=recalled.pk).update(
            recalled_at=timezone.now(), recall_reason="notice"
        )
    _level(org, owner, site, HA, low_at=5)
    _level(org, owner, other_site, HA, low_at=5)
    _level(org, owner, site, PCDC, low_at=5)

    response = client_for(owner).get(reverse("lot_list") + "?show=all")
    body = response.content.decode()
    assert [(r.site.name, r.product, r.left) for r in response.context["alerts"].low] == [
        ("Main site", HA, 5)
    ]
    assert "5 vials left in usable lots (low at 5)" in body
    assert ">Low</span>" in _row_of(body, "HA-1") and ">Low</span>" in _row_of(body, "HA-2")
    assert ">Low</span>" not in _row_of(body, "HA-ANNEX")
    assert ">Low</span>" not in _row_of(body, "PC-1")


def test_one_more_vial_than_the_level_is_not_low(owner, org, site, practitioner):
    _lot(org, site, practitioner, "HA-1", vials_received=6)
    _level(org, owner, site, low_at=5)
    response = client_for(owner).get(reverse("lot_list"))
    assert response.context["alerts"].low == []
    assert ">Low</span>" not in _row_of(response.content.decode(), "HA-1")


def test_a_level_with_no_usable_lot_left_is_low_with_none(owner, org, site, practitioner):
    _lot(org, site, practitioner, "HA-1", expires_on=TODAY - timedelta(days=2))
    _level(org, owner, site, low_at=2)
    response = client_for(owner).get(reverse("lot_list"))
    assert [r.left for r in response.context["alerts"].low] == [0]
    assert "0 vials left in usable lots (low at 2)" in response.content.decode()


# Expiry warnings at 60 and 30 days


def test_lot_list_warns_at_60_and_30_days_before_expiry(owner, org, site, practitioner):
    _lot(org, site, practitioner, "D10", expires_on=TODAY + timedelta(days=10))
    _lot(org, site, practitioner, "D30", expires_on=TODAY + timedelta(days=30))
    _lot(org, site, practitioner, "D31", expires_on=TODAY + timedelta(days=31))
    _lot(org, site, practitioner, "D60", expires_on=TODAY + timedelta(days=60))
    _lot(org, site, practitioner, "D61", expires_on=TODAY + timedelta(days=61))
    response = client_for(owner).get(reverse("lot_list"))
    body = response.content.decode()
    for number in ("D10", "D30"):
        assert "Within 30 days" in _row_of(body, number)
    for number in ("D31", "D60"):
        assert "Within 60 days" in _row_of(body, number)
    assert "Within " not in _row_of(body, "D61")
    alerts = response.context["alerts"]
    assert [x.lot_number for x in alerts.expiring_soon] == ["D10", "D30"]
    assert [x.lot_number for x in alerts.expiring_ahead] == ["D31", "D60"]
    day = TODAY + timedelta(days=31)
    assert f"expires {day.day} {day:%b %Y}" in body


def test_a_recalled_or_used_up_lot_gets_no_expiry_warning(owner, org, site, practitioner):
    _lot(org, site, practitioner, "GONE", vials_received=2, vials_used=2, expires_on=TODAY)
    bad = _lot(org, site, practitioner, "BAD", expires_on=TODAY + timedelta(days=5))
    with acting_for(org):
        Lot.objects.filter(pk=bad.pk).update(recalled_at=timezone.now(), recall_reason="notice")
    response = client_for(owner).get(reverse("lot_list") + "?show=all")
    body = response.content.decode()
    assert "Within " not in _row_of(body, "GONE")
    assert "Within " not in _row_of(body, "BAD")
    assert not response.context["alerts"]


# Received stock: supplier, invoice, cost; stock value per site


def test_receiving_records_supplier_invoice_and_cost(practitioner, org, site):
    data = {
        "site": site.pk,
        "product": HA,
        "lot_number": "ha-9",
        "expires_on": (TODAY + timedelta(days=300)).isoformat(),
        "received_on": TODAY.isoformat(),
        "vials_received": "12",
        "supplier": "Pharma Ltd",
        "invoice_number": "INV-2041",
        "unit_cost": "84.50",
    }
    response = client_for(practitioner).post(reverse("lot_new"), data)
    assert response.status_code == 302
    with acting_for(org):
        lot = Lot.objects.get()
    assert (lot.supplier, lot.invoice_number, str(lot.unit_cost)) == (
        "Pharma Ltd",
        "INV-2041",
        "84.50",
    )
    event = AuditEvent.objects.get(object_type="lot", action="create")
    assert {"invoice_number", "unit_cost", "supplier"} <= set(event.fields)
    body = client_for(practitioner).get(response["Location"]).content.decode()
    assert "INV-2041" in body and "84.50 USD" in body and "Pharma Ltd" in body


def test_a_negative_cost_is_refused(practitioner, org, site):
    data = {
        "site": site.pk,
        "product": HA,
        "lot_number": "HA-9",
        "expires_on": (TODAY + timedelta(days=300)).isoformat(),
        "received_on": TODAY.isoformat(),
        "vials_received": "12",
        "unit_cost": "-3",
    }
    response = client_for(practitioner).post(reverse("lot_new"), data)
    assert response.status_code == 400
    assert "unit_cost" in response.context["form"].errors


def test_stock_value_per_site_counts_usable_vials_at_their_cost(owner, org, site, practitioner):
    annex = Site.objects.create(organization=org, name="Annex")
    _lot(org, site, practitioner, "A", vials_received=10, vials_used=4, unit_cost="25.00")
    _lot(org, site, practitioner, "B", product=PCDC, vials_received=2, unit_cost="1000.50")
    _lot(org, site, practitioner, "NOCOST", vials_received=3)
    _lot(org, site, practitioner, "OLD", expires_on=TODAY - timedelta(days=1), unit_cost="99")
    _lot(org, annex, practitioner, "C", vials_received=1, unit_cost="12.5")
    back = Site.objects.create(organization=org, name="Back room")
    _lot(org, back, practitioner, "D", vials_received=4)
    response = client_for(owner).get(reverse("lot_list"))
    values = {
        v.site.name: (v.vials, str(v.value), v.uncosted_vials) for v in response.context["values"]
    }
    assert values == {
        "Main site": (11, "2151.00", 3),
        "Annex": (1, "12.50", 0),
        "Back room": (4, "0.00", 4),
    }
    body = response.content.decode()
    assert "2,151.00 USD" in body and "3 vials without a recorded cost" in body
    assert "No cost recorded" in body and "0.00 USD" not in body


# Bounded queries


@pytest.mark.parametrize("count", [2, 30])
def test_lot_list_queries_stay_bounded(
    owner, org, site, practitioner, count, django_assert_max_num_queries
):
    for i in range(count):
        product = HA if i % 2 else PCDC
        _lot(org, site, practitioner, f"L-{i}", product=product, vials_received=2, unit_cost="3")
    _level(org, owner, site, HA, low_at=100)
    _level(org, owner, site, PCDC, low_at=1)
    client = client_for(owner)
    client.get(reverse("home"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("lot_list"))
    assert response.content.decode().count(">Low</span>") == count // 2
    with django_assert_max_num_queries(12):
        client.get(reverse("stock_levels"))


# The owners' daily digest, sent by the worker


def _at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


@pytest.fixture
def stocked(org, site, owner, practitioner):
    _lot(org, site, practitioner, "HA-1", vials_received=3)
    _lot(org, site, practitioner, "PC-SOON", product=PCDC, expires_on=TODAY + timedelta(days=20))
    _lot(org, site, practitioner, "PC-AHEAD", product=PCDC, expires_on=TODAY + timedelta(days=45))
    _lot(org, site, practitioner, "PC-LATER", product=PCDC, expires_on=TODAY + timedelta(days=90))
    _level(org, owner, site, HA, low_at=5)


def test_the_digest_goes_to_the_owners_once_however_often_the_worker_scans(
    stocked, owner, mailoutbox
):
    assert tasks.enqueue_stock_digests(_at(TODAY, 8)) == 1
    assert tasks.enqueue_stock_digests(_at(TODAY, 8)) == 0
    run_worker()
    tasks.enqueue_stock_digests(_at(TODAY, 9))
    tasks.enqueue_stock_digests(_at(TODAY, 23))
    run_worker()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["owner@test.clinic"]
    assert mail.subject == "Stock at Test Clinic: 1 low, 2 lots expiring within 60 days"
    soon, ahead = TODAY + timedelta(days=20), TODAY + timedelta(days=45)
    assert (
        "Non-crosslinked HA booster 32 mg/mL, 2 mL syringe, Main site: 3 vials left (low at 5)"
        in mail.body
    )
    assert (
        f"Lot PC-SOON, PC/DC 5%/2.5% ampoule, 5 mL, Main site: expires {soon.day} {soon:%b %Y}"
        in (mail.body)
    )
    assert "Expiring within 30 days" in mail.body and "Expiring within 60 days" in mail.body
    assert f"expires {ahead.day} {ahead:%b %Y}" in mail.body
    assert "PC-LATER" not in mail.body and HA not in mail.body and PCDC not in mail.body
    assert StockDigest.all_orgs.get().status == "sent"
    assert AuditEvent.objects.filter(object_type="stock digest", action="export").count() == 1


def test_a_task_queued_twice_sends_one_email(stocked, mailoutbox):
    stock_digest.scan(_at(TODAY, 8))
    digest = StockDigest.all_orgs.get()
    assert stock_digest.send(digest.pk) == "sent"
    assert stock_digest.send(digest.pk) == "not claimed"
    assert len(mailoutbox) == 1


def test_the_digest_waits_for_the_morning_and_comes_again_the_next_day(stocked, mailoutbox):
    assert tasks.enqueue_stock_digests(_at(TODAY, 6)) == 0
    assert not StockDigest.all_orgs.exists()
    tasks.enqueue_stock_digests(_at(TODAY, 7))
    tasks.enqueue_stock_digests(_at(TODAY + timedelta(days=1), 7))
    run_worker()
    assert len(mailoutbox) == 2


def test_nothing_to_report_sends_nothing(org, site, owner, practitioner, mailoutbox):
    _lot(org, site, practitioner, "HA-1", vials_received=30)
    _level(org, owner, site, HA, low_at=5)
    tasks.enqueue_stock_digests(_at(TODAY, 8))
    run_worker()
    assert mailoutbox == []
    digest = StockDigest.all_orgs.get()
    assert (digest.status, digest.reason) == ("skipped", "nothing low or expiring within 60 days")


def test_each_clinic_hears_only_of_its_own_stock(
    stocked, outsider, other_org, practitioner, mailoutbox
):
    theirs = Site.objects.create(organization=other_org, name="Their site")
    _lot(other_org, theirs, outsider, "THEIRS-1", expires_on=TODAY + timedelta(days=5))
    tasks.enqueue_stock_digests(_at(TODAY, 8))
    run_worker()
    by_recipient = {tuple(m.to): m.body for m in mailoutbox}
    assert set(by_recipient) == {("owner@test.clinic",), ("owner@other.clinic",)}
    assert "THEIRS-1" not in by_recipient[("owner@test.clinic",)]
    assert "THEIRS-1" in by_recipient[("owner@other.clinic",)]
    assert "HA-1" not in by_recipient[("owner@other.clinic",)]
    assert "Main site" not in by_recipient[("owner@other.clinic",)]


def test_a_worker_dying_after_the_claim_does_not_send_it_again(stocked, mailoutbox):
    stock_digest.scan(_at(TODAY, 8))
    StockDigest.all_orgs.update(status="sending", claimed_at=_at(TODAY, 8))
    tasks.enqueue_stock_digests(_at(TODAY, 9))
    run_worker()
    assert mailoutbox == []
    digest = StockDigest.all_orgs.get()
    assert digest.status == "failed" and "not sent again" in digest.reason


def test_the_worker_process_sends_the_digest_once_across_restarts(stocked, monkeypatch, mailoutbox):
    from django_tasks_db.management.commands import db_worker

    # The worker closes stale connections between tasks: that would end the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(stock_digest, "DIGEST_HOUR", time(0, 0))  # whatever the hour now
    for _ in range(3):  # three worker runs the same day, as after two restarts
        call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert [m.to for m in mailoutbox] == [["owner@test.clinic"]]


def test_the_lot_page_shows_the_sites_stock_and_offers_the_owner_the_level(
    owner, practitioner, org, site
):
    lot = _lot(org, site, practitioner, "HA-1", vials_received=3)
    _lot(org, site, practitioner, "HA-2", vials_received=1)
    _level(org, owner, site, low_at=4)
    body = client_for(owner).get(reverse("lot_detail", args=[lot.public_id])).content.decode()
    assert "4 vials of this product in usable lots · low at 4" in body
    assert ">Low</span>" in body and "Change the level" in body
    link = f"?site={site.public_id}&amp;product={HA}&amp;low_at=4"
    assert link in body
    form = client_for(owner).get(reverse("stock_levels") + link.replace("&amp;", "&"))
    assert f'value="{site.public_id}" selected' in form.content.decode()
    body = (
        client_for(practitioner).get(reverse("lot_detail", args=[lot.public_id])).content.decode()
    )
    assert "low at 4" in body and "the level" not in body
