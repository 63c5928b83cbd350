"""Takings and revenue reports (issue 17): the end of a day at a site (in the site's time
zone) and a month's revenue by treatment, practitioner and site, as pages and CSV.
Owners see all; reception the day of its own sites; clinical staff 403; another clinic
sees none of ours; a portal patient 404; every read and export audited; bounded queries."""

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from mesoclinic.accounts.models import Site
from mesoclinic.audit.models import AuditEvent
from mesoclinic.billing.models import Invoice, InvoiceLine
from mesoclinic.payments.models import Method, Payment, Refund
from mesoclinic.tenancy import acting_for
from tests.factories import client_for
from tests.test_portal import me, portal_user  # noqa: F401 - fixtures

DAY = dt.date(2026, 11, 20)
NY = "America/New_York"


@pytest.fixture
def ny(org, site):
    Site.all_orgs.filter(pk=site.pk).update(time_zone=NY)
    site.refresh_from_db()
    return site


@pytest.fixture
def desk(reception, ny):
    reception.sites.set([ny])
    return reception


def at(site, day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=site.zone)


def payment(org, user, patient, site, amount, when, method=Method.CASH, reference=""):
    with acting_for(org):
        return Payment.objects.create(
            patient=patient, site=site, method=method, amount=Decimal(amount), currency="USD",
            reference=reference or ("T-1" if method != Method.CASH else ""), taken_by=user,
            taken_at=when, submission_key=uuid.uuid4(),
        )  # fmt: skip


def refund(org, user, paid, amount, when):
    with acting_for(org):
        return Refund.objects.create(
            payment=paid, site=paid.site, method=Method.CASH, amount=Decimal(amount),
            reason="Cancelled", refunded_by=user, refunded_at=when, submission_key=uuid.uuid4(),
        )  # fmt: skip


_numbers = iter(range(1, 100000))


def invoice(org, user, patient, site, when, lines, kind="invoice", credits=None, session=None):
    """A document with `lines` [(description, net, gross)], written as a draft and then
    issued at `when` (billing's triggers refuse lines on an issued one)."""
    with acting_for(org):
        gross = sum((Decimal(g) for _, _, g in lines), Decimal("0"))
        doc = Invoice.objects.create(
            patient=patient, site=site, kind=kind, currency="USD", credits=credits,
            session=session, total_gross=gross, changed_by=user,
        )  # fmt: skip
        for i, (text, net, gross) in enumerate(lines):
            InvoiceLine.objects.create(
                invoice=doc, position=i, kind="treatment", description=text,
                unit_price=Decimal(net), net=Decimal(net), gross=Decimal(gross),
            )  # fmt: skip
        Invoice.objects.filter(pk=doc.pk).update(
            status="issued", number=next(_numbers), issued_at=when, issued_by=user
        )
        doc.refresh_from_db()
        return doc


def day_url(site, day=DAY, **extra):
    query = {"site": str(site.public_id), "day": str(day), **extra}
    return reverse("payment_report_day") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def a_day(org, desk, patient, ny):
    """Takings at the New York site on DAY, and around it."""
    payment(org, desk, patient, ny, "40.00", at(ny, DAY, 9))
    card = payment(org, desk, patient, ny, "60.50", at(ny, DAY, 23, 30), method=Method.CARD)
    payment(org, desk, patient, ny, "99.00", at(ny, DAY, 0, 0) - dt.timedelta(minutes=1))
    refund(org, desk, card, "10.25", at(ny, DAY, 18))
    unpaid = invoice(org, desk, patient, ny, at(ny, DAY, 10), [("Submental course", "80", "96")])
    with acting_for(org):
        Payment.objects.create(
            patient=patient, site=ny, method=Method.CASH, amount=Decimal("16.00"),
            currency="USD", taken_by=desk, taken_at=at(ny, DAY - dt.timedelta(days=3), 9),
            submission_key=uuid.uuid4(), invoice=unpaid,
        )  # fmt: skip
    return unpaid


def test_the_end_of_day_sums_takings_by_method_in_the_sites_own_day(owner, a_day, ny):
    response = client_for(owner).get(day_url(ny))
    report = response.context["report"]
    assert response.status_code == 200
    # 23:30 in New York is the next day in UTC, and 23:59 the evening before is not this day
    assert [(t.label, t.count, t.amount) for t in report.takings] == [
        ("Cash", 1, Decimal("40.00")),
        ("Card", 1, Decimal("60.50")),
    ]
    assert report.given_back == Decimal("10.25")
    assert report.net == Decimal("90.25")
    assert report.issued["Invoice"] == {"count": 1, "total": Decimal("96.00")}
    assert [(inv.description, due.due) for inv, due in report.unpaid] == [
        ("Invoice " + str(a_day.number), Decimal("80.00"))
    ]
    html = response.content.decode()
    assert "USD 90.25" in html and "Anna García" in html


def test_the_end_of_day_downloads_as_csv_and_is_audited_as_an_export(org, owner, a_day, ny):
    response = client_for(owner).get(day_url(ny, format="csv"))
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Takings", "Card", "1", "60.50"] in rows
    assert ["Net takings", "", "", "90.25"] in rows
    with acting_for(org):
        assert AuditEvent.objects.filter(action="export", object_type="report").count() == 1


def test_reading_the_end_of_day_is_audited(org, owner, a_day, ny):
    client_for(owner).get(day_url(ny))
    with acting_for(org):
        assert AuditEvent.objects.filter(action="view", object_type="report").count() == 1


