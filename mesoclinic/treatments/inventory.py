"""Product lots: receiving, stock per site, recalls, and the recall search.

Infections after mesotherapy have been traced to contaminated vials
(clinical-reference §6), so "who received lot X" must be answerable at once and
only from the clinic's own records: the search goes through the lot-number and
charted-lot indexes and the organization-scoped managers.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Case, F, PositiveIntegerField, Q, QuerySet, When
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.records import keep_history
from mesoclinic.treatments.models import Lot, SessionArea

LotsT = TypeVar("LotsT", bound=Iterable[Lot])


def normalize_lot_number(text: str) -> str:
    """Lot numbers are printed in capitals; stored and searched the same way."""
    return text.strip().upper()


class LotUnusable(ValueError):
    """The lot cannot be charted today; the message says why."""


def filter_lots(lots: QuerySet[Lot], show: str, day: date) -> QuerySet[Lot]:
    """Lots by state on a day: usable (in date, not recalled, not used up), recalled,
    expired, used up, or all."""
    used_up = Q(vials_used__gte=F("vials_received"))
    unusable = Q(recalled_at__isnull=False) | Q(expires_on__lt=day) | used_up
    if show == "usable":
        return lots.exclude(unusable)
    if show == "unusable":
        return lots.filter(unusable)
    if show == "recalled":
        return lots.filter(recalled_at__isnull=False)
    if show == "expired":
        return lots.filter(expires_on__lt=day)
    if show == "used-up":
        return lots.filter(used_up)
    return lots


def usable_lots(site: Site, day: date) -> QuerySet[Lot]:
    """Lots at the site that may be charted on that day."""
    lots = Lot.objects.filter(site=site).order_by("product", "expires_on", "lot_number")
    return filter_lots(lots, "usable", day)


def unusable_lots(site: Site, day: date, limit: int = 50) -> list[Lot]:
    """Lots at the site that must not be charted that day, most recent expiry first.

    The chart lists them apart, each with its reason, so that a practitioner holding
    such a vial sees at once why it is refused instead of not finding it.
    """
    lots = filter_lots(Lot.objects.filter(site=site), "unusable", day)
    return list(lots.order_by("-expires_on", "lot_number")[:limit])


def lot_for_charting(public_id: str, day: date, site: Site | None = None) -> Lot:
    """The lot the form named, if the organization has it and it is usable that day."""
    lots = Lot.objects.all() if site is None else Lot.objects.filter(site=site)
    lot = lots.filter(public_id=public_id).first() if public_id else None
    if lot is None:
        raise LotUnusable("Choose a lot held at this site.")
    if reason := lot.unusable_reason(day):
        raise LotUnusable(f"{reason}: it cannot be charted.")
    return lot


def move_vials(moves: dict[int, int]) -> bool:
    """Take vials from lots (a negative number puts them back), in one UPDATE: the one
    path every stock movement takes (sign-off, a stock count). A lot is never taken below
    none nor given back more than it received; False when any lot would be, and then the
    caller raises so that its transaction rolls every lot back."""
    moves = {lot_id: vials for lot_id, vials in moves.items() if vials}
    if not moves:
        return True
    fits = Q(pk__in=[])
    for lot_id, vials in moves.items():
        fits |= Q(pk=lot_id, vials_used__lte=F("vials_received") - vials, vials_used__gte=-vials)
    used = Case(
        *(When(pk=lot_id, then=F("vials_used") + vials) for lot_id, vials in moves.items()),
        default=F("vials_used"),
        output_field=PositiveIntegerField(),
    )
    return Lot.objects.filter(fits).update(vials_used=used) == len(moves)


@transaction.atomic
def receive(user: User, data: dict[str, Any]) -> Lot:
    lot = Lot.objects.create(received_by=user, changed_by=user, **data)
    record(user, Action.CREATE, lot, fields=sorted(data))
    return lot


@transaction.atomic
def mark_recalled(user: User, lot: Lot, reason: str) -> bool:
    """Recall once; a second recall of the same lot changes nothing (False)."""
    now = timezone.now()
    updated = Lot.objects.filter(pk=lot.pk, recalled_at__isnull=True).update(
        recalled_at=now,
        recalled_by=user,
        recall_reason=reason,
        changed_at=now,
        changed_by=user,
    )
    if updated:
        lot.refresh_from_db()
        keep_history(lot, user, now)
        record(user, Action.CHANGE, lot, fields=["recalled_at", "recall_reason"])
    return bool(updated)


def label(lots: LotsT) -> LotsT:
    """Attach the catalogue name of each lot's product."""
    products = rules.load_reference().products
    for lot in lots:
        lot.product_name = products[lot.product].name if lot.product in products else lot.product
    return lots


def recall_rows(lot_number: str) -> QuerySet[SessionArea]:
    """Every charted area that used a lot with this number, newest session first.

    Drafts still in progress count too: the vial was opened on that patient. Sessions
    are numbered as they are started, so the session id orders them by time and the
    (lot, organization, session) index serves both the filter and the order.
    """
    return (
        SessionArea.objects.filter(lot__lot_number=normalize_lot_number(lot_number))
        .select_related("lot", "lot__site", "session", "session__patient", "session__site")
        .defer("points")
        .order_by("-session_id", "-id")
    )


def recall_page(rows: QuerySet[SessionArea], number: int | str | None, per_page: int) -> Page:
    """One page of a recall: ids ordered and counted from the index alone, then only that
    page's rows read with their sessions and patients."""
    ids = rows.values_list("id", flat=True)
    # Page[Any]: its ids are swapped for the rows they name below.
    page: Page[Any] = Paginator(ids, per_page).get_page(number)
    found = {row.id: row for row in rows.filter(id__in=list(page.object_list))}
    page.object_list = [found[i] for i in page.object_list]
    return page


def recall_record(area: SessionArea) -> dict[str, Any]:
    """One row of a recall, as the page, the CSV and the command print it."""
    session, patient = area.session, area.session.patient
    return {
        "lot_number": area.lot.lot_number,
        "product": area.lot.product,
        "lot_site": area.lot.site.name,
        "patient_id": str(patient.public_id),
        "patient_name": patient.full_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "phone": patient.phone,
        "email": patient.email,
        "session_id": str(session.public_id),
        "session_date": timezone.localtime(session.started_at).date().isoformat(),
        "session_status": session.status,
        "site": session.site.name,
        "area": area.area,
        "side": area.side,
        "volume_ml": str(area.volume_ml),
        "injections": area.injections,
    }


RECALL_COLUMNS = [
    "lot_number",
    "product",
    "lot_site",
    "patient_id",
    "patient_name",
    "date_of_birth",
    "phone",
    "email",
    "session_id",
    "session_date",
    "session_status",
    "site",
    "area",
    "side",
    "volume_ml",
    "injections",
]
