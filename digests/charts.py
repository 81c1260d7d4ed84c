"""The /stats chart as a PNG: articles per topic per day, and subscribers over time.

matplotlib is an optional extra (`pip install -e ".[charts]"`); without it there is no chart
and `ChartsUnavailable` says how to get one.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from digests.stats import ChartSeries


class ChartsUnavailable(RuntimeError):
    pass


def render_png(series: ChartSeries, topic_label: Callable[[str], str], title: str = "") -> bytes:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ChartsUnavailable('charts need matplotlib: pip install -e ".[charts]"') from exc

    labels = [d.strftime("%d/%m") for d in series.days]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8), constrained_layout=True)
    bottom_values = [0] * len(labels)
    ranked = sorted(series.articles.items(), key=lambda kv: -sum(kv[1]))
    for topic, counts in ranked:
        top.bar(labels, counts, bottom=bottom_values, label=topic_label(topic))
        bottom_values = [a + b for a, b in zip(bottom_values, counts, strict=True)]
    top.set_title(title or "Articles per topic per day")
    top.tick_params(axis="x", rotation=45)
    if ranked:
        top.legend(fontsize=7, ncol=2)
    bottom.plot(labels, series.subscribers, marker="o")
    bottom.set_title("Subscribers")
    bottom.tick_params(axis="x", rotation=45)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
