"""Changes to a draft plan's inputs: areas, their settings, points, start date, overrides.

Each use case takes the acting user, decides what the new inputs are and saves them
through `services.save_inputs` (one audit event, refused if someone saved meanwhile).
The editor's views only parse the form and render.
"""

import copy
import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from mesoclinic import rules
from mesoclinic.accounts.models import User
from mesoclinic.accounts.roles import Role
from mesoclinic.plans import services
from mesoclinic.plans.models import Plan

# A change to any of these re-lays the grid, so points edited by hand are dropped.
LAYOUT_FIELDS = ("technique", "spacing_mm", "side", "protocol")


class NotEditable(PermissionDenied):
    """Only a draft or proposed plan is edited; an approved one is reopened first."""


class NoSuchItem(LookupError):
    """The item or point named is not in the plan (any more)."""


class EditRefused(Exception):
    """The change cannot be made; ``message`` says why and ``field`` where (or None)."""

    def __init__(self, message: str | None, field: str | None = None):
        super().__init__(message or "")
        self.message, self.field = message, field


def check_editable(plan: Plan) -> None:
    if not plan.is_editable:
        raise NotEditable


def item_index(plan: Plan, index: int) -> int:
    if not 0 <= index < len(plan.inputs.get("items", [])):
        raise NoSuchItem
    return index


def _edited(plan: Plan) -> dict:
    check_editable(plan)
    return copy.deepcopy(plan.inputs)


def add_area(
    user: User, plan: Plan, lock_version: int, *, concern: str, area: str, side: str = ""
) -> Plan:
    inputs = _edited(plan)
    item = {"concern": concern, "area": area}
    if side:
        item["side"] = side
    inputs.setdefault("items", []).append(item)
    return services.save_inputs(user, plan, inputs, lock_version, ["items"])


def update_item(
    user: User,
    plan: Plan,
    index: int,
    values: dict[str, Any],
    lock_version: int,
    fields: Iterable[str] = ("items",),
) -> Plan:
    """The item's settings as given (blank ones dropped); hand-edited points are kept
    unless the grid changes."""
    inputs = _edited(plan)
    index = item_index(plan, index)
    item = plan.inputs["items"][index]
    new_item = {
        "area": item["area"],
        **{k: v for k, v in values.items() if v not in (None, "", [])},
    }
    layout_changed = any(new_item.get(k) != item.get(k) for k in LAYOUT_FIELDS)
    if item.get("points") and not layout_changed:
        new_item["points"] = item["points"]
    inputs["items"][index] = new_item
    return services.save_inputs(user, plan, inputs, lock_version, fields)


def remove_item(user: User, plan: Plan, index: int, lock_version: int) -> Plan:
    inputs = _edited(plan)
    del inputs["items"][item_index(plan, index)]
    return services.save_inputs(user, plan, inputs, lock_version, ["items"])


def edit_point(
    user: User,
    plan: Plan,
    index: int,
    lock_version: int,
    *,
    side: str = "",
    remove: int | None = None,
    at: tuple[float, float] | None = None,
) -> Plan:
    """Remove the side's `remove`-th planned point, or add one `at` (x, y), rounded to
    0.1 mm; the item's points become the engine's layout with that change."""
    inputs = _edited(plan)
    index = item_index(plan, index)
    evaluation = services.evaluate(plan.patient, plan.inputs, plan=plan)
    if evaluation.result is None:
        raise EditRefused(None)
    areas = [a for a in evaluation.result["areas"] if a.get("item") == index]
    current = [tuple(p) for a in areas for p in a["points"]]
    if remove is not None:
        side_points = [
            tuple(p) for a in areas if (a.get("side") or "") == (side or "") for p in a["points"]
        ]
        if remove >= len(side_points):
            raise NoSuchItem
        points = [p for p in current if p != side_points[remove]]
    else:
        assert at is not None  # the form gives a position when it removes none
        x, y = at
        points = [*current, (round(x, 1), round(y, 1))]
    inputs["items"][index]["points"] = [list(p) for p in points]
    return services.save_inputs(user, plan, inputs, lock_version, ["points"])


def set_start(user: User, plan: Plan, start: dt.date, lock_version: int) -> Plan:
    inputs = _edited(plan)
    inputs["start"] = start.isoformat()
    return services.save_inputs(user, plan, inputs, lock_version, ["start"])


def other_practitioners(user: User) -> list[User]:
    """The clinic's other active practitioners: who may confirm a second-opinion override."""
    return list(User.in_org.filter(role=Role.PRACTITIONER, is_active=True).exclude(pk=user.pk))


def add_override(
    user: User,
    plan: Plan,
    lock_version: int,
    *,
    code: str,
    reason: str,
    area: str = "",
    confirmed_by: uuid.UUID | None = None,
    patient_acknowledged: bool = False,
) -> Plan:
    """Pass a grade-B/C finding the engine reports for this plan, with the user's reason."""
    inputs = _edited(plan)
    evaluation = services.evaluate(plan.patient, plan.inputs, plan=plan)
    result = evaluation.result or {}
    findings = result.get("hard_stops", []) + result.get("warnings", [])
    match = next((f for f in findings if f["code"] == code), None)
    if match is None or not match.get("overridable"):
        raise EditRefused(
            f"{code} cannot be overridden: grade-A limits and unknown codes are final.",
            "override",
        )
    entry = {
        "code": code,
        "area": area or None,
        "reason": reason,
        "by": user.full_name,
        "by_id": str(user.public_id),
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    if code in rules.findings.SECOND_CONFIRMATION:
        entry.update(_second_confirmation(user, confirmed_by, patient_acknowledged))
    inputs.setdefault("overrides", []).append(entry)
    return services.save_inputs(user, plan, inputs, lock_version, ["overrides"])


def _second_confirmation(
    user: User, confirmed_by: uuid.UUID | None, patient_acknowledged: bool
) -> dict[str, Any]:
    """A pregnancy or breastfeeding override: another practitioner of the clinic confirms,
    or, where the clinic has only one, the patient has signed an acknowledgement."""
    others = other_practitioners(user)
    if confirmed_by:
        confirming = next((u for u in others if u.public_id == confirmed_by), None)
        if confirming is None:
            raise EditRefused("Choose another practitioner of this clinic to confirm.", "override")
        return {"confirmed_by": confirming.full_name, "confirmed_by_id": str(confirming.public_id)}
    if not others and patient_acknowledged:
        return {"patient_acknowledged": True}
    if others:
        raise EditRefused(
            "Overriding a pregnancy or breastfeeding stop needs a second practitioner's "
            "confirmation: choose who confirmed it.",
            "override",
        )
    raise EditRefused(
        "You are the clinic's only practitioner: the patient must sign an acknowledgement "
        "of this risk; tick the box once they have.",
        "override",
    )
