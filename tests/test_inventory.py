"""Lots, stock alerts, recalls and the recall search: traceable to the vial, own clinic only."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import AuditEvent
from mesoclinic.tenancy import acting_for
from mesoclinic.treatments import stock
from mesoclinic.treatments.models import Lot, SessionArea, TreatmentSession
from tests.factories import client_for

TODAY = date.today()


def _lot(org, site, user, number="HA-100", product="ha-noncrosslinked-2ml", **extra):
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


def _charted(org, site, user, patient, lot, days_ago=7, area="cheeks"):
    """A session that used the lot, as the chart leaves it (in progress: triggers allow it)."""
    with acting_for(org):
        session = TreatmentSession.objects.create(
            patient=patient,
            site=site,
            performed_by=user,
            adhoc_reason="touch-up",
            started_at=timezone.now() - timedelta(days=days_ago),
        )
        SessionArea.objects.create(
            session=session, area=area, technique="papule", lot=lot, volume_ml="1.5", injections=20
        )
    return session


@pytest.fixture
def lot(org, site, practitioner):
    return _lot(org, site, practitioner)


@pytest.mark.parametrize(
    "role,expected",
    [("owner", 200), ("practitioner", 200), ("esthetician", 200), ("reception", 403)],
)
def test_stock_page_by_role(personas, lot, role, expected):
    response = client_for(personas[role]).get(reverse("lot_list"))
    assert response.status_code == expected
    if expected == 200:
        assert "HA-100" in response.content.decode()


def test_another_clinic_sees_none_of_our_lots(outsider, lot):
    body = client_for(outsider).get(reverse("lot_list") + "?show=all").content.decode()
    assert "HA-100" not in body
    assert client_for(outsider).get(reverse("lot_detail", args=[lot.public_id])).status_code == 404
    response = client_for(outsider).post(
        reverse("lot_mark_recalled", args=[lot.public_id]), {"reason": "not yours"}
    )
    assert response.status_code == 404
    lot.refresh_from_db()
    assert lot.recalled_at is None


def test_stock_lists_lots_expiring_within_30_days_and_low_stock(owner, org, site, practitioner):
    _lot(org, site, practitioner, "SOON-1", expires_on=TODAY + timedelta(days=12))
    _lot(org, site, practitioner, "LATER-1", expires_on=TODAY + timedelta(days=90))
    _lot(org, site, practitioner, "LOW-1", product="pcdc-5ml", vials_received=5, vials_used=3)
    with acting_for(org):
        stock.set_level(owner, site, "pcdc-5ml", 2)
    response = client_for(owner).get(reverse("lot_list"))
    alerts = response.context["alerts"]
    assert [x.lot_number for x in alerts.expiring_soon] == ["SOON-1"]
    assert [(x.product, x.left) for x in alerts.low] == [("pcdc-5ml", 2)]
    assert "2 vials left in usable lots (low at 2)" in response.content.decode()


def test_stock_filter_is_whitelisted(owner, lot):
    response = client_for(owner).get(reverse("lot_list") + "?show=drop+table&site=nope")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_receiving_a_lot(practitioner, site, org):
    data = {
        "site": site.pk,
        "product": "ha-noncrosslinked-2ml",
        "lot_number": " ha-7781 ",
        "expires_on": (TODAY + timedelta(days=300)).isoformat(),
        "received_on": TODAY.isoformat(),
        "vials_received": "12",
        "supplier": "Pharma Ltd",
    }
    response = client_for(practitioner).post(reverse("lot_new"), data)
    with acting_for(org):
        lot = Lot.objects.get()
    assert response["Location"] == reverse("lot_detail", args=[lot.public_id])
    assert lot.lot_number == "HA-7781" and lot.vials_left == 12 and lot.received_by == practitioner
    assert AuditEvent.objects.filter(object_type="lot", action="create").count() == 1


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"expires_on": (TODAY - timedelta(days=1)).isoformat()}, "expires_on", "already expired"),
        ({"received_on": (TODAY + timedelta(days=2)).isoformat()}, "received_on", "future"),
        ({"vials_received": "0"}, "vials_received", ""),
        ({"product": "snake-oil"}, "product", "valid choice"),
    ],
)
def test_a_bad_lot_is_refused_next_to_its_field_and_keeps_the_input(
    practitioner, site, org, changes, field, message
):
    data = {
        "site": site.pk,
        "product": "ha-noncrosslinked-2ml",
        "lot_number": "HA-1",
        "expires_on": (TODAY + timedelta(days=300)).isoformat(),
        "received_on": TODAY.isoformat(),
        "vials_received": "12",
        "supplier": "Keep me Ltd",
        **changes,
    }
    response = client_for(practitioner).post(reverse("lot_new"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert 'value="Keep me Ltd"' in response.content.decode()
    with acting_for(org):
        assert not Lot.objects.exists()


def test_the_same_lot_twice_at_a_site_is_refused(practitioner, site, lot):
    data = {
        "site": site.pk,
        "product": lot.product,
        "lot_number": lot.lot_number,
        "expires_on": (TODAY + timedelta(days=300)).isoformat(),
        "received_on": TODAY.isoformat(),
        "vials_received": "2",
    }
    response = client_for(practitioner).post(reverse("lot_new"), data)
    assert response.status_code == 400
    assert "already in stock" in response.content.decode()


def test_reception_cannot_receive_and_a_foreign_site_is_refused(reception, practitioner, other_org):
    assert client_for(reception).get(reverse("lot_new")).status_code == 403
    foreign = Site.objects.create(organization=other_org, name="Elsewhere")
    response = client_for(practitioner).post(reverse("lot_new"), {"site": foreign.pk})
    assert "site" in response.context["form"].errors


def test_recalling_needs_a_practitioner_and_a_reason(practitioner, esthetician, lot):
    url = reverse("lot_mark_recalled", args=[lot.public_id])
    assert client_for(esthetician).post(url, {"reason": "contaminated"}).status_code == 403
    assert client_for(practitioner).post(url, {"reason": ""}).status_code == 400
    assert (
        client_for(practitioner).post(url, {"reason": "Manufacturer notice 12/26"}).status_code
        == 302
    )
    lot.refresh_from_db()
    assert lot.recalled_by == practitioner and lot.recall_reason == "Manufacturer notice 12/26"
    first = lot.recalled_at
    client_for(practitioner).post(url, {"reason": "again"})
    lot.refresh_from_db()
    assert lot.recalled_at == first and lot.recall_reason == "Manufacturer notice 12/26"


def test_recall_finds_exactly_the_sessions_that_used_the_lot(
    org, site, practitioner, make_patient, lot, other_org, outsider
):
    anna = make_patient(first_name="Anna")
    bea = make_patient(first_name="Bea", email="bea@example.com")
    cleo = make_patient(first_name="Cleo", email="cleo@example.com")
    used_a = _charted(org, site, practitioner, anna, lot)
    used_b = _charted(org, site, practitioner, bea, lot, days_ago=2)
    _charted(org, site, practitioner, cleo, _lot(org, site, practitioner, "OTHER-9"))
    # Another clinic received a lot with the same number: never in our recall.
    foreign_site = Site.objects.create(organization=other_org, name="Elsewhere")
    foreign_lot = _lot(other_org, foreign_site, outsider, lot.lot_number)
    with acting_for(other_org):
        from mesoclinic.patients.models import Patient

        stranger = Patient.objects.create(
            first_name="Zed",
            last_name="Stranger",
            date_of_birth=date(1970, 1, 1),
            sex="M",
            created_by=outsider,
        )
    _charted(other_org, foreign_site, outsider, stranger, foreign_lot)

    response = client_for(practitioner).get(reverse("lot_recall") + "?lot=ha-100")
    rows = list(response.context["page"].object_list)
    assert [r.session_id for r in rows] == [used_b.pk, used_a.pk]
    body = response.content.decode()
    assert "Anna" in body and "Bea" in body and "Cleo" not in body and "Stranger" not in body
    assert "Cheeks" in body  # the area as people read it, not its slug
    assert AuditEvent.objects.filter(
        action="search", object_type="lot", object_id="HA-100"
    ).exists()

    theirs = client_for(outsider).get(reverse("lot_recall") + "?lot=HA-100").content.decode()
    assert "Stranger" in theirs and "Anna" not in theirs


def test_recall_csv_for_the_regulator(org, site, practitioner, patient, lot):
    session = _charted(org, site, practitioner, patient, lot)
    response = client_for(practitioner).get(reverse("lot_recall") + "?lot=HA-100&format=csv")
    assert response["Content-Disposition"] == 'attachment; filename="recall-HA-100.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["patient_name"] == "Anna García" and rows[0]["session_id"] == str(
        session.public_id
    )
    assert rows[0]["volume_ml"] == "1.50" and rows[0]["area"] == "cheeks"
    assert AuditEvent.objects.filter(action="export", object_id="HA-100").count() == 1


def test_recall_csv_shows_a_formula_looking_name_as_text(
    org, site, practitioner, patient, lot, capsys
):
    """A spreadsheet must not run a patient's name: the regulator's file stays inert."""
    with acting_for(org):
        type(patient).objects.filter(pk=patient.pk).update(
            first_name='=HYPERLINK("http://evil.example","Anna")', last_name="@SUM(1+1)"
        )
    _charted(org, site, practitioner, patient, lot)
    response = client_for(practitioner).get(reverse("lot_recall") + "?lot=HA-100&format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["patient_name"].startswith("'=HYPERLINK(")
    assert rows[0]["volume_ml"] == "1.50"

    capsys.readouterr()
    call_command("recall", "HA-100", "--organization", org.name, "--csv")
    assert "'=HYPERLINK(" in capsys.readouterr().out


@pytest.mark.parametrize(
    "role,expected", [("practitioner", 200), ("esthetician", 200), ("reception", 403)]
)
def test_recall_search_by_role(personas, role, expected):
    assert client_for(personas[role]).get(reverse("lot_recall") + "?lot=X").status_code == expected


def test_recall_of_an_unknown_lot_says_so(practitioner):
    body = client_for(practitioner).get(reverse("lot_recall") + "?lot=NOPE").content.decode()
    assert "This clinic has no lot with that number." in body


def test_recall_page_queries_stay_bounded(
    org, site, practitioner, make_patient, lot, django_assert_max_num_queries
):
    for i in range(30):
        _charted(org, site, practitioner, make_patient(first_name=f"P{i}"), lot, days_ago=i + 1)
    client = client_for(practitioner)
    client.get(reverse("home"))
    with django_assert_max_num_queries(12):
        client.get(reverse("lot_recall") + "?lot=HA-100")
    with django_assert_max_num_queries(14):
        client.get(reverse("lot_detail", args=[lot.public_id]))
    with django_assert_max_num_queries(14):
        client.get(reverse("lot_list") + "?show=all")


def test_recall_command_prints_json_and_needs_the_organization_when_several(
    org, site, practitioner, patient, lot, other_org
):
    _charted(org, site, practitioner, patient, lot)
    with pytest.raises(CommandError, match="Several organizations"):
        call_command("recall", "HA-100")
    out = io.StringIO()
    call_command("recall", "ha-100", "--organization", org.name, "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["lot_number"] == "HA-100"
    assert [r["patient_name"] for r in payload["rows"]] == ["Anna García"]
    assert AuditEvent.objects.filter(
        organization=org, action="export", detail="recall by command line"
    ).exists()
    text = io.StringIO()
    call_command("recall", "HA-100", "--organization", org.name, stdout=text)
    assert "Lot HA-100: 1 patient(s), 1 charted area(s)" in text.getvalue()


def test_a_recalled_lot_is_no_longer_offered_for_charting(org, site, practitioner, lot):
    from mesoclinic.treatments import inventory

    client_for(practitioner).post(
        reverse("lot_mark_recalled", args=[lot.public_id]), {"reason": "contaminated"}
    )
    with acting_for(org):
        assert list(inventory.usable_lots(site, TODAY)) == []
