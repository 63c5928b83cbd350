"""The standard photographic views, in the order a series is taken (issue 15).

A photo names one of these views, so that photos of the same view can be compared over
a course. Slugs are stored; labels are what every page shows. The list lives here until
the reference data (`rules/data/areas.toml`) says which views each area needs.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class View:
    slug: str
    label: str
    region: str


VIEWS = (
    View("face-front", "Face, front", "Face"),
    View("face-45-left", "Face, 45° left", "Face"),
    View("face-45-right", "Face, 45° right", "Face"),
    View("face-90-left", "Face, 90° left (profile)", "Face"),
    View("face-90-right", "Face, 90° right (profile)", "Face"),
    View("submental-front", "Submental, front, chin raised", "Submental"),
    View("submental-profile", "Submental, profile", "Submental"),
    View("scalp-vertex", "Scalp, vertex", "Scalp"),
    View("scalp-frontal-hairline", "Frontal hairline", "Scalp"),
    View("scalp-hair-count", "Hair-count target area", "Scalp"),
    View("body-front", "Body, front", "Body"),
    View("body-back", "Body, back", "Body"),
    View("body-left", "Body, left side", "Body"),
    View("body-right", "Body, right side", "Body"),
)
BY_SLUG = {view.slug: view for view in VIEWS}
SLUGS = tuple(BY_SLUG)


def label(slug: str) -> str:
    view = BY_SLUG.get(slug)
    return view.label if view else slug


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """For a select: the views grouped by region, in the catalogue's order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for view in VIEWS:
        groups.setdefault(view.region, []).append((view.slug, view.label))
    return list(groups.items())
