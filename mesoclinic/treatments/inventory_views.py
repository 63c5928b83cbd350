"""Lots and stock per site, recalls, and the recall search by lot number."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mesoclinic import spreadsheet
from mesoclinic.accounts import roles
from mesoclinic.accounts.access import require
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.audit.log import Action, record
from mesoclinic.treatments import inventory, stock, stock_count
from mesoclinic.treatments import inventory_forms as forms
from mesoclinic.treatments.access import get_lot
from mesoclinic.treatments.models import Lot, SessionArea

PAGE_SIZE = 50


@require_GET
@require(roles.VIEW_CLINICAL)
def lot_list(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    form = forms.LotFilterForm(request.GET or None)
    site, show = None, "usable"
    if form.is_valid():
        site, show = form.cleaned_data["site"], form.cleaned_data["show"] or "usable"
    lots = Lot.objects.select_related("site").order_by("site__name", "product", "expires_on")
    if site is not None:
        lots = lots.filter(site=site)
    page = Paginator(inventory.filter_lots(lots, show, today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    inventory.label(page.object_list)
    low = stock.low_keys(today, {(lot.site_id, lot.product) for lot in page.object_list})
    context = {
        "form": form,
        "page": page,
        "show": show,
        "today": today,
        "alerts": stock.alerts(today),
        "low": low,
        "expiry_warning": lambda lot: stock.expiry_warning(lot, today),
        "values": stock.value_per_site(today),
        "last_counts": stock_count.last_counts(),
        "currency": stock.currency(),
        "can_receive": roles.can(request.user, roles.EDIT_CLINICAL),
        "can_set_levels": roles.can(request.user, roles.MANAGE_STAFF),
        "recall_form": forms.RecallSearchForm(),
    }
    return render(request, "treatments/lots/list.html", context)


@require_http_methods(["GET", "POST"])
@require(roles.VIEW_CLINICAL)
def stock_levels(request: AuthedRequest) -> HttpResponse:
    """Everyone clinical sees the levels; only an owner sets one."""
    can_set = roles.can(request.user, roles.MANAGE_STAFF)
    if request.method == "POST" and not can_set:
        raise PermissionDenied("Only an owner sets stock levels.")
    form = forms.StockLevelForm(request.POST or None, initial=request.GET.dict() or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        stock.set_level(request.user, data["site"], data["product"], data["low_at"])
        messages.success(request, f"Stock level saved: low at {data['low_at']} vials.")
        return redirect("stock_levels")
    today = timezone.localdate()
    levels = stock.levels()
    left = stock.vials_left(today, [(lv.site_id, lv.product) for lv in levels])
    context = {"form": form, "levels": levels, "left": left, "can_set_levels": can_set}
    return render(
        request, "treatments/lots/levels.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@require(roles.EDIT_CLINICAL)
def lot_new(request: AuthedRequest) -> HttpResponse:
    form = forms.LotForm(
        request.POST or None,
        initial={"received_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        lot = inventory.receive(request.user, form.cleaned_data)
        messages.success(request, f"Lot {lot.lot_number} received: {lot.vials_received} vials.")
        return redirect("lot_detail", public_id=lot.public_id)
    return render(
        request, "treatments/lots/new.html", {"form": form}, status=400 if form.errors else 200
    )


def _lot_context(
    request: AuthedRequest, lot: Lot, recall_form: forms.RecallForm | None = None
) -> dict[str, Any]:
    rows = inventory.recall_rows(lot.lot_number).filter(lot=lot)
    page = inventory.recall_page(rows, request.GET.get("page"), PAGE_SIZE)
    today = timezone.localdate()
    return {
        "level": stock.level_for(lot.site, lot.product),
        "left_at_site": stock.vials_left(today, [(lot.site_id, lot.product)]).get(
            (lot.site_id, lot.product), 0
        ),
        "can_set_levels": roles.can(request.user, roles.MANAGE_STAFF),
        "lot": inventory.label([lot])[0],
        "currency": stock.currency(),
        "page": page,
        "today": timezone.localdate(),
        "recall_form": recall_form or forms.RecallForm(),
        "can_recall": roles.can(request.user, roles.SIGN_CLINICAL),
    }


@require_GET
@require(roles.VIEW_CLINICAL)
def lot_detail(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    lot = get_lot(public_id)
    record(request.user, Action.VIEW, lot, detail="patients who received it")
    return render(request, "treatments/lots/detail.html", _lot_context(request, lot))


@require_POST
@require(roles.SIGN_CLINICAL)
def lot_recall(request: AuthedRequest, public_id: uuid.UUID) -> HttpResponse:
    lot = get_lot(public_id)
    form = forms.RecallForm(request.POST)
    if not form.is_valid():
        context = _lot_context(request, lot, recall_form=form)
        return render(request, "treatments/lots/detail.html", context, status=400)
    if inventory.mark_recalled(request.user, lot, form.cleaned_data["reason"]):
        messages.success(request, f"Lot {lot.lot_number} recalled: it can no longer be charted.")
    return redirect("lot_detail", public_id=lot.public_id)


def _csv(rows: QuerySet[SessionArea], lot_number: str) -> StreamingHttpResponse:
    writer = spreadsheet.DictWriter(spreadsheet.Echo(), fieldnames=inventory.RECALL_COLUMNS)
    lines = (
        writer.writerow(inventory.recall_record(area)) for area in rows.iterator(chunk_size=2000)
    )
    header = writer.writerow(
        dict(zip(inventory.RECALL_COLUMNS, inventory.RECALL_COLUMNS, strict=True))
    )
    response = StreamingHttpResponse(
        (x for part in ([header], lines) for x in part), content_type="text/csv"
    )
    safe = "".join(c for c in lot_number if c.isalnum() or c in "-_") or "lot"
    response["Content-Disposition"] = f'attachment; filename="recall-{safe}.csv"'
    return response


@require_GET
@require(roles.VIEW_CLINICAL)
def lot_recall_search(request: AuthedRequest) -> HttpResponseBase:
    form = forms.RecallSearchForm(request.GET or None)
    if not form.is_valid():
        status = 400 if request.GET else 200
        return render(request, "treatments/lots/recall.html", {"form": form}, status=status)
    number = form.cleaned_data["lot"]
    rows = inventory.recall_rows(number)
    if request.GET.get("format") == "csv":
        record(
            request.user, Action.EXPORT, object_type="lot", object_id=number, detail="recall CSV"
        )
        return _csv(rows, number)
    record(request.user, Action.SEARCH, object_type="lot", object_id=number, detail="recall")
    page = inventory.recall_page(rows, request.GET.get("page"), PAGE_SIZE)
    lots = inventory.label(list(Lot.objects.filter(lot_number=number).select_related("site")))
    context = {"form": form, "number": number, "page": page, "lots": lots}
    return render(request, "treatments/lots/recall.html", context)
