"""The /stats chart as a PNG: articles per topic per publication day, and subscribers over time.

Every word on it comes from the caller (`ChartLabels`), so the bot draws it in the admin's
language without this package knowing about Telegram or its texts. It is drawn with
matplotlib's object API (`Figure` and the Agg canvas), never `pyplot`: pyplot keeps global
state that is not thread-safe, and the bot draws in a worker thread.

It is laid out for a phone: Telegram shows a photo about 400 px wide, so the figure is narrow
(about 90 px an inch there) and its type large enough to read at that size.

matplotlib is an optional extra (`pip install -e ".[charts]"`); without it there is no chart
and `ChartsUnavailable` says how to get one.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digests.errors import MohbotError
from digests.stats import ChartSeries

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# One colour per topic of the catalog, in its order: matplotlib's tab20 without the light
# blue, purple, brown, grey and cyan, which are hard to tell from their neighbours (light
# blue from light purple, light brown from grey …). The ten tab10 colours come first, then
# the light ones in an order that keeps neighbours far apart.
PALETTE: tuple[str, ...] = (
    "#1f77b4",  # blue
    "#ff7f0e",  # orange
    "#2ca02c",  # green
    "#d62728",  # red
    "#9467bd",  # purple
    "#8c564b",  # brown
    "#e377c2",  # pink
    "#7f7f7f",  # grey
    "#bcbd22",  # olive
    "#17becf",  # cyan
    "#ffbb78",  # light orange
    "#98df8a",  # light green
    "#ff9896",  # light red
    "#dbdb8d",  # light olive
    "#f7b6d2",  # light pink
)
# A topic no longer in the catalog (articles labelled before an edit of it).
UNKNOWN_COLOUR = "#262626"

WIDTH = 4.4  # inches: about 90 px an inch once Telegram shows it 400 px wide
DPI = 220  # about 970 px wide: sharp on a phone's dense screen, well under Telegram's 1280
FONT = 9.5  # points; about 12 px at 400 px wide
SMALL = 8.5
LEGEND_COLUMNS = 2
LEGEND_WRAP = 22  # characters a legend line holds in a two-column legend at this width
LEGEND_GAP = 0.45  # inches between the bars' axes and the legend: the days and their label
LEGEND_LINE = 0.15  # inches a line of legend text takes at SMALL points
LEGEND_ROW_GAP = 0.05


class ChartsUnavailable(MohbotError, RuntimeError):
    """matplotlib is not installed."""

    default_key = "stats_no_chart"


@dataclass(frozen=True, slots=True)
class ChartLabels:
    """Every word drawn on the chart, in the reader's language."""

    title: str  # above the bars
    day_axis: str  # under the bars' days
    articles_axis: str  # the bars' vertical axis
    subscribers_title: str  # above the line of registered subscribers
    no_articles: str  # in place of the bars when no article was published in the period
    # slug -> name, in the catalog's order, which fixes each topic's colour and place.
    topics: Mapping[str, str]


def topic_colours(slugs: Sequence[str]) -> dict[str, str]:
    """Each topic's colour, by its place in the catalog (`slugs` in the catalog's order).

    A catalog longer than the palette would repeat colours from the start: keep it at most
    `len(PALETTE)` topics or extend the palette.
    """
    return {slug: PALETTE[i % len(PALETTE)] for i, slug in enumerate(slugs)}


def _day_ticks(count: int) -> list[int]:
    """Every other day, ending on the last one (today is always labelled)."""
    return list(range(count - 1, -1, -2))[::-1]


def _wrap(name: str) -> str:
    return "\n".join(textwrap.wrap(name, LEGEND_WRAP)) or name


