"""The digest chart: cases per day by category over 30 days, as a PNG (matplotlib, Agg).

Drawn on a bare `Figure` with the Agg canvas (no pyplot: no global state, safe in a loop).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from intake.category import CATEGORIES
from notify.texts import category_name

COLOURS = {
    "fake_membership": "#2563eb",
    "shared_contacts": "#f59e0b",
    "coercion": "#dc2626",
    "vote_buying": "#7c3aed",
    "voting_fraud": "#db2777",
    "procedure": "#0d9488",
    "other": "#9ca3af",
}
BAR_WIDTH = 0.8
TITLES = {
    "ru": "Обращения по дням за 30 дней",
    "kk": "30 күндегі өтініштер күн бойынша",
    "en": "Cases per day, last 30 days",
}


def _counts(rows: list[Any], days: list[dt.date]) -> dict[str, list[int]]:
    index = {day: i for i, day in enumerate(days)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for day, category, n in rows:
        position = index.get(day if isinstance(day, dt.date) else dt.date.fromisoformat(day))
        if position is not None:
            counts[category if category in COLOURS else "other"][position] += int(n)
    return counts


def _bars(positions: list[int], values: list[int], bottom: list[int]) -> list[list[tuple]]:
    half = BAR_WIDTH / 2
    return [
        [(x - half, b), (x - half, b + v), (x + half, b + v), (x + half, b)]
        for x, v, b in zip(positions, values, bottom, strict=True)
        if v
    ]


def render_chart(rows: list[Any], days: list[dt.date], language: str) -> bytes:
    """PNG bytes of a stacked bar chart of `(day, category, count)` rows over `days`."""
    counts = _counts(rows, days)
    figure = Figure(figsize=(8, 3), dpi=80)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.06, right=0.72, top=0.88, bottom=0.12)
    axes = figure.add_subplot()
    positions = list(range(len(days)))
    bottom = [0] * len(days)
    legend = []
    # One PolyCollection per category rather than `bar()`: a single artist instead of one
    # Rectangle per bar makes the chart about five times cheaper to draw.
    for category in CATEGORIES:
        values = counts.get(category)
        if not values:
            continue
        axes.add_collection(
            PolyCollection(
                _bars(positions, values, bottom), facecolors=COLOURS[category], linewidths=0
            )
        )
        legend.append(Patch(color=COLOURS[category], label=category_name(category, language)))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.set_ylim(0, max(bottom, default=0) * 1.1 or 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    step = max(1, len(days) // 8)
    axes.set_xticks(positions[::step], [day.strftime("%d.%m") for day in days[::step]])
    axes.set_title(TITLES.get(language, TITLES["ru"]), fontsize=10)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    if legend:
        figure.legend(handles=legend, fontsize=7, frameon=False, loc="center right")
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
