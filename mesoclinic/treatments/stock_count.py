"""Counting a site's stock by hand: what the records expect of each usable lot, what is
on the shelf, and why they differ, signed by whoever counted.

The count is kept as written (the database refuses UPDATE and DELETE). Each difference
moves the lot's stock through `inventory.move_vials`, the path sign-off takes, so the
lot then shows what was counted. A resubmitted form (the same submission key) finds the
count it made and changes nothing.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from mesoclinic.accounts import roles
from mesoclinic.accounts.models import Site, User
from mesoclinic.audit.log import Action, record
from mesoclinic.treatments import inventory
from mesoclinic.treatments.models import Lot, StockCount, StockCountLine


class CountRefused(ValueError):
    """The count cannot be saved as typed; the message says why."""


class StockChanged(CountRefused):
    """A lot's stock moved while the count was being typed (a session was signed)."""

    def __init__(self, lots: list[Lot]) -> None:
        names = ", ".join(lot.lot_number for lot in lots)
        super().__init__(
            f"The stock of {names} changed while you were counting: the expected vials are "
            "shown again. Check those lots and save again."
        )


@dataclass(frozen=True)
class Counted:
    lot_id: int
    expected: int  # as the page showed it
    counted: int
    reason: str


def lots_to_count(site: Site) -> list[Lot]:
    """The site's usable lots today, in shelf order, with their catalogue names."""
    return inventory.label(list(inventory.usable_lots(site, timezone.localdate())))


@transaction.atomic
def record_count(
    user: User, site: Site, counted: list[Counted], submission_key: uuid.UUID
) -> tuple[StockCount, bool]:
    """Sign the count and move each difference; (the count, whether it was made now)."""
    roles.check(user, roles.SIGN_CLINICAL, "Only an owner or a practitioner counts stock.")
    if not counted:
        raise CountRefused("There is no usable lot at this site to count.")
    # Locked first: a sign-off taking vials from these lots waits, and so does a
    # resubmission of this very form, which then finds the count below.
    ids = [c.lot_id for c in counted]
    lots = {lot.pk: lot for lot in Lot.objects.select_for_update().filter(site=site, pk__in=ids)}
    if done := StockCount.objects.filter(submission_key=submission_key).first():
        return done, False
    if len(lots) != len(ids):
        raise CountRefused("A lot on this count is not held at this site.")
    if moved := [lots[c.lot_id] for c in counted if lots[c.lot_id].vials_left != c.expected]:
        raise StockChanged(moved)
    for c in counted:
        if c.counted != c.expected and not c.reason.strip():
            raise CountRefused(f"Say why lot {lots[c.lot_id].lot_number} differs.")
        if c.counted > lots[c.lot_id].vials_received:
            raise CountRefused(f"Lot {lots[c.lot_id].lot_number} never had that many vials.")
    differences = sum(c.counted != c.expected for c in counted)
    try:
        with transaction.atomic():
            count = StockCount.objects.create(
                site=site,
                counted_by=user,
                signed_at=timezone.now(),
                lots_counted=len(counted),
                differences=differences,
                submission_key=submission_key,
            )
    except IntegrityError:  # the same form, saved at the same moment elsewhere
        return StockCount.objects.get(submission_key=submission_key), False
    StockCountLine.objects.bulk_create(
        StockCountLine(
            organization_id=count.organization_id,
            count=count,
            lot_id=c.lot_id,
            expected=c.expected,
            counted=c.counted,
            reason=c.reason.strip() if c.counted != c.expected else "",
        )
        for c in counted
    )
    if not inventory.move_vials({c.lot_id: c.expected - c.counted for c in counted}):
        raise CountRefused("A lot's stock could not be set to the count; count it again.")
    record(
        user,
        Action.CREATE,
        count,
        fields=["lines"],
        detail=f"{len(counted)} lots counted, {differences} differing",
    )
    return count, True


def last_counts() -> list[StockCount]:
    """Each site's latest count, by site name: two queries."""
    latest = StockCount.objects.values("site_id").annotate(last=Max("pk")).values("last")
    rows = StockCount.objects.filter(pk__in=latest).select_related("site", "counted_by")
    return sorted(rows, key=lambda c: c.site.name)


def lines(count: StockCount) -> list[StockCountLine]:
    rows = list(count.lines.select_related("lot").order_by("lot__product", "lot__lot_number"))
    inventory.label([row.lot for row in rows])
    return rows
