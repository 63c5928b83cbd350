"""The price list page: everyone on staff reads it; the owner saves a new version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.billing import prices
from mesoclinic.billing.price_forms import PriceListForm
from mesoclinic.scheduling.models import TreatmentType


@require_http_methods(["GET", "POST"])
@require(roles.VIEW_PRICES)
def price_list(request: AuthedRequest) -> HttpResponse:
    can_edit = roles.can(request.user, roles.MANAGE_PRICES)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only an owner sets the price list.")
    book = prices.current()
    form = PriceListForm(
        request.POST or None,
        book=book,
        types=list(TreatmentType.objects.filter(active=True).order_by("name")),
        default_currency=request.user.organization.currency,
    )
    if request.method == "POST" and form.is_valid():
        saved = prices.save_version(request.user, form.prices())
        messages.success(request, f"Prices saved as version {saved.version}.")
        return redirect("price_list")
    context = {"form": form, "book": book, "can_edit": can_edit}
    status = 400 if form.errors else 200
    return render(request, "billing/prices.html", context, status=status)
