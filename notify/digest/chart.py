"""The digest chart: cases per day by category over 30 days, as a PNG (matplotlib, Agg).

Drawn on a bare `Figure` with the Agg canvas (no pyplot: no global state); a renderer is
kept per thread, so charts are drawn in one thread at a time per figure.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections import defaultdict
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from PIL import Image

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


class ChartRenderer:
    """Draws many charts over the same days in one language.

    Matplotlib spends most of a small chart's time on text. The figure, axes and date ticks
    are built once here; the title and legend (the same on every chart) are drawn once and
    their pixels pasted onto each new chart; each chart adds only its bars and y axis.
    """

    def __init__(self, days: list[dt.date], language: str) -> None:
        self.days = days
        self.positions = list(range(len(days)))
        self.figure = Figure(figsize=(8.8, 3), dpi=80)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.subplots_adjust(left=0.06, right=0.67, top=0.88, bottom=0.12)
        self.axes = self.figure.add_subplot()
        self.axes.set_xlim(-0.6, len(days) - 0.4)
        step = max(1, len(days) // 8)
        labels = [day.strftime("%d.%m") for day in days[::step]]
        self.axes.set_xticks(self.positions[::step], labels)
        self.axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        self.axes.tick_params(labelsize=8)
        self.axes.spines[["top", "right"]].set_visible(False)
        title = self.axes.set_title(TITLES.get(language, TITLES["ru"]), fontsize=10)
        handles = [Patch(color=COLOURS[c], label=category_name(c, language)) for c in CATEGORIES]
        legend = self.figure.legend(handles=handles, fontsize=7, frameon=False, loc="center right")
        self.canvas.draw()
        self.overlays = [self._pixels(title), self._pixels(legend)]
        title.set_visible(False)
        legend.set_visible(False)

    def _pixels(self, artist: Any) -> tuple[int, int, np.ndarray]:
        box = artist.get_window_extent(self.canvas.get_renderer())
        height = int(self.figure.bbox.height)
        top, bottom = height - int(np.ceil(box.y1)), height - int(np.floor(box.y0))
        left, right = int(np.floor(box.x0)), int(np.ceil(box.x1))
        buffer = np.asarray(self.canvas.buffer_rgba())
        return top, left, buffer[top:bottom, left:right].copy()

    def render(self, rows: list[Any]) -> bytes:
        """PNG bytes of a stacked bar chart of `(day, category, count)` rows."""
        for collection in list(self.axes.collections):
            collection.remove()
        counts = _counts(rows, self.days)
        bottom = [0] * len(self.days)
        # One PolyCollection per category rather than `bar()`: one artist, not one per bar.
        for category in CATEGORIES:
            values = counts.get(category)
            if not values:
                continue
            bars = _bars(self.positions, values, bottom)
            self.axes.add_collection(
                PolyCollection(bars, facecolors=COLOURS[category], linewidths=0)
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        self.axes.set_ylim(0, max(bottom, default=0) * 1.1 or 1)
        self.canvas.draw()
        image = np.array(self.canvas.buffer_rgba())
        for top, left, pixels in self.overlays:
            image[top : top + pixels.shape[0], left : left + pixels.shape[1]] = pixels
        out = io.BytesIO()
        Image.fromarray(image[:, :, :3]).save(out, format="PNG", compress_level=6)
        return out.getvalue()


_local = threading.local()


def renderer(days: list[dt.date], language: str) -> ChartRenderer:
    """This thread's renderer for these days and language (the last few are kept)."""
    cache: dict[tuple, ChartRenderer] = _local.__dict__.setdefault("renderers", {})
    key = (tuple(days), language)
    if key not in cache:
        if len(cache) >= 6:
            cache.clear()
        cache[key] = ChartRenderer(days, language)
    return cache[key]


def render_chart(rows: list[Any], days: list[dt.date], language: str) -> bytes:
    """PNG bytes of a stacked bar chart of `(day, category, count)` rows over `days`."""
    return renderer(days, language).render(rows)