def test_reception_sees_the_day_of_its_own_sites_only(org, desk, a_day, ny):
    other = Site.objects.create(organization=org, name="Uptown")
    client = client_for(desk)
    assert client.get(day_url(ny)).status_code == 200
    response = client.get(day_url(other))
    assert response.status_code == 400
    assert response.context["report"] is None
    assert "Select a valid choice" in response.content.decode()


def test_reception_without_a_site_is_told_so(reception, ny):
    response = client_for(reception).get(reverse("payment_report_day"))
    assert "not assigned to a site" in response.content.decode()
    assert response.context["report"] is None


@pytest.mark.parametrize("role", ["practitioner", "esthetician"])
def test_clinical_staff_see_no_money_reports(personas, role, ny):
    client = client_for(personas[role])
    assert client.get(day_url(ny)).status_code == 403
    assert client.get(reverse("payment_report_month")).status_code == 403


def test_reception_sees_no_monthly_revenue(desk):
    assert client_for(desk).get(reverse("payment_report_month")).status_code == 403


def test_another_clinic_sees_none_of_our_takings(outsider, a_day, ny):
    response = client_for(outsider).get(day_url(ny))
    assert response.context["report"] is None
    assert "Anna García" not in response.content.decode()
    month = client_for(outsider).get(reverse("payment_report_month") + "?month=2026-11")
    assert month.context["rows"] == []


def test_a_portal_patient_gets_404(me, ny):
    assert client_for(me).get(day_url(ny)).status_code == 404
    assert client_for(me).get(reverse("payment_report_month")).status_code == 404


def test_a_bad_day_is_refused_next_to_the_field(owner, ny):
    response = client_for(owner).get(day_url(ny, day="2026-13-45"))
    assert response.status_code == 400
    assert 'id="id_day_error"' in response.content.decode()


@pytest.fixture
def a_month(org, owner, practitioner, patient, ny):
    from tests.factories import make_session

    session = make_session(org, patient, ny, practitioner)
    first = invoice(
        org, owner, patient, ny, at(ny, dt.date(2026, 11, 3), 10),
        [("Submental fat", "100.00", "120.00"), ("Numbing cream", "10.00", "12.00")],
        session=session,
    )  # fmt: skip
    invoice(
        org,
        owner,
        patient,
        ny,
        at(ny, dt.date(2026, 11, 9), 10),
        [("Submental fat", "100.00", "120.00")],
    )
    invoice(
        org, owner, patient, ny, at(ny, dt.date(2026, 11, 12), 10),
        [("Submental fat", "50.00", "60.00")], kind="credit_note", credits=first,
    )  # fmt: skip
    # 1 December 00:30 in New York is still November in UTC: not this month
    invoice(
        org, owner, patient, ny, at(ny, dt.date(2026, 12, 1), 0, 30), [("Submental fat", "7", "7")]
    )
    return first


def month_rows(client, by):
    response = client.get(reverse("payment_report_month") + f"?month=2026-11&by={by}")
    assert response.status_code == 200
    return [(r.label, r.net, r.gross) for r in response.context["rows"]]


def test_monthly_revenue_by_treatment_less_credit_notes(owner, a_month):
    assert month_rows(client_for(owner), "treatment") == [
        ("Submental fat", Decimal("150.00"), Decimal("180.00")),
        ("Numbing cream", Decimal("10.00"), Decimal("12.00")),
    ]


def test_monthly_revenue_by_practitioner_and_site(owner, a_month, ny):
    client = client_for(owner)
    assert month_rows(client, "practitioner") == [
        ("No session", Decimal("100.00"), Decimal("120.00")),
        ("Dr Pia Prax", Decimal("60.00"), Decimal("72.00")),  # 110 less the 50 credited
    ]
    assert month_rows(client, "site") == [(ny.name, Decimal("160.00"), Decimal("192.00"))]


def test_monthly_revenue_downloads_as_csv(owner, a_month):
    url = reverse("payment_report_month") + "?month=2026-11&by=site&format=csv"
    rows = list(csv.reader(io.StringIO(client_for(owner).get(url).content.decode())))
    assert rows[0] == ["Site", "Net (USD)", "Gross (USD)"]
    assert rows[-1] == ["Total", "160.00", "192.00"]


def test_an_unknown_grouping_is_refused(owner):
    url = reverse("payment_report_month") + "?month=2026-11&by=patient"
    assert client_for(owner).get(url).status_code == 400


@pytest.mark.parametrize("count", [1, 30])
def test_reports_run_a_bounded_number_of_queries(
    org, owner, desk, patient, ny, count, django_assert_max_num_queries
):
    for i in range(count):
        paid = payment(org, desk, patient, ny, f"{i + 1}.00", at(ny, DAY, 12))
        refund(org, desk, paid, "0.50", at(ny, DAY, 13))
        invoice(org, owner, patient, ny, at(ny, DAY, 9), [(f"Item {i % 5}", "10", "12")])
    client = client_for(owner)
    client.get(reverse("home"))
    with django_assert_max_num_queries(16):
        response = client.get(day_url(ny))
    assert len(response.context["report"].unpaid) == count
    with django_assert_max_num_queries(14):
        client.get(reverse("payment_report_month") + "?month=2026-11&by=treatment")
    with django_assert_max_num_queries(14):
        client.get(day_url(ny, format="csv"))
