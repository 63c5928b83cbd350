"""Lots and stock: the lots of each site (product, number, expiry, vials on hand) and
the stock per site and product against the owner's reorder levels; receiving a lot,
counting stock, recalling a lot and finding everyone who received one.

Lots belong to the clinical side (the pages are for clinical roles): a clinical role,
and for a token its clinical scope.
"""

from typing import Any, Literal
from uuid import UUID

from django.utils import timezone
from ninja import Header, Query, Router, Status
from pydantic import Field

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.http import AuthedRequest
from mesoclinic.accounts.models import Site
from mesoclinic.api import cursor
from mesoclinic.api import schemas as s
from mesoclinic.api import schemas_clinical as c
from mesoclinic.api import schemas_desk as d
from mesoclinic.api.auth import require, require_clinical
from mesoclinic.api.models import Scope
from mesoclinic.api.refusals import (
    NO_KEY,
    as_form_data,
    body_doc,
    form_refused,
    read_body,
    refused,
    submission_key,
)
from mesoclinic.audit.log import Action, record
from mesoclinic.scheduling.access import get_site
from mesoclinic.treatments import inventory, stock, stock_count
from mesoclinic.treatments.access import get_lot
from mesoclinic.treatments.inventory_forms import LotForm, RecallForm
from mesoclinic.treatments.models import Lot

router = Router(tags=["lots"])

SORTS = {"expiring": ("expires_on", "pk"), "received": ("-received_on", "-pk")}


class LotParams(cursor.PageParams):
    site: UUID | None = None
    show: Literal["usable", "unusable", "recalled", "expired", "used-up", "all"] = "usable"
    lot_number: str | None = None
    sort: Literal["expiring", "received"] = "expiring"


def _out(lot: Lot) -> dict[str, Any]:
    return {
        "id": lot.public_id,
        "site": {"id": lot.site.public_id, "name": lot.site.name},
        "product": lot.product,
        "product_name": lot.product_name,
        "lot_number": lot.lot_number,
        "expires_on": lot.expires_on,
        "received_on": lot.received_on,
        "supplier": lot.supplier,
        "vials_received": lot.vials_received,
        "vials_left": lot.vials_left,
        "state": lot.state(timezone.localdate()),
        "recalled_at": lot.recalled_at,
        "recall_reason": lot.recall_reason,
    }


@router.get("", response={200: d.LotPage, 400: s.Error, 403: s.Error, 404: s.Error})
def list_lots(request: AuthedRequest, params: Query[LotParams]) -> dict[str, Any]:
    """Lots by their state today (default usable), at one site or all."""
    require_clinical(request)
    lots = Lot.objects.select_related("site")
    if params.site is not None:
        lots = lots.filter(site=get_site(params.site))
    if params.lot_number:
        lots = lots.filter(lot_number=inventory.normalize_lot_number(params.lot_number))
    lots = inventory.filter_lots(lots, params.show, timezone.localdate())
    rows, after = cursor.page(lots, SORTS[params.sort], params)
    record(request.user, Action.SEARCH, object_type="lot", detail=f"api {params.show}")
    return {"results": [_out(lot) for lot in inventory.label(rows)], "next": after}


@router.get("/stock", response={200: d.StockList, 403: s.Error})
def stock_levels(request: AuthedRequest) -> dict[str, Any]:
    """Vials on hand per site and product, with each reorder level: every pair that has
    usable stock or a level, ordered by site and product name."""
    require_clinical(request)
    today = timezone.localdate()
    left = stock.vials_left(today)
    levels = {(lv.site_id, lv.product): lv for lv in stock.levels()}
    keys = set(left) | set(levels)
    sites = {site.pk: site for site in Site.objects.filter(pk__in={k[0] for k in keys})}
    names = {slug: p.name for slug, p in rules.load_reference().products.items()}
    results: list[dict[str, Any]] = []
    for site_id, product in keys:
        level = levels.get((site_id, product))
        on_hand = left.get((site_id, product), 0)
        site = sites[site_id]
        results.append(
            {
                "site": {"id": site.public_id, "name": site.name},
                "product": product,
                "product_name": names.get(product, product),
                "vials_left": on_hand,
                "low_at": level.low_at if level else None,
                "low": level is not None and on_hand <= level.low_at,
            }
        )
    results.sort(key=lambda r: (r["site"]["name"], r["product_name"]))
    record(request.user, Action.VIEW, object_type="stock", detail="api stock levels")
    return {"results": results}


