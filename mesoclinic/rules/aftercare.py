"""Aftercare lines for a plan: seed 000's base sheet plus lines for what is used."""

from __future__ import annotations

from collections.abc import Sequence

from .inputs import Resolved
from .reference import AftercareLine, Reference


def _applies(line: AftercareLine, r: Resolved) -> bool:
    if line.always:
        return True
    filters = (line.injection, line.techniques, line.ingredients, line.concerns, line.areas)
    if not any(filters):
        return False
    return (
        (not line.injection or r.technique.injection)
        and (not line.techniques or r.technique.slug in line.techniques)
        and (not line.ingredients or bool(set(line.ingredients) & set(r.formula)))
        and (not line.concerns or r.request.concern in line.concerns)
        and (not line.areas or r.area.slug in line.areas)
    )


def aftercare_lines(ref: Reference, resolved: Sequence[Resolved]) -> tuple[str, ...]:
    lines = [line.text for line in ref.aftercare if any(_applies(line, r) for r in resolved)]
    for r in resolved:
        proto = r.protocol
        if proto.follow_up_days is not None and r.technique.slug == proto.technique:
            lines.append(
                f"Follow-up check {proto.follow_up_days} days after each {r.area.name.lower()} "
                "session (practice default)."
            )
        if proto.maintenance_interval_days is not None:
            lines.append(
                f"Maintenance for {r.area.name.lower()}: repeat every "
                f"{proto.maintenance_interval_days} days ({proto.slug})."
            )
    return tuple(dict.fromkeys(lines))
