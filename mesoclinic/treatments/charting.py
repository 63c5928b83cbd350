"""Charting a session in progress: areas with their lots, points tapped on the diagram,
each act re-checked against the patient's whole record under the session's row lock."""

import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts import roles
from mesoclinic.accounts.models import User
from mesoclinic.audit.log import Action, record
from mesoclinic.treatments import scope, session_diagram
from mesoclinic.treatments.models import (
    Lot,
    SessionArea,
    TreatmentSession,
)
from mesoclinic.treatments.session_checks import (
    SessionRefused,
    check_and_record,
    exposure_findings,
    in_scope,
    ingredients,
    lock_open,
)


def charted_rows(session: TreatmentSession) -> list[SessionArea]:
    return list(SessionArea.objects.filter(session=session).select_related("lot").order_by("id"))


def dose_findings(session: TreatmentSession, rows: Sequence[SessionArea]) -> list[dict[str, Any]]:
    """What the engine says of this session so far, over the patient's whole record."""
    if not rows and not (session.precheck.get("numbing") or {}).get("product"):
        return []
    return exposure_findings(session, rows)


def _open_vial(lot: Lot) -> None:
    """A multi-dose vial is dated at first use and refused past its in-use period (§7)."""
    product = rules.load_reference().products[lot.product]
    if not product.multi_dose or product.in_use_days is None:
        return
    now = timezone.now()
    if lot.opened_at is None:
        Lot.objects.filter(pk=lot.pk, opened_at__isnull=True).update(opened_at=now)
        lot.opened_at = now
        return
    until = lot.opened_at + timedelta(days=product.in_use_days)
    if now > until:
        raise SessionRefused(
            f"The open vial of lot {lot.lot_number} was opened on "
            f"{timezone.localtime(lot.opened_at):%d %b %Y}; its {product.in_use_days}-day "
            f"in-use period ended on {timezone.localtime(until):%d %b %Y}. Discard it and "
            "open a new vial.",
            field="lot",
        )


def _injection_count(data: dict[str, Any]) -> None:
    ref = rules.load_reference()
    if ref.techniques[data["technique"]].injection and data.get("injections") == 0:
        raise SessionRefused(
            "A volume was charted with 0 injections: give the number of points injected.",
            field="injections",
        )


@transaction.atomic
def chart_area(
    user: User,
    session: TreatmentSession,
    data: dict[str, Any],
    lot: Lot,
    lock_version: int,
    override_reason: str = "",
) -> SessionArea:
    locked = lock_open(session)
    if locked.lock_version != lock_version:
        raise SessionRefused(
            "Someone else charted in this session meanwhile; their entry is shown."
        )
    data = dict(data)
    planned_points = session_diagram.plan_points(locked, data["area"], data.get("side") or "")
    if data.get("injections") is None:
        # Blank count: the plan's points for this area, marked done; taps adjust them.
        data["points"], data["injections"] = planned_points, len(planned_points)
    elif data["injections"] == len(planned_points):
        data["points"] = planned_points
    _injection_count(data)
    in_scope(scope.check_can_chart, user, locked, scope.ingredients_of([lot.product]))
    _open_vial(lot)
    row = SessionArea(session=locked, lot=lot, changed_by=user, **data)
    rows = charted_rows(locked) + [row]
    check_and_record(locked, rows, user, override_reason)
    row.save()
    locked.lock_version += 1
    locked.changed_by = user
    locked.save(update_fields=["lock_version"])
    session.lock_version = locked.lock_version
    session.overrides = locked.overrides
    record(user, Action.CHANGE, locked, fields=sorted(data) + ["lot"])
    return row


def _keep_clear(session: TreatmentSession, row: SessionArea, point: tuple[float, float]) -> None:
    """A point added by hand must stay clear of labelled structures (Kybella: 1-1.5 cm)."""
    planned = session_diagram.planned_area(session, row.area, row.side)
    rules_by_structure = {k.structure: k for k in rules.load_reference().areas[row.area].keep_clear}
    for zone in (planned or {}).get("keep_clear", []):
        path = [tuple(p) for p in zone["path"]]
        if rules.layout.distance_to_path(point, path) < zone["margin_mm"]:
            rule = rules_by_structure.get(zone["structure"])
            if rule is not None and rule.grade in ("A", "B"):
                raise SessionRefused(
                    f"That point lies within {zone['margin_mm']:g} mm of the "
                    f"{zone['structure']}: inject further away (labelled keep-clear zone)."
                )


@transaction.atomic
def toggle_point(
    user: User,
    session: TreatmentSession,
    row_id: uuid.UUID,
    x: float,
    y: float,
    override_reason: str = "",
) -> SessionArea:
    """Mark a point done or not done, or add one where the needle went.

    Point marks from two staff are merged under the session's row lock, so neither
    loses the other's taps; the volume follows the points at the plan's volume per
    point, and every limit is checked on the new totals.
    """
    locked = lock_open(session)
    row = SessionArea.objects.select_related("lot").filter(session=locked, public_id=row_id).first()
    if row is None:
        raise SessionRefused("That charted area was removed meanwhile; the chart is shown again.")
    in_scope(scope.check_can_chart, user, locked, ingredients([row]))
    point = (round(x, 1), round(y, 1))
    done = [list(p) for p in row.points]
    kept = [p for p in done if not session_diagram.same_point(p, point)]
    if len(kept) == len(done):
        if not session_diagram.inside(locked, row.area, row.side, point):
            raise SessionRefused("That point is outside the area: tap inside its outline.")
        _keep_clear(locked, row, point)
        kept.append(list(point))
    if not kept:
        raise SessionRefused(
            "That is the last point of this area: remove the charted area instead."
        )
    planned = session_diagram.planned_area(locked, row.area, row.side)
    per_point = (planned or {}).get("volume_per_point_ml") or (
        float(row.volume_ml) / row.injections if row.injections else None
    )
    row.points, row.injections = kept, len(kept)
    if per_point:
        row.volume_ml = Decimal(str(round(per_point * len(kept), 2)))
    rows = [row if r.pk == row.pk else r for r in charted_rows(locked)]
    check_and_record(locked, rows, user, override_reason)
    row.changed_by = user
    row.save(update_fields=["points", "injections", "volume_ml"])
    record(user, Action.CHANGE, locked, fields=["points"], detail=f"{row.area} points")
    return row


@transaction.atomic
def remove_area(user: User, session: TreatmentSession, row: SessionArea) -> None:
    roles.check(user, roles.EDIT_CLINICAL, "Only clinical staff chart a session.")
    if session.is_signed:
        raise SessionRefused("This session is signed: record an amendment instead.")
    # An unsigned row is a draft, never seen by a recall; removing a wrong draft entry is
    # allowed and audited (signed rows are protected by database triggers).
    row.delete()
    TreatmentSession.objects.filter(pk=session.pk).update(lock_version=F("lock_version") + 1)
    record(user, Action.CHANGE, session, fields=["areas"], detail="charted area removed")


def vials_opened(rows: Iterable[SessionArea]) -> dict[int, int]:
    """Vials opened per lot: an opened vial is never carried to another session."""
    volume: dict[int, Decimal] = {}
    lots: dict[int, Lot] = {}
    for row in rows:
        volume[row.lot_id] = volume.get(row.lot_id, Decimal(0)) + row.volume_ml
        lots[row.lot_id] = row.lot
    ref = rules.load_reference()
    return {
        lot_id: math.ceil(float(ml) / ref.products[lots[lot_id].product].vial_ml - 1e-9)
        for lot_id, ml in volume.items()
    }