@router.post("", response={201: d.LotOut, **c.LIST_REFUSED}, openapi_extra=body_doc(d.LotIn))
def receive_lot(request: AuthedRequest) -> Any:
    """Take a delivered lot into stock, as the page's form does (its checks: not expired,
    not received in the future, at least one vial). A lot already in stock at that site,
    or the same delivery sent twice, is refused on lot_number: one lot is recorded."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.EDIT_CLINICAL, Scope.WRITE)
    body = read_body(request, d.LotIn)
    site = get_site(body.site)
    form = LotForm(as_form_data({**body.dict(), "site": site.pk}))
    if not form.is_valid():
        return form_refused(form)
    lot = inventory.receive(request.user, form.cleaned_data)
    return Status(201, _out(inventory.label([get_lot(lot.public_id)])[0]))


@router.post(
    "/counts",
    response={201: d.StockCountOut, 200: d.StockCountOut, **c.WRITE_REFUSED},
    openapi_extra=body_doc(d.StockCountIn),
)
def count_stock(
    request: AuthedRequest,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),  # noqa: B008
) -> Any:
    """Sign a stock count of a site, as the count page does: every usable lot of the
    site counted, each difference with its reason, the stock set to the count and the
    count audited. A lot whose stock moved since `expected` was read is a 409 (read the
    lots again); the same Idempotency-Key again answers 200 with the count first made."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.SIGN_CLINICAL, Scope.WRITE)
    body = read_body(request, d.StockCountIn)
    key = submission_key(request.user, idempotency_key)
    if key is None:
        return refused(NO_KEY)
    site = get_site(body.site)
    held = {lot.public_id: lot for lot in stock_count.lots_to_count(site)}
    sent = {line.lot: line for line in body.lines}
    if missing := [lot.lot_number for pid, lot in held.items() if pid not in sent]:
        return refused("Count every usable lot of the site: missing " + ", ".join(missing), "lines")
    if stray := [str(pid) for pid in sent if pid not in held]:
        return refused("Not a usable lot of this site: " + ", ".join(stray), "lines")
    counted = [
        stock_count.Counted(held[pid].pk, line.expected, line.counted, line.reason)
        for pid, line in sent.items()
    ]
    try:
        count, made = stock_count.record_count(request.user, site, counted, key)
    except stock_count.StockChanged as changed:
        return refused(str(changed), status=409)
    except stock_count.CountRefused as refusal:
        return refused(str(refusal), "lines")
    return Status(
        201 if made else 200,
        {
            "id": count.public_id,
            "site": {"id": site.public_id, "name": site.name},
            "signed_at": count.signed_at,
            "counted_by": count.counted_by.full_name,
            "lots_counted": count.lots_counted,
            "differences": count.differences,
        },
    )


class RecallParams(cursor.PageParams):
    lot: str = Field(min_length=1, max_length=60, description="The lot number, as printed.")


@router.get("/recall", response={200: d.RecallPage, **c.LIST_REFUSED}, summary="Who received a lot")
def recall_search(request: AuthedRequest, params: Query[RecallParams]) -> dict[str, Any]:
    """Every charted area that used a lot with this number (at any site), newest session
    first, with the patient's contact details: what the recall page and its CSV list.
    Sessions still in progress count: the vial was opened on that patient."""
    require_clinical(request)
    number = inventory.normalize_lot_number(params.lot)
    found, after = cursor.page(inventory.recall_rows(number), ("-session_id", "-id"), params)
    record(request.user, Action.SEARCH, object_type="lot", object_id=number, detail="api recall")
    return {"results": [inventory.recall_record(a) for a in found], "next": after}


@router.post(
    "/{uuid:lot_id}/recall",
    response={200: d.LotOut, **c.WRITE_REFUSED},
    summary="Recall a lot",
    openapi_extra=body_doc(d.ReasonIn),
)
def recall_lot(request: AuthedRequest, lot_id: UUID) -> Any:
    """A practitioner recalls a lot, with the reason (the manufacturer's notice, an
    infection): it can no longer be charted, at any session, from now on. Recalling it
    again changes nothing."""
    require_clinical(request, Scope.WRITE)
    require(request, roles.SIGN_CLINICAL, Scope.WRITE)
    lot = get_lot(lot_id)
    body = read_body(request, d.ReasonIn)
    form = RecallForm(as_form_data(body.dict()))
    if not form.is_valid():
        return form_refused(form)
    inventory.mark_recalled(request.user, lot, form.cleaned_data["reason"])
    return Status(200, _out(inventory.label([get_lot(lot_id)])[0]))


@router.get("/{uuid:lot_id}", response={200: d.LotOut, 403: s.Error, 404: s.Error})
def lot_detail(request: AuthedRequest, lot_id: UUID) -> dict[str, Any]:
    require_clinical(request)
    lot = get_lot(lot_id)
    record(request.user, Action.VIEW, lot, detail="api")
    return _out(inventory.label([lot])[0])
