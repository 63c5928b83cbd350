"""Counting a site's stock: an owner or practitioner types what is on the shelf for each
usable lot; a difference needs a reason next to it; the signed count is kept as written
by the database; each lot's stock is then what was counted; a resubmitted form makes
one count; the lots page shows the last count.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import Action, AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments.models import Lot, StockCount, StockCountLine
from tests.factories import client_for, receive_lot, today
from tests.test_portal import portal_user

COUNTERS = ("owner", "practitioner")
NOT_COUNTERS = ("esthetician", "reception")


@pytest.fixture
def lots(org, site, practitioner):
    return [
        receive_lot(org, site, practitioner, "DCA-001", vials=10),
        receive_lot(org, site, practitioner, "DCA-002", vials=6, vials_used=2),
    ]


def page_url(site):
    return f"{reverse('stock_count')}?site={site.public_id}"


def form_data(lots, counts, reasons=None, key=None):
    data = {"submission_key": str(key or uuid.uuid4())}
    for lot, n in zip(lots, counts, strict=True):
        data[f"expected_{lot.public_id.hex}"] = str(lot.vials_left)
        data[f"counted_{lot.public_id.hex}"] = str(n)
        data[f"reason_{lot.public_id.hex}"] = (reasons or {}).get(lot.lot_number, "")
    return data


def left(org, lot):
    with acting_for(org):
        return Lot.objects.get(pk=lot.pk).vials_left


def counts(org):
    with acting_for(org):
        return list(StockCount.objects.all())


@pytest.mark.parametrize("role", COUNTERS)
def test_a_count_with_a_difference_sets_the_stock_and_is_signed_and_audited(
    personas, role, org, site, lots
):
    user = personas[role]
    client = client_for(user)
    page = client.get(page_url(site))
    assert page.status_code == 200
    html = page.content.decode()
    assert "DCA-001" in html and "10 vials" in html and "4 vials" in html
    data = form_data(lots, [9, 4], {"DCA-001": "One vial broken on the shelf"})
    response = client.post(page_url(site), data)
    assert response.status_code == 302
    [count] = counts(org)
    assert count.counted_by == user and count.lots_counted == 2 and count.differences == 1
    assert left(org, lots[0]) == 9 and left(org, lots[1]) == 4
    with acting_for(org):
        lines = {line.lot_id: line for line in StockCountLine.objects.filter(count=count)}
        event = AuditEvent.objects.get(object_type="stockcount")
    assert lines[lots[0].pk].reason == "One vial broken on the shelf"
    assert (lines[lots[0].pk].expected, lines[lots[0].pk].counted) == (10, 9)
    assert lines[lots[1].pk].reason == ""
    assert event.action == Action.CREATE and event.actor == user
    detail = client.get(response["Location"]).content.decode()
    assert "One vial broken on the shelf" in detail and ">-1</span>" in detail


def test_more_vials_found_than_the_records_say_are_put_back(org, site, lots, owner):
    data = form_data(lots, [10, 5], {"DCA-002": "One vial found behind the fridge"})
    assert client_for(owner).post(page_url(site), data).status_code == 302
    assert left(org, lots[1]) == 5


def test_a_difference_without_a_reason_is_refused_next_to_the_field_and_nothing_is_lost(
    org, site, lots, practitioner
):
    data = form_data(lots, [7, 3], {"DCA-001": "Three vials used for training"})
    response = client_for(practitioner).post(page_url(site), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why 3 counted differs from the 4 expected." in html
    assert f'id="id_reason_{lots[1].public_id.hex}_error"' in html
    # What was typed is still there.
    assert 'value="7"' in html and "Three vials used for training" in html
    assert counts(org) == [] and left(org, lots[0]) == 10


def test_a_count_above_what_the_lot_received_is_refused_next_to_the_field(org, site, lots, owner):
    data = form_data(lots, [11, 4], {"DCA-001": "found"})
    response = client_for(owner).post(page_url(site), data)
    assert response.status_code == 400
    assert "This lot received 10 vials" in response.content.decode()
    assert counts(org) == []


def test_a_blank_count_is_refused(org, site, lots, owner):
    data = form_data(lots, [10, 4])
    data[f"counted_{lots[0].public_id.hex}"] = ""
    response = client_for(owner).post(page_url(site), data)
    assert response.status_code == 400 and "0 if there are none" in response.content.decode()


def test_a_double_submit_makes_one_count_and_moves_the_stock_once(org, site, lots, owner):
    client = client_for(owner)
    data = form_data(lots, [8, 4], {"DCA-001": "Two vials lost"}, key=uuid.uuid4())
    first = client.post(page_url(site), data)
    second = client.post(page_url(site), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert len(counts(org)) == 1 and left(org, lots[0]) == 8


def test_stock_moved_while_counting_is_shown_again_not_overwritten(org, site, lots, owner):
    data = form_data(lots, [10, 4])
    # A session signed meanwhile took a vial from the first lot.
    with acting_for(org):
        Lot.objects.filter(pk=lots[0].pk).update(vials_used=1)
    response = client_for(owner).post(page_url(site), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "changed while you were counting" in html and "DCA-001" in html
    assert "9 vials" in html  # the expected number read again
    assert counts(org) == [] and left(org, lots[0]) == 9


def test_only_usable_lots_are_counted(org, site, lots, practitioner):
    receive_lot(org, site, practitioner, "OLD-1", expires_on=today() - timedelta(days=1))
    html = client_for(practitioner).get(page_url(site)).content.decode()
    assert "OLD-1" not in html and "DCA-002" in html


@pytest.mark.parametrize("role", NOT_COUNTERS)
def test_esthetician_and_reception_cannot_count(personas, role, org, site, lots):
    client = client_for(personas[role])
    assert client.get(page_url(site)).status_code == 403
    assert client.post(page_url(site), form_data(lots, [0, 0])).status_code == 403
    assert counts(org) == [] and left(org, lots[0]) == 10


def test_another_clinic_gets_404_for_the_site_and_the_count(org, site, lots, owner, outsider):
    client_for(owner).post(page_url(site), form_data(lots, [10, 4]))
    [count] = counts(org)
    client = client_for(outsider)
    assert client.get(page_url(site)).status_code == 404
    assert client.post(page_url(site), form_data(lots, [0, 0])).status_code == 404
    assert client.get(reverse("stock_count_detail", args=[count.public_id])).status_code == 404
    assert left(org, lots[0]) == 10


def test_a_portal_patient_gets_404(org, site, lots, owner, reception, patient):
    client_for(owner).post(page_url(site), form_data(lots, [10, 4]))
    [count] = counts(org)
    client = client_for(portal_user(org, reception, patient))
    assert client.get(page_url(site)).status_code == 404
    assert client.get(reverse("stock_count_detail", args=[count.public_id])).status_code == 404


def test_a_clinic_with_two_sites_chooses_the_site_first(org, site, lots, owner):
    Site.objects.create(organization=org, name="Second site")
    html = client_for(owner).get(reverse("stock_count")).content.decode()
    assert "Main site" in html and "Second site" in html and "DCA-001" not in html


@pytest.mark.parametrize("role", ["owner", "practitioner", "esthetician"])
def test_the_lots_page_shows_the_last_count(personas, role, org, site, lots, owner):
    client_for(owner).post(page_url(site), form_data(lots, [10, 4]))
    data = form_data(lots, [9, 4], {"DCA-001": "broken"})
    client_for(owner).post(page_url(site), data)
    html = client_for(personas[role]).get(reverse("lot_list")).content.decode()
    assert "Last stock count" in html and "1 differing" in html and "none differing" not in html
    assert ("Count stock" in html) == (role in COUNTERS)


def test_the_database_keeps_a_signed_count_as_written(org, site, lots, owner):
    client_for(owner).post(page_url(site), form_data(lots, [9, 4], {"DCA-001": "broken"}))
    with acting_for(org):
        count = StockCount.objects.get()
        with pytest.raises(DatabaseError), transaction.atomic():
            StockCount.objects.filter(pk=count.pk).update(differences=0)
        with pytest.raises(DatabaseError), transaction.atomic():
            StockCount.objects.filter(pk=count.pk).delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            StockCountLine.objects.filter(count=count).update(reason="changed my mind")
        with pytest.raises(DatabaseError), transaction.atomic():
            StockCountLine.objects.filter(count=count).delete()
        # A difference without a reason is refused by the database too.
        with pytest.raises(DatabaseError), transaction.atomic():
            StockCountLine.objects.create(count=count, lot=lots[1], expected=4, counted=1)


@pytest.mark.parametrize("n", [2, 30])
def test_the_count_page_and_signing_run_bounded_queries(
    n, org, site, practitioner, owner, django_assert_max_num_queries
):
    many = [receive_lot(org, site, practitioner, f"L-{i:03}", vials=5) for i in range(n)]
    client = client_for(owner)
    client.get(reverse("home"))
    with django_assert_max_num_queries(12):
        assert client.get(page_url(site)).status_code == 200
    reasons = {lot.lot_number: "broken" for lot in many}
    with django_assert_max_num_queries(22):
        response = client.post(page_url(site), form_data(many, [4] * n, reasons))
    assert response.status_code == 302
    assert all(left(org, lot) == 4 for lot in many)


def _service_count(org, user, site, lots, counted, reasons=("", "")):
    from mesoclinic.treatments import stock_count

    rows = [
        stock_count.Counted(lot.pk, lot.vials_left, n, why)
        for lot, n, why in zip(lots, counted, reasons, strict=True)
    ]
    with acting_for(org):
        return stock_count.record_count(user, site, rows, uuid.uuid4())


def test_the_service_refuses_what_the_form_would_whoever_calls(org, site, lots, owner, esthetician):
    from django.core.exceptions import PermissionDenied

    from mesoclinic.treatments.stock_count import CountRefused

    with pytest.raises(PermissionDenied):
        _service_count(org, esthetician, site, lots, [10, 4])
    with pytest.raises(CountRefused, match="Say why lot DCA-002 differs"):
        _service_count(org, owner, site, lots, [10, 3])
    with pytest.raises(CountRefused, match="never had that many"):
        _service_count(org, owner, site, lots, [11, 4], ("found", ""))
    assert counts(org) == [] and left(org, lots[0]) == 10
    count, made = _service_count(org, owner, site, lots, [10, 4])
    assert made and count.differences == 0
