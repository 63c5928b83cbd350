"""The end of a day at a site and a month's revenue, as pages and CSV files (issue 17).

Owners see every site and the revenue; reception the end of day of the sites they work
at; everyone else a 403. Every read and every export is audited once.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from mesoclinic import spreadsheet
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.payments import policy, report_forms, reports
from mesoclinic.payments.money import format_amount


def _day_sites(request: AuthedRequest) -> QuerySet[Site]:
    if policy.sees_revenue(request.user):
        return Site.objects.order_by("name")
    if policy.closes_days(request.user):
        return request.user.sites.order_by("name")
    raise PermissionDenied


def _csv(rows: Iterable[list[str]], filename: str) -> HttpResponse:
    writer = spreadsheet.Writer(spreadsheet.Echo())
    response = HttpResponse("".join(writer.writerow(row) for row in rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _audit(request: AuthedRequest, exported: bool, object_id: str, detail: str) -> None:
    action = Action.EXPORT if exported else Action.VIEW
    record(request.user, action, object_type="report", object_id=object_id, detail=detail)


@require_GET
@login_required
def end_of_day(request: AuthedRequest) -> HttpResponse:
    sites = _day_sites(request)
    first = sites.first()
    query = request.GET.copy()
    if first is not None:
        query.setdefault("site", str(first.public_id))
        query.setdefault("day", timezone.localtime(timezone.now(), first.zone).date().isoformat())
    form = report_forms.DayForm(query, sites=sites)
    context: dict[str, Any] = {"form": form, "money": format_amount, "report": None}
    if first is None or not form.is_valid():
        status = 400 if form.errors and first is not None else 200
        return render(request, "payments/reports/day.html", context, status=status)
    site, day = form.cleaned_data["site"], form.cleaned_data["day"]
    exported = request.GET.get("format") == "csv"
    currency = request.user.organization.currency
    report = reports.end_of_day(
        site, day, currency, limit=None if exported else reports.UNPAID_SHOWN
    )
    _audit(request, exported, f"end-of-day/{site.public_id}/{day}", "end of day")
    if exported:
        return _csv(reports.end_of_day_csv(report), f"end-of-day-{day}.csv")
    context.update(report=report, csv_query=_with_format(form))
    return render(request, "payments/reports/day.html", context)


def _with_format(form: Any) -> str:
    values = {name: form.data.get(name, "") for name in form.fields}
    return urlencode({**values, "format": "csv"})


@require_GET
@login_required
def revenue(request: AuthedRequest) -> HttpResponse:
    if not policy.sees_revenue(request.user):
        raise PermissionDenied
    query = request.GET.copy()
    query.setdefault("month", timezone.localdate().strftime("%Y-%m"))
    query.setdefault("by", "treatment")
    form = report_forms.MonthForm(query)
    context: dict[str, Any] = {"form": form, "money": format_amount, "rows": None}
    if not form.is_valid():
        return render(request, "payments/reports/month.html", context, status=400)
    month: dt.date = form.cleaned_data["month"]
    by: str = form.cleaned_data["by"]
    rows = reports.revenue(month, by, list(Site.objects.all()))
    exported = request.GET.get("format") == "csv"
    _audit(request, exported, f"revenue/{month:%Y-%m}/{by}", "monthly revenue")
    currency = request.user.organization.currency
    if exported:
        return _csv(reports.revenue_csv(rows, by, currency), f"revenue-{month:%Y-%m}-{by}.csv")
    context.update(
        rows=rows,
        by_label=reports.REVENUE_BY[by],
        month=month,
        currency=currency,
        total_net=sum((r.net for r in rows), reports.ZERO),
        total_gross=sum((r.gross for r in rows), reports.ZERO),
        csv_query=_with_format(form),
    )
    return render(request, "payments/reports/month.html", context)
