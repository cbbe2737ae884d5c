"""The digest chart: cases per day by category over 30 days, as a PNG (matplotlib, Agg).

Drawn for a phone first: the image is 660 px wide and meant to be shown about 330 CSS px wide
(a 375 px screen less the margins), so the type is legible there; the legend names only the
categories that occur, below the bars, in one or two columns as they fit; the bars use the
whole width. Drawn on a bare `Figure` with the Agg canvas (no pyplot: no global state); a
renderer is kept per thread, so charts are drawn in one thread at a time per figure.
"""

from __future__ import annotations

import datetime as dt
import io
import math
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
    "other": "#6b7280",
}
BAR_WIDTH = 0.8
TITLES = {
    "ru": "Обращения по дням за 30 дней",
    "kk": "30 күндегі өтініштер күн бойынша",
    "en": "Cases per day, last 30 days",
}
DPI = 200
WIDTH_IN = 3.3  # 660 px, shown at half that: every point below is 1.39 CSS px on a phone
PHONE_PX = 330  # the width it is drawn for: a 375 px screen less the digest's margins (CSS px)
SHOWN_PX = 440  # the HTML shows it at most this wide (CSS px): on a wide screen, still sharp
TITLE_PT, TICK_PT, LEGEND_PT = 10.5, 8.5, 9.0
PAD_PT, PLOT_PT, TICKS_PT, RIGHT_PT = 6.0, 120.0, 18.0, 18.0
PALETTE = 64
DIGIT_EM = 0.64  # a DejaVu Sans digit's advance, in em (y tick labels are digits only)


def _counts(rows: list[Any], days: list[dt.date]) -> dict[str, list[int]]:
    index = {day: i for i, day in enumerate(days)}
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    for day, category, n in rows:
        position = index.get(day if isinstance(day, dt.date) else dt.date.fromisoformat(day))
        if position is not None:
            counts[category if category in COLOURS else "other"][position] += int(n)
    return counts


def present(counts: dict[str, list[int]]) -> tuple[str, ...]:
    """The categories with at least one case on the chart, in the stacking order."""
    return tuple(c for c in CATEGORIES if any(counts.get(c, ())))


def _bars(positions: list[int], values: list[int], bottom: list[int]) -> list[list[tuple]]:
    half = BAR_WIDTH / 2
    return [
        [(x - half, b), (x - half, b + v), (x + half, b + v), (x + half, b)]
        for x, v, b in zip(positions, values, bottom, strict=True)
        if v
    ]


