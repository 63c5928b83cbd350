"""Standard views for clinical photographs: which views each treatment area is taken
in, which of them a course still lacks, and which protocols need them at baseline.

The views are reference data (``data/photography.toml``, a documentation convention
cited as ``photo-views``, never a clinical limit); this module is pure and typed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from .errors import RulesInputError
from .loader import DATA_DIR, load_reference
from .reference import Source
from .toml_tables import read_file

__all__ = [
    "Photography",
    "View",
    "baseline_required",
    "load_photography",
    "missing",
    "view",
    "views",
    "views_for",
]

REGIONS = ("face", "submental", "scalp", "body")


@dataclass(frozen=True)
class View:
    slug: str
    name: str
    order: int
    region: str


@dataclass(frozen=True)
class Photography:
    version: int
    source: Source
    views: Mapping[str, View]
    by_area: Mapping[str, tuple[str, ...]]
    baseline_required: frozenset[str]


def load_photography(data_dir: str | Path | None = None) -> Photography:
    """The validated views; loaded once per data directory."""
    return _load(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)


@cache
def _load(data_dir: Path) -> Photography:
    ref = load_reference(data_dir)
    file = read_file(data_dir, "photography")
    source = file.text("source")
    if source not in ref.sources:
        raise file.error("source", f"unknown source {source!r} (see sources.toml)")
    found = {
        slug: View(slug, t.text("name"), t.integer("order"), t.choice("region", REGIONS))
        for slug, t in file.entries("views")
    }
    areas = file.table("areas")
    by_area: dict[str, tuple[str, ...]] = {}
    for area in ref.areas:
        taken_in = areas.texts(area)
        if not taken_in:
            raise areas.error(area, "every area of areas.toml names the views it is taken in")
        for slug in taken_in:
            if slug not in found:
                raise areas.error(area, f"unknown view {slug!r}")
        by_area[area] = taken_in
    for area in areas.data:
        if area not in ref.areas:
            raise areas.error(area, "unknown area (see areas.toml)")
    required = file.table("baseline_required").texts("protocols")
    for slug in required:
        if slug not in ref.protocols:
            raise file.error("baseline_required.protocols", f"unknown protocol {slug!r}")
    return Photography(
        version=file.data["version"],
        source=ref.sources[source],
        views=MappingProxyType(found),
        by_area=MappingProxyType(by_area),
        baseline_required=frozenset(required),
    )


def views(*, photography: Photography | None = None) -> list[View]:
    """Every standard view, in page order."""
    return sorted((photography or load_photography()).views.values(), key=lambda v: v.order)


def view(slug: str, *, photography: Photography | None = None) -> View:
    known = (photography or load_photography()).views
    if slug not in known:
        raise RulesInputError("view", slug, "unknown photograph view")
    return known[slug]


def views_for(areas: Iterable[str], *, photography: Photography | None = None) -> list[View]:
    """The views a course on these areas is photographed in, each once, in page order."""
    known = photography or load_photography()
    wanted: set[str] = set()
    for area in areas:
        if area not in known.by_area:
            raise RulesInputError("area", area, "unknown treatment area")
        wanted.update(known.by_area[area])
    return sorted((known.views[s] for s in wanted), key=lambda v: v.order)


def missing(
    areas: Iterable[str], taken: Collection[str], *, photography: Photography | None = None
) -> list[View]:
    """The views of these areas with no photo among ``taken`` (view slugs)."""
    return [v for v in views_for(areas, photography=photography) if v.slug not in taken]


def baseline_required(protocol: str, *, photography: Photography | None = None) -> bool:
    """Whether a course of this protocol needs its baseline views before it starts."""
    return protocol in (photography or load_photography()).baseline_required
