"""The standard photographic views, in the order a series is taken (issue 15).

A photo names one of these views, so that photos of the same view can be compared over
a course. Slugs are stored; labels are what every page shows. The views, and which of
them each area is taken in, are reference data (`rules/data/photography.toml`).
"""

from dataclasses import dataclass

from mesoclinic.rules import photography

REGIONS = {"face": "Face", "submental": "Submental", "scalp": "Scalp", "body": "Body"}


@dataclass(frozen=True)
class View:
    slug: str
    label: str
    region: str


VIEWS = tuple(View(v.slug, v.name, REGIONS[v.region]) for v in photography.views())
BY_SLUG = {view.slug: view for view in VIEWS}
SLUGS = tuple(BY_SLUG)


def label(slug: str) -> str:
    view = BY_SLUG.get(slug)
    return view.label if view else "Unknown view"


def for_areas(areas: list[str]) -> list[View]:
    """The views a course on these areas is photographed in, in the catalogue's order."""
    return [BY_SLUG[v.slug] for v in photography.views_for(areas)]


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """For a select: the views grouped by region, in the catalogue's order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for view in VIEWS:
        groups.setdefault(view.region, []).append((view.slug, view.label))
    return list(groups.items())
