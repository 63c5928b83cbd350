"""Load and validate instruments.toml against sources.toml and protocols.toml.

Kept apart from :func:`load_reference` so a bad scale cannot stop planning; it is
still checked in full at load, with the file and key named in every error.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ..instruments import (
    DIRECTIONS,
    KINDS,
    RATERS,
    REQUIRED_TIMEPOINTS,
    RESPONDER_RULES,
    TIMEPOINTS,
    Band,
    Instrument,
    Instruments,
    Item,
    Option,
    ProtocolOutcomes,
)
from ..reference import GRADES, Reference, Source
from ..toml_tables import Table, read_file
from . import DATA_DIR, load_reference

_DISPLAY_FIELDS = {"value", "unit"}


def load_instruments(data_dir: str | Path | None = None) -> Instruments:
    """The validated instruments and protocol outcomes; loaded once per directory."""
    return _load(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)


@cache
def _load(data_dir: Path) -> Instruments:
    ref = load_reference(data_dir)
    file = read_file(data_dir, "instruments")
    instruments = {slug: _instrument(slug, t, ref) for slug, t in file.entries("instruments")}
    outcomes = {
        slug: _protocol_outcomes(slug, t, ref, instruments)
        for slug, t in file.entries("protocol_outcomes")
    }
    for slug in ref.protocols:
        if slug not in outcomes:
            raise file.error("protocol_outcomes", f"no entry for protocol {slug!r}")
    return Instruments(
        version=file.data["version"],
        instruments=MappingProxyType(instruments),
        protocol_outcomes=MappingProxyType(outcomes),
    )


def _source(t: Table, ref: Reference, key: str = "source") -> Source:
    slug = t.text(key)
    if slug not in ref.sources:
        raise t.error(key, f"unknown source {slug!r} (see sources.toml)")
    return ref.sources[slug]


def _instrument(slug: str, t: Table, ref: Reference) -> Instrument:
    kind = t.choice("kind", KINDS)
    for concern in t.texts("for_concerns"):
        if concern not in ref.concerns:
            raise t.error("for_concerns", f"unknown concern {concern!r}")
    common: dict[str, Any] = {
        "slug": slug,
        "name": t.text("name"),
        "version": t.integer("version"),
        "rater": t.choice("rater", RATERS),
        "kind": kind,
        "better": t.choice("better", DIRECTIONS),
        "sided": t.flag("sided"),
        "responder": t.choice("responder", RESPONDER_RULES),
        "grade": t.choice("grade", GRADES),
        "source": _source(t, ref),
        "for_concerns": t.texts("for_concerns"),
    }
    _check_responder(t, kind, common["responder"])
    if kind == "grade":
        return Instrument(**common, **_grade_fields(t))
    if kind == "items":
        return Instrument(**common, **_items_fields(t))
    return Instrument(**common, **_numeric_fields(t, ref))


def _check_responder(t: Table, kind: str, rule: str) -> None:
    allowed = {"grade": ("grades", "none"), "items": ("points", "none"), "numeric": ("none",)}
    if rule not in allowed[kind]:
        raise t.error("responder", f"a {kind} instrument counts responders by {allowed[kind]}")


def _value(t: Table, key: str) -> int:
    value = t.data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise t.error(key, f"expected a whole number >= 0, got {value!r}")
    return value


def _options(t: Table, *, coded: bool) -> tuple[Option, ...]:
    options = []
    for o in t.tables("options"):
        value = _value(o, "value")
        code = o.text("code") if coded else str(value)
        options.append(Option(value, code, o.text("label"), o.text("description", "")))
    values = [o.value for o in options]
    if len(values) < 2 or values != list(range(values[0], values[0] + len(values))):
        raise t.error("options", f"expected at least two consecutive ascending values, {values}")
    codes = [o.code for o in options]
    if len(set(codes)) != len(codes):
        raise t.error("options", "codes must be unique")
    return tuple(options)


def _grade_fields(t: Table) -> dict[str, Any]:
    options = _options(t, coded=True)
    relative_to = t.text("relative_to", None)
    if relative_to is not None and relative_to not in {o.code for o in options}:
        raise t.error("relative_to", f"{relative_to!r} is not one of the option codes")
    return {"options": options, "relative_to": relative_to}


def _items_fields(t: Table) -> dict[str, Any]:
    items = tuple(
        Item(i.text("key"), i.text("label"), _options(i, coded=False)) for i in t.tables("items")
    )
    keys = [i.key for i in items]
    if not items or len(set(keys)) != len(keys):
        raise t.error("items", "expected items with unique keys")
    max_total = sum(i.options[-1].value for i in items)
    bands = tuple(
        Band(b.text("label"), _value(b, "low"), _value(b, "high")) for b in t.tables("bands")
    )
    previous = -1
    for band in bands:
        if not previous < band.low <= band.high <= max_total:
            raise t.error(
                "bands", f"{band.label}: bands must ascend without overlap within 0-{max_total}"
            )
        previous = band.high
    return {"items": items, "bands": bands}


def _numeric_fields(t: Table, ref: Reference) -> dict[str, Any]:
    minimum = t.number("minimum", positive=False)
    maximum = t.number("maximum")
    if not minimum < maximum:
        raise t.error("maximum", "must be above minimum")
    display = t.text("display")
    names = {field for _, field, _, _ in string.Formatter().parse(display) if field is not None}
    if "value" not in names or not names <= _DISPLAY_FIELDS:
        raise t.error("display", "may name only {value} and {unit}, and must name {value}")
    return {
        "unit": t.text("unit"),
        "integer": t.flag("integer"),
        "minimum": minimum,
        "maximum": maximum,
        "maximum_reason": t.text("maximum_reason", ""),
        "range_source": _source(t, ref, "range_source") if "range_source" in t.data else None,
        "display": display,
    }


def _protocol_outcomes(
    slug: str, t: Table, ref: Reference, instruments: Mapping[str, Instrument]
) -> ProtocolOutcomes:
    protocol = ref.protocols.get(slug)
    if protocol is None:
        raise t.error("primary", f"unknown protocol {slug!r} (see protocols.toml)")
    primary, secondary = cast(str, t.text("primary")), t.texts("secondary")
    used = (primary, *secondary)
    if len(set(used)) != len(used):
        raise t.error("secondary", "an instrument is listed twice")
    for key, inst_slug in [("primary", primary)] + [("secondary", s) for s in secondary]:
        inst = instruments.get(inst_slug)
        if inst is None:
            raise t.error(key, f"unknown instrument {inst_slug!r}")
        if inst.for_concerns and not set(inst.for_concerns) & set(protocol.concerns):
            raise t.error(key, f"{inst_slug} is only for {', '.join(inst.for_concerns)}")
    return ProtocolOutcomes(slug, primary, secondary, _timepoints(t), _source(t, ref))


def _timepoints(t: Table) -> tuple[str, ...]:
    given = t.texts("timepoints")
    unknown = set(given) - set(TIMEPOINTS)
    if unknown or len(set(given)) != len(given):
        raise t.error("timepoints", f"expected distinct values from {', '.join(TIMEPOINTS)}")
    missing = [tp for tp in REQUIRED_TIMEPOINTS if tp not in given]
    if missing:
        raise t.error("timepoints", f"must include {', '.join(missing)}")
    return tuple(tp for tp in TIMEPOINTS if tp in given)
