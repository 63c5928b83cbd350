"""Load and validate the TOML reference data once per data directory.

A malformed file fails at start-up with the file and field named
(:class:`ReferenceDataError`), not later in the middle of a plan. Each part of the
data is built by its own module: :mod:`.catalogue` (ingredients, limits, products,
techniques), :mod:`.anatomy` (views, areas), :mod:`.protocols`, :mod:`.patients`
(conditions, medications, allergens, aftercare, pricing).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from ..reference import Reference
from .anatomy import AnatomyBuilder
from .base import FILES
from .catalogue import CatalogueBuilder
from .patients import ANAPHYLAXIS_HISTORY, PatientBuilder
from .protocols import ProtocolBuilder

__all__ = ["ANAPHYLAXIS_HISTORY", "DATA_DIR", "FILES", "load_reference"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
T = TypeVar("T")


class _Builder(CatalogueBuilder, AnatomyBuilder, ProtocolBuilder, PatientBuilder):
    def build(self) -> Reference:
        self.build_sources()
        ingredients = self.build_ingredients()
        techniques, depth_bounds, depth_source = self.build_techniques()
        views = self.build_views()
        areas = self.build_areas(views)
        ref: dict[str, Any] = {
            "ingredients": ingredients,
            "products": self.build_products(ingredients),
            "techniques": techniques,
            "areas": areas,
            "concerns": self.build_concerns(),
            "depth": depth_bounds,
        }
        self.check_limit_areas(ingredients, areas)
        classes, drugs = self.build_medications()
        conditions = self.build_conditions(areas)
        ref["views"] = views
        return Reference(
            versions=MappingProxyType({n: f.data["version"] for n, f in self.files.items()}),
            depth_bounds_mm=depth_bounds,
            depth_source=depth_source,
            sources=_frozen(self.sources),
            ingredients=_frozen(ingredients),
            products=_frozen(ref["products"]),
            techniques=_frozen(techniques),
            views=_frozen(views),
            areas=_frozen(areas),
            concerns=_frozen(ref["concerns"]),
            protocols=_frozen(self.build_protocols(ref)),
            conditions=_frozen(conditions),
            lifestyle_factors=_frozen(self.build_lifestyle()),
            medication_classes=_frozen(classes),
            drugs=drugs,
            allergens=_frozen(self.build_allergens(ingredients)),
            aftercare=self.build_aftercare(ref, conditions),
            pricing=self.build_pricing(),
        )


def _frozen(mapping: dict[str, T]) -> Mapping[str, T]:
    return MappingProxyType(mapping)


@cache
def _load(data_dir: Path) -> Reference:
    return _Builder(data_dir).build()


def load_reference(data_dir: str | Path | None = None) -> Reference:
    """The validated reference data; loaded once per directory and cached."""
    return _load(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)