def _draw_articles(bars: Axes, series: ChartSeries, labels: ChartLabels) -> None:
    """Stacked bars of articles per topic per day, their legend underneath."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import ScaledTranslation

    colours = topic_colours(list(labels.topics))
    # Stacked in the catalog's order, so neighbouring bands have neighbouring colours, which
    # the palette keeps far apart; topics the catalog no longer knows go on top.
    known = [slug for slug in labels.topics if slug in series.articles]
    unknown = sorted(slug for slug in series.articles if slug not in labels.topics)
    stacked = [slug for slug in known + unknown if any(series.articles[slug])]
    x = range(len(series.days))
    base = [0] * len(series.days)
    handles = []
    for slug in stacked:
        counts = series.articles[slug]
        colour = colours.get(slug, UNKNOWN_COLOUR)
        bars.bar(x, counts, bottom=base, color=colour, width=0.8, linewidth=0)
        base = [a + b for a, b in zip(base, counts, strict=True)]
        handles.append(Patch(facecolor=colour, label=_wrap(labels.topics.get(slug, slug))))
    bars.set_title(labels.title, fontsize=FONT + 1.5, fontweight="bold", loc="left")
    bars.set_ylabel(labels.articles_axis, fontsize=FONT)
    bars.set_xlabel(labels.day_axis, fontsize=FONT)
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.tick_params(labelsize=SMALL, labelbottom=True)
    bars.grid(axis="y", linewidth=0.5, alpha=0.4)
    bars.set_axisbelow(True)
    bars.spines[["top", "right"]].set_visible(False)
    if handles:
        # Anchored a fixed distance under the axes (past the days and the axis label), so
        # it never overlaps them whatever the bars' height.
        below = bars.transAxes + ScaledTranslation(0, -LEGEND_GAP, bars.figure.dpi_scale_trans)
        bars.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0),
            bbox_transform=below,
            ncols=LEGEND_COLUMNS,
            fontsize=SMALL,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.0,
            borderaxespad=0,
        )
    else:
        bars.set_ylim(0, 1)
        bars.set_yticks([])
        bars.text(
            0.5,
            0.5,
            labels.no_articles,
            transform=bars.transAxes,
            ha="center",
            va="center",
            fontsize=FONT,
            wrap=True,
        )


def _draw_subscribers(people: Axes, series: ChartSeries, labels: ChartLabels) -> None:
    """A line of subscribers registered up to each day, the last value written on it."""
    from matplotlib.ticker import MaxNLocator

    x = range(len(series.days))
    people.plot(x, series.subscribers, marker="o", markersize=3, color=PALETTE[0])
    if series.subscribers:
        people.annotate(
            str(series.subscribers[-1]),
            (x[-1], series.subscribers[-1]),
            textcoords="offset points",
            xytext=(0, 5),
            ha="center",
            fontsize=SMALL,
        )
    people.set_title(labels.subscribers_title, fontsize=FONT + 0.5, fontweight="bold", loc="left")
    people.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    people.margins(y=0.3)
    people.tick_params(labelsize=SMALL)
    people.grid(axis="y", linewidth=0.5, alpha=0.4)
    people.spines[["top", "right"]].set_visible(False)
    ticks = _day_ticks(len(series.days))
    people.set_xticks(ticks, [series.days[i].strftime("%d/%m") for i in ticks])


def _legend_height(series: ChartSeries, labels: ChartLabels) -> float:
    """Inches the legend takes, so that the bars keep their height however long it is."""
    names = [_wrap(labels.topics.get(slug, slug)) for slug, n in series.articles.items() if any(n)]
    if not names:
        return 0.0
    rows = -(-len(names) // LEGEND_COLUMNS)
    lines = max(name.count("\n") + 1 for name in names)
    return LEGEND_GAP + rows * (LEGEND_LINE * lines + LEGEND_ROW_GAP)


def render_png(series: ChartSeries, labels: ChartLabels) -> bytes:
    """The chart as PNG bytes; raises `ChartsUnavailable` without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ChartsUnavailable('charts need matplotlib: pip install -e ".[charts]"') from exc

    legend = _legend_height(series, labels)
    figure = Figure(figsize=(WIDTH, 3.9 + legend), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # attaches itself to the figure: what savefig draws with
    grid = figure.add_gridspec(2, 1, height_ratios=[2.6 + legend, 1.3])
    bars = figure.add_subplot(grid[0])
    people = figure.add_subplot(grid[1], sharex=bars)
    _draw_articles(bars, series, labels)
    _draw_subscribers(people, series, labels)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class WeeklyChartLabels:
    """The weekly chart's words, in the reader's language."""

    title: str
    axis: str  # under the bars: "items"
    topics: Mapping[str, str]  # slug -> name


def render_weekly_png(counts: Sequence[tuple[str, int]], labels: WeeklyChartLabels) -> bytes:
    """The week's items per topic as horizontal bars, each with its figure; the figures are
    also written into the PNG's "Description" (JSON), so that what it shows can be checked.
    Raises `ChartsUnavailable` without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ChartsUnavailable('charts need matplotlib: pip install -e ".[charts]"') from exc

    names = [_wrap(labels.topics.get(slug, slug)) for slug, _n in counts]
    values = [n for _slug, n in counts]
    colours = topic_colours(list(labels.topics))
    height = 1.2 + 0.45 * max(1, len(counts))
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    bars = figure.add_subplot()
    positions = list(range(len(counts)))[::-1]
    drawn = bars.barh(
        positions,
        values,
        color=[colours.get(slug, UNKNOWN_COLOUR) for slug, _n in counts],
    )
    bars.bar_label(drawn, labels=[str(v) for v in values], padding=3, fontsize=FONT)
    bars.set_yticks(positions, names, fontsize=SMALL)
    bars.set_xlabel(labels.axis, fontsize=SMALL)
    bars.set_title(labels.title, fontsize=FONT, loc="left")
    bars.set_xlim(0, max([1, *values]) * 1.2)
    bars.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    description = json.dumps({slug: n for slug, n in counts}, ensure_ascii=False)
    figure.savefig(buffer, format="png", metadata={"Description": description})
    return buffer.getvalue()
