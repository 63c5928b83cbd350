"""Small plots of scores over a course, drawn by matplotlib as SVG images.

Each plot is a `data:` image (the page's content security policy allows no inline
style, and an image keeps its own), with a text alternative that says what it shows;
the figures are also in a table beside it.
"""

import base64
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from mesoclinic.outcomes.models import Assessment, Timepoint
from mesoclinic.rules import outcomes

# The course in order: what the x axis reads.
ORDER = [t.value for t in Timepoint]
SHORT = {
    "baseline": "Baseline",
    "each-session": "Sessions",
    "end": "End",
    "3-months": "3 months",
    "6-months": "6 months",
}
TYPICAL_SECONDS = 3600
TYPICAL_SAMPLE = 2000


@dataclass(frozen=True)
class Band:
    """The protocol's typical score at one point of the course: median and quartiles."""

    timepoint: str
    n: int
    median: float
    q1: float
    q3: float


def typical_course(protocol: str, instrument: str) -> list[Band]:
    """Median and interquartile range of this clinic's newest scores (up to 2,000) of
    this protocol on this scale, by point of the course (kept an hour: it moves slowly)."""
    from mesoclinic.rules import statistics
    from mesoclinic.tenancy import current_org_id

    key = f"typical:{current_org_id()}:{protocol}:{instrument}"
    found = cache.get(key)
    if found is not None:
        return list(found)
    values: dict[str, list[float]] = defaultdict(list)
    # The newest scores at each point of the course, at most TYPICAL_SAMPLE of them.
    newest = Window(RowNumber(), partition_by=F("timepoint"), order_by=F("taken_at").desc())
    rows = (
        Assessment.objects.filter(protocol=protocol, instrument=instrument, voided_at__isnull=True)
        .annotate(newest=newest)
        .filter(newest__lte=TYPICAL_SAMPLE)
        .values_list("timepoint", "total")
    )
    for timepoint, total in rows.iterator():
        values[timepoint].append(float(total))
    bands = []
    for timepoint in ORDER:
        if len(values[timepoint]) >= statistics.MINIMUM_CELL:
            q = statistics.quartiles(values[timepoint])
            assert q.median is not None and q.q1 is not None and q.q3 is not None
            bands.append(Band(timepoint, q.n, q.median, q.q1, q.q3))
    cache.set(key, bands, TYPICAL_SECONDS)
    return bands


def _figure(width: float = 4.2, height: float = 2.2) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=96)
    figure.subplots_adjust(left=0.12, right=0.98, top=0.95, bottom=0.18)
    return figure


def _data_uri(figure: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue().encode()).decode()


def _axes(figure: Any, scale: outcomes.Instrument, used: Sequence[str]) -> Any:
    axes = figure.add_subplot()
    axes.set_xticks(range(len(used)), [SHORT[t] for t in used], fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    unit = f" ({scale.unit})" if scale.unit else ""
    axes.set_ylabel(f"{'lower' if scale.lower_is_better else 'higher'} is better{unit}", fontsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return axes


def _draw_band(axes: Any, bands: Iterable[Band], at: dict[str, int]) -> None:
    drawn = [b for b in bands if b.timepoint in at]
    if not drawn:
        return
    xs = [at[b.timepoint] for b in drawn]
    axes.fill_between(
        xs, [b.q1 for b in drawn], [b.q3 for b in drawn], color="#9bb7d4", alpha=0.45, linewidth=0
    )
    axes.plot(xs, [b.median for b in drawn], color="#4a6f96", linewidth=1.5, linestyle="--")


def trajectory(
    scale: outcomes.Instrument, rows: Sequence[Assessment], typical: Sequence[Band]
) -> dict[str, str]:
    """The patient's scores on one scale against the protocol's typical course."""
    used = [
        t
        for t in ORDER
        if any(r.timepoint == t for r in rows) or any(b.timepoint == t for b in typical)
    ]
    at = {t: n for n, t in enumerate(used)}
    figure = _figure()
    axes = _axes(figure, scale, used)
    _draw_band(axes, typical, at)
    xs = [at[r.timepoint] for r in rows]
    axes.plot(xs, [float(r.total) for r in rows], color="#b5462f", marker="o", linewidth=2)
    described = "; ".join(f"{SHORT[r.timepoint]} {r.display}" for r in rows)
    typical_text = (
        "; the shaded band is the middle half of this clinic's patients on the protocol, "
        "the dashed line their median"
        if typical
        else ""
    )
    return {"src": _data_uri(figure), "alt": f"{scale.name}: {described}{typical_text}."}


def time_course(scale: outcomes.Instrument, bands: Sequence[Band]) -> dict[str, str] | None:
    """The protocol's scores by point of the course: median and interquartile range."""
    if not bands:
        return None
    used = [b.timepoint for b in bands]
    figure = _figure()
    axes = _axes(figure, scale, used)
    _draw_band(axes, bands, {t: n for n, t in enumerate(used)})
    described = "; ".join(
        f"{SHORT[b.timepoint]}: median {b.median:g} (quartiles {b.q1:g}-{b.q3:g}, {b.n} scores)"
        for b in bands
    )
    return {"src": _data_uri(figure), "alt": f"{scale.name} over the course. {described}."}
