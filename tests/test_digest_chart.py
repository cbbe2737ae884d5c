"""The digest chart drawn for a phone: only the categories that occur in its legend, the
legend below the bars, type legible at the width a phone shows it, the bars across the width,
and the chart described in words for a reader who sees no image."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import numpy as np
from PIL import Image

from intake.category import CATEGORIES
from notify.digest.build import chart_alt
from notify.digest.chart import COLOURS, PHONE_PX, render_chart, renderer
from notify.digest.data import DigestData
from notify.digest.queries import Window
from notify.texts import category_name

LAST = dt.date(2026, 3, 9)
DAYS = [LAST - dt.timedelta(days=n) for n in range(29, -1, -1)]


def rows(categories: list[str], per_day: int = 3) -> list[tuple[dt.date, str, int]]:
    return [(day, c, per_day + i) for i, day in enumerate(DAYS) for c in categories if i % 2]


def colours(png: bytes) -> set[str]:
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    return {"#{:02x}{:02x}{:02x}".format(*p) for p in np.unique(pixels, axis=0)}


def drawn(categories: list[str], language: str = "ru", per_day: int = 3):
    png = render_chart(rows(categories, per_day), DAYS, language)
    present = tuple(c for c in CATEGORIES if c in categories)
    return png, renderer(DAYS, language, present)


def test_it_names_only_the_categories_that_occur_in_the_legend():
    _, chart = drawn(["coercion"])
    [legend] = chart.figure.legends
    assert [t.get_text() for t in legend.get_texts()] == [category_name("coercion", "ru")]


def test_it_draws_no_colour_of_a_category_that_does_not_occur():
    png, _ = drawn(["coercion", "procedure"], "kk")
    seen = colours(png)
    assert {COLOURS["coercion"], COLOURS["procedure"]} <= seen
    assert not {COLOURS[c] for c in CATEGORIES if c not in ("coercion", "procedure")} & seen


def test_it_puts_the_legend_below_the_bars_and_their_dates():
    _, chart = drawn(list(CATEGORIES))
    draw = chart.canvas.get_renderer()
    [legend] = chart.figure.legends
    dates = [t.get_window_extent(draw) for t in chart.axes.get_xticklabels()]
    assert legend.get_window_extent(draw).y1 < min(box.y0 for box in dates)
    assert chart.figure.bbox.contains(*legend.get_window_extent(draw).p1)


def test_it_keeps_its_type_legible_where_a_phone_shows_it():
    _, chart = drawn(list(CATEGORIES), "kk")
    css_px_per_pt = chart.figure.dpi / 72 * PHONE_PX / chart.figure.bbox.width
    texts = [*chart.axes.get_xticklabels(), *chart.axes.get_yticklabels()]
    texts += [*chart.figure.legends[0].get_texts(), *chart.figure.texts]
    assert min(t.get_fontsize() * css_px_per_pt for t in texts) >= 11


def test_it_spreads_the_bars_across_the_width_with_large_counts_still_labelled():
    png, chart = drawn(["other"], per_day=2500)
    image = Image.open(io.BytesIO(png))
    draw = chart.canvas.get_renderer()
    labels = [t.get_window_extent(draw) for t in chart.axes.get_yticklabels() if t.get_text()]
    assert min(box.x0 for box in labels) >= 0  # "5000" is not cut off at the left
    assert chart.axes.get_window_extent(draw).width >= 0.75 * image.width
    assert 0.6 <= image.height / image.width <= 1.3  # a phone's shape, not a wide strip


def test_it_draws_an_empty_month_without_a_legend():
    png = render_chart([], DAYS, "ru")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not set(COLOURS.values()) & colours(png)


def test_it_describes_the_chart_in_words():
    window = Window(
        since=dt.datetime(2026, 3, 9, 4, tzinfo=dt.UTC),
        until=dt.datetime(2026, 3, 10, 4, tzinfo=dt.UTC),
        zone=ZoneInfo("Asia/Almaty"),
    )
    data = DigestData("AKM", "Комиссия", "ru", False, window, per_day=rows(["coercion", "other"]))
    alt = chart_alt(data)
    total = sum(n for _, _, n in data.per_day)
    coercion = sum(n for _, c, n in data.per_day if c == "coercion")
    assert f"всего {total}" in alt
    assert f"{category_name('coercion', 'ru')} {coercion}" in alt
    assert category_name("vote_buying", "ru") not in alt
