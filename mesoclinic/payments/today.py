"""The desk's sections on reception's and the owner's Today (scheduling.today_sections).

"Sessions to invoice": sessions signed that day at the day's site (reception: at their
sites, or every site if they have none) that have no invoice yet, each with the button
that drafts it from the price list; the desk bills the patient on the way out.

"Payments due": issued invoices with something still due, oldest first, at the same
sites: the desk asks for them when the patient comes in.

Each is one query for the rows shown, and a count only when there are more.
"""

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site, User
from mesoclinic.billing.models import Invoice, InvoiceKind
from mesoclinic.payments import reports
from mesoclinic.payments.money import format_amount
from mesoclinic.treatments.models import SessionStatus, TreatmentSession

SHOWN = 10


def _works_at(user: User, site_field: str) -> Q:
    """Rows whose `site_field` is one of the user's sites, or any site if they have none."""
    works_at = User.sites.through.objects.filter(user_id=user.pk)
    return Q(Exists(works_at.filter(site_id=OuterRef(site_field)))) | ~Q(Exists(works_at))


def _where(user: User, site: Site | None) -> Q:
    return Q(site=site) if site is not None else _works_at(user, "site_id")


def _sites(user: User, site: Site | None) -> list[Site]:
    """The day's site, else the user's sites (every site if they have none): one query."""
    if site is not None:
        return [site]
    return list(Site.objects.filter(_works_at(user, "pk")).order_by("name"))


def _panel(request: AuthedRequest, rows: QuerySet[Any], template: str, **context: Any) -> str:
    """The first SHOWN rows in `template`, with how many more there are; "" if none."""
    shown = list(rows[: SHOWN + 1])
    if not shown:
        return ""
    more = rows.count() - SHOWN if len(shown) > SHOWN else 0
    context = {"rows": shown[:SHOWN], "more": more, **context}
    return render_to_string(template, context, request=request)


def sessions_to_invoice(request: AuthedRequest, site: Site | None, day: dt.date) -> str:
    """Signed that day at the day's sites, not invoiced yet: newest first."""
    sites = _sites(request.user, site)
    signed_that_day = Q(pk__in=[])
    for s in sites:
        signed_that_day |= Q(site=s, signed_at__range=reports.day_bounds(s, day))
    invoiced = Invoice.objects.filter(session=OuterRef("pk"), kind=InvoiceKind.INVOICE)
    rows = (
        TreatmentSession.objects.filter(signed_that_day, status=SessionStatus.SIGNED)
        .filter(~Exists(invoiced))
        .select_related("patient", "site", "performed_by")
        .order_by("-signed_at", "pk")
    )
    return _panel(request, rows, "payments/_today_to_invoice.html", several=len(sites) > 1)


def payments_due(request: AuthedRequest, site: Site | None, day: dt.date) -> str:  # noqa: ARG001
    rows = reports.unpaid_before(timezone.now()).filter(_where(request.user, site))
    return _panel(
        request, rows, "payments/_today_due.html", money=format_amount, several=site is None
    )
