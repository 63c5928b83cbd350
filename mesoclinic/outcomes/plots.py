"""Small plots of scores over a course, drawn by matplotlib as SVG images.

Each plot is a `data:` image (the page's content security policy allows no inline
style, and an image keeps its own), with a text alternative that says what it shows;
the figures are also in a table beside it.
"""

import base64
import io
from collections.abc import Sequence
from typing import Any

from mesoclinic.outcomes.models import Assessment
from mesoclinic.outcomes.timecourse import Band, Place
from mesoclinic.rules import outcomes


def _figure(width: float = 4.2, height: float = 2.2) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=96)
    figure.subplots_adjust(left=0.13, right=0.93, top=0.95, bottom=0.27)
    return figure


def _data_uri(figure: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue().encode()).decode()


def _axes(figure: Any, scale: outcomes.Instrument, used: Sequence[Place]) -> Any:
    axes = figure.add_subplot()
    axes.set_xticks(range(len(used)), [_tick(p) for p in used], fontsize=8)
    if any(0 < p.order < 1000 for p in used):
        axes.set_xlabel("sessions given", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    unit = f" ({scale.unit})" if scale.unit else ""
    axes.set_ylabel(f"{'lower' if scale.lower_is_better else 'higher'} is better{unit}", fontsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return axes


def _tick(at: Place) -> str:
    """Sessions given as a bare number on the axis (its title says what it counts)."""
    return str(at.order) if 0 < at.order < 1000 else at.label


def _draw_band(axes: Any, bands: Sequence[Band], at: dict[Place, int]) -> None:
    drawn = [b for b in bands if b.place in at]
    if not drawn:
        return
    xs = [at[b.place] for b in drawn]
    axes.fill_between(
        xs, [b.q1 for b in drawn], [b.q3 for b in drawn], color="#9bb7d4", alpha=0.45, linewidth=0
    )
    axes.plot(xs, [b.median for b in drawn], color="#4a6f96", linewidth=1.5, linestyle="--")


def trajectory(
    scale: outcomes.Instrument,
    rows: Sequence[Assessment],
    places: dict[int, Place],
    typical: Sequence[Band],
    *,
    small: bool = False,
) -> dict[str, str]:
    """The patient's scores on one scale against the protocol's typical course."""
    used = sorted({places[r.pk] for r in rows} | {b.place for b in typical})
    at = {p: n for n, p in enumerate(used)}
    figure = _figure(3.4, 1.8) if small else _figure()
    axes = _axes(figure, scale, used)
    _draw_band(axes, typical, at)
    xs = [at[places[r.pk]] for r in rows]
    axes.plot(xs, [float(r.total) for r in rows], color="#b5462f", marker="o", linewidth=2)
    described = "; ".join(f"{places[r.pk].described} {r.display}" for r in rows)
    typical_text = (
        "; the shaded band is the middle half of this clinic's patients on the protocol, "
        "the dashed line their median"
        if typical
        else ""
    )
    return {"src": _data_uri(figure), "alt": f"{scale.name}: {described}{typical_text}."}


def time_course(scale: outcomes.Instrument, bands: Sequence[Band]) -> dict[str, str] | None:
    """The protocol's scores over the course: median and interquartile range at the
    baseline, after each number of sessions, at the end and at follow-up."""
    if not bands:
        return None
    used = [b.place for b in bands]
    figure = _figure()
    axes = _axes(figure, scale, used)
    _draw_band(axes, bands, {p: n for n, p in enumerate(used)})
    described = "; ".join(
        f"{b.place.described}: median {b.median:g} (quartiles {b.q1:g}-{b.q3:g}, {b.n} scores)"
        for b in bands
    )
    return {"src": _data_uri(figure), "alt": f"{scale.name} over the course. {described}."}
