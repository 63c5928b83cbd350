"""The desk's "Payments due" on reception's and the owner's Today (scheduling.today_sections).

Issued invoices with something still due, oldest first, at the day's site (reception:
at their sites, or every site if they have none): the desk asks for them when the
patient comes in. One query for the rows shown, and a count only when there are more.
"""

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone

from mesoclinic.accounts.models import Site, User
from mesoclinic.payments import reports
from mesoclinic.payments.money import format_amount

SHOWN = 10


def _where(user: User, site: Site | None) -> Q:
    if site is not None:
        return Q(site=site)
    works_at = User.sites.through.objects.filter(user_id=user.pk)
    return Q(Exists(works_at.filter(site_id=OuterRef("site_id")))) | ~Q(Exists(works_at))


def payments_due(user: User, site: Site | None, day: dt.date) -> str:  # noqa: ARG001
    rows = reports.unpaid_before(timezone.now()).filter(_where(user, site))
    shown = list(rows[: SHOWN + 1])
    if not shown:
        return ""
    more = rows.count() - SHOWN if len(shown) > SHOWN else 0
    return render_to_string(
        "payments/_today_due.html",
        {"rows": shown[:SHOWN], "more": more, "money": format_amount, "several": site is None},
    )