class ChartRenderer:
    """Draws many charts over the same days, in one language, with the same categories.

    Matplotlib spends most of a small chart's time on text. The figure, axes and date ticks
    are built once here; the title and legend (the same on every chart) are drawn once and
    their pixels pasted onto each new chart; each chart adds only its bars and y axis.
    """

    def __init__(self, days: list[dt.date], language: str, categories: tuple[str, ...]) -> None:
        self.days, self.categories = days, categories
        self.positions = list(range(len(days)))
        self.figure = Figure(figsize=(WIDTH_IN, 3), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_subplot()
        self._style_axes()
        title = self.figure.text(
            PAD_PT / 72 / WIDTH_IN, 1, TITLES.get(language, TITLES["ru"]), fontsize=TITLE_PT,
            fontweight="bold", va="top", color="#1d2330",
        )  # fmt: skip
        self.legend, self.legend_rows = self._fit_legend(language)
        self._place(title)
        self.canvas.draw()
        self.overlays = [self._pixels(title)] + ([self._pixels(self.legend)] if categories else [])
        title.set_visible(False)
        self.legend.set_visible(False)

    def _style_axes(self) -> None:
        self.axes.set_xlim(-0.6, len(self.days) - 0.4)
        step = max(1, math.ceil(len(self.days) / 6))
        # Ticks counted back from the last day: yesterday is always labelled.
        shown = self.positions[::-1][::step][::-1]
        self.axes.set_xticks(shown, [self.days[i].strftime("%d.%m") for i in shown])
        self.axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        self.axes.tick_params(labelsize=TICK_PT, colors="#374151", length=3)
        self.axes.spines[["top", "right"]].set_visible(False)
        self.axes.spines[["left", "bottom"]].set_color("#9ca3af")
        self.axes.yaxis.grid(True, color="#e5e7eb", linewidth=0.6)
        self.axes.set_axisbelow(True)

    def _legend(self, language: str, columns: int) -> Any:
        handles = [
            Patch(color=COLOURS[c], label=category_name(c, language)) for c in self.categories
        ]
        return self.figure.legend(
            handles=handles, fontsize=LEGEND_PT, frameon=False, loc="lower left",
            ncols=columns, handlelength=1.0, handleheight=1.0, handletextpad=0.5,
            columnspacing=1.0, borderaxespad=0, borderpad=0, labelspacing=0.35,
            labelcolor="#1d2330",
        )  # fmt: skip

    def _fit_legend(self, language: str) -> tuple[Any, int]:
        """The legend in two columns when they fit the width, else in one; and its rows."""
        columns = 2 if len(self.categories) > 1 else 1
        legend = self._legend(language, columns)
        width = self.figure.bbox.width - 2 * PAD_PT / 72 * DPI
        if columns > 1 and legend.get_window_extent(self.canvas.get_renderer()).width > width:
            legend.remove()
            columns, legend = 1, self._legend(language, 1)
        return legend, math.ceil(len(self.categories) / columns)

    def _place(self, title: Any) -> None:
        """Size the figure to its legend and lay out title, bars and legend top to bottom."""
        legend_pt = self.legend_rows * LEGEND_PT * 1.35 + (PAD_PT if self.legend_rows else 0)
        heights = [PAD_PT, TITLE_PT * 1.3, PAD_PT, PLOT_PT, TICKS_PT, legend_pt, PAD_PT]
        total = sum(heights)
        self.figure.set_size_inches(WIDTH_IN, total / 72)
        self.plot_bottom = (PAD_PT + legend_pt + TICKS_PT) / total
        self.plot_height = PLOT_PT / total
        title.set_y(1 - PAD_PT / total)
        self.legend.set_bbox_to_anchor((PAD_PT / 72 / WIDTH_IN, PAD_PT / total))
        self._fit_y_labels(1)

    def _fit_y_labels(self, top: int) -> None:
        """The bars start just right of the widest y tick label (the bars use the width)."""
        labels_pt = len(str(top)) * DIGIT_EM * TICK_PT + 3 + 3.5 + PAD_PT
        left = labels_pt / 72 / WIDTH_IN
        right = RIGHT_PT / 72 / WIDTH_IN
        self.axes.set_position((left, self.plot_bottom, 1 - left - right, self.plot_height))

    def _pixels(self, artist: Any) -> tuple[int, int, np.ndarray]:
        box = artist.get_window_extent(self.canvas.get_renderer())
        height = int(self.figure.bbox.height)
        top, bottom = height - int(np.ceil(box.y1)), height - int(np.floor(box.y0))
        left, right = int(np.floor(box.x0)), int(np.ceil(box.x1))
        buffer = np.asarray(self.canvas.buffer_rgba())
        return top, left, buffer[top:bottom, left:right].copy()

    def render(self, counts: dict[str, list[int]]) -> bytes:
        """PNG bytes of a stacked bar chart of per-day `counts` by category."""
        for collection in list(self.axes.collections):
            collection.remove()
        bottom = [0] * len(self.days)
        # One PolyCollection per category rather than `bar()`: one artist, not one per bar.
        for category in self.categories:
            values = counts.get(category)
            if not values:
                continue
            bars = _bars(self.positions, values, bottom)
            self.axes.add_collection(
                PolyCollection(bars, facecolors=COLOURS[category], linewidths=0)
            )
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        top = max(bottom, default=0)
        self.axes.set_ylim(0, top * 1.1 or 1)
        shown = [int(t) for t in self.axes.get_yticks() if t <= top * 1.1]
        self._fit_y_labels(max(shown, default=1))
        self.canvas.draw()
        image = np.array(self.canvas.buffer_rgba())
        for row, column, pixels in self.overlays:
            image[row : row + pixels.shape[0], column : column + pixels.shape[1]] = pixels
        out = io.BytesIO()
        # Flat colours and grey type need no more than 64 colours: a palette PNG is 2.5× smaller
        # (≈17 KB, not 45 KB) for a phone on mobile data, and the fast octree keeps each
        # category's colour exact.
        palette = Image.fromarray(image[:, :, :3]).quantize(
            PALETTE, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        palette.save(out, format="PNG", compress_level=6)
        return out.getvalue()


_local = threading.local()


def renderer(days: list[dt.date], language: str, categories: tuple[str, ...]) -> ChartRenderer:
    """This thread's renderer for these days, language and categories (the last few kept)."""
    cache: dict[tuple, ChartRenderer] = _local.__dict__.setdefault("renderers", {})
    key = (tuple(days), language, categories)
    if key not in cache:
        if len(cache) >= 16:
            cache.clear()
        cache[key] = ChartRenderer(days, language, categories)
    return cache[key]


def render_chart(rows: list[Any], days: list[dt.date], language: str) -> bytes:
    """PNG bytes of a stacked bar chart of `(day, category, count)` rows over `days`."""
    counts = _counts(rows, days)
    return renderer(days, language, present(counts)).render(counts)
