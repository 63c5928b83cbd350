"""Counting a site's stock: the count page under the lots, and a signed count."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.audit.log import Action, record
from mesoclinic.treatments import stock_count
from mesoclinic.treatments.access import get_stock_count
from mesoclinic.treatments.inventory_forms import StockCountForm


def _site(request: AuthedRequest) -> Site | None:
    """The site named by ?site= (another clinic's: 404), or the only one."""
    sites = Site.objects.order_by("name")
    wanted = request.GET.get("site", "")
    if wanted:
        try:
            return sites.get(public_id=uuid.UUID(wanted))
        except (ValueError, Site.DoesNotExist):
            raise Http404 from None
    only = list(sites[:2])
    return only[0] if len(only) == 1 else None


@require_http_methods(["GET", "POST"])
@require(roles.SIGN_CLINICAL)
def stock_count_page(request: AuthedRequest) -> HttpResponse:
    site = _site(request)
    if site is None:
        choose = {"sites": Site.objects.order_by("name"), "site": None}
        return render(request, "treatments/lots/count.html", choose)
    lots = stock_count.lots_to_count(site)
    form = StockCountForm(request.POST or None, lots=lots, initial={"submission_key": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        counted = [
            stock_count.Counted(lot.pk, expected, n, reason)
            for lot, expected, n, reason in form.counted()
        ]
        try:
            count, _made = stock_count.record_count(
                request.user, site, counted, form.cleaned_data["submission_key"]
            )
        except stock_count.StockChanged as refused:
            form = form.expect_again(stock_count.lots_to_count(site))
            form.is_valid()
            form.add_error(None, str(refused))
        except stock_count.CountRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"Stock count at {site.name} signed.")
            return redirect("stock_count_detail", public_id=count.public_id)
    context: dict[str, object] = {"site": site, "form": form, "lots": lots}
    status = 400 if form.errors else 200
    return render(request, "treatments/lots/count.html", context, status=status)


@require_GET
@require(roles.VIEW_CLINICAL)
def stock_count_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    count = get_stock_count(public_id)
    record(request.user, Action.VIEW, count)
    context = {"count": count, "lines": stock_count.lines(count)}
    return render(request, "treatments/lots/count_detail.html", context)
