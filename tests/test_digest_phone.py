"""The morning digest read on a phone: the email's HTML opened in a real headless Chromium at
375 px (and at 1280 px) neither scrolls sideways nor cuts a cell off, and its chart is legible
at that width — its legend names only the categories that occur.

The digests are built from figures made here (the rows the store's queries return), with every
category, the longest Kazakh region names, long unbroken words and hostile text in them.
Screenshots go to bench/results/web/ beside the web console's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import namedtuple
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from intake.category import CATEGORIES
from intake.routing import CENTRAL
from notify.digest.build import BuiltDigest, build
from notify.digest.chart import PHONE_PX, SHOWN_PX
from notify.digest.data import DigestData
from notify.digest.queries import Window

pytest_plugins = ["chromium"]

SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "web"
ZONE = ZoneInfo("Asia/Almaty")
NOW = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)
WINDOW = Window(since=NOW - dt.timedelta(days=1), until=NOW, zone=ZONE)
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> {{ 7*7 }}'
LONG_WORD = "Солтүстікқазақстаноблысыныңмәслихатыныңсайлауалдынауқаны" * 2
NAMES = {
    "kk": "Солтүстік Қазақстан облысы бойынша партиялық бақылау комиссиясы",
    "ru": "Комиссия партийного контроля: Северо-Казахстанская область",
    "CENTRAL": "Центральная комиссия партийного контроля",
}
REGIONS = ["SKO", "ZKO", "VKO", "AKM", "KAR", "TUR", "ULY", "AST", "ALA", "SHY"]

Row = namedtuple(
    "Row", "id number status region district category commission_code created_at due_at "
    "subject snippet",
)  # fmt: skip
Totals = namedtuple("Totals", "key new open overdue resolved")
Cluster = namedtuple("Cluster", "cluster_id n first")


def case(index: int, region: str | None, category: str, days_old: float) -> Row:
    created = NOW - dt.timedelta(days=days_old)
    text = f"Случай {index}: {HOSTILE} {LONG_WORD} директор заставляет вступать в партию"
    return Row(
        index, f"SH-2026-{index:06d}", "new", region, "Жетісай ауданы, Мақтаарал ауылдық округі",
        category, region or CENTRAL, created, created + dt.timedelta(days=21), None, text,
    )  # fmt: skip


def per_day(categories: tuple[str, ...]) -> list[tuple[dt.date, str, int]]:
    last = NOW.astimezone(ZONE).date() - dt.timedelta(days=1)
    return [
        (last - dt.timedelta(days=day), category, 1 + (day * 7 + n) % 5)
        for day in range(30)
        for n, category in enumerate(categories)
        if (day + n) % 3
    ]


def clusters(regions: list[str]) -> tuple[list[Cluster], dict[str, list[Any]]]:
    members = [(1, f"SH-2026-{900 + n:06d}", regions[n % len(regions)], "X") for n in range(14)]
    details = {
        "cases": members,
        "keys": [(1, "phone", "+77015554433", 14), (1, "org", f"ТОО «{LONG_WORD}»", 3)],
        "reasons": [(1, "near_identical_text")],
    }
    return [Cluster(1, 14, NOW)], details


def totals(codes: list[str]) -> list[Totals]:
    return [Totals(code, 3 + n, 120 + n, 17 * n, 4) for n, code in enumerate(codes)]


def data(language: str, national: bool, categories: tuple[str, ...] = CATEGORIES) -> DigestData:
    name = NAMES["CENTRAL" if national else language]
    found, details = clusters(REGIONS)
    rows = [
        case(n, REGIONS[n % len(REGIONS)], categories[n % len(categories)], n * 3)
        for n in range(12)
    ]
    digest = DigestData(
        code=CENTRAL if national else "SKO", name=name, language=language, national=national,
        window=WINDOW, by_category=totals(list(categories)), per_day=per_day(categories),
        clusters=found, cluster_details=details,
    )  # fmt: skip
    if national:
        digest.by_commission = totals(REGIONS + [CENTRAL])
        digest.overdue = rows
        digest.triage = [case(100 + n, None, categories[0], 2) for n in range(3)]
        digest.new = digest.triage
    else:
        digest.new, digest.open = rows[:4], rows
    return digest


def write(built: BuiltDigest, directory: Path, html: str | None = None) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "chart.png").write_bytes(built.chart_png)
    (directory / "digest.html").write_text(built.html if html is None else html)
    return (directory / "digest.html").as_uri()


def built(language: str, national: bool, **kwargs: Any) -> BuiltDigest:
    return build(data(language, national, **kwargs), chart_src="chart.png", period=NOW.date())


def without_style_block(html: str) -> str:
    """The HTML as a mail client that drops `<style>` shows it: inline styles only."""
    return re.sub(r"<style>.*?</style>", "", html, flags=re.S)


def outside(layout: dict[str, Any], width: int) -> list[dict[str, Any]]:
    return [b for b in layout["boxes"] if b["left"] < -0.5 or b["right"] > width + 0.5]


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize(("language", "national"), [("kk", False), ("ru", True), ("kk", True)])
def test_it_fits_the_digest_in_the_screen_width(chromium, tmp_path, width, language, national):
    chromium.open(write(built(language, national), tmp_path), width)
    if not national:
        chromium.screenshot(SHOTS / f"digest-{width}.png")
    elif width == 375:
        chromium.screenshot(SHOTS / f"national-digest-375{'-kk' if language == 'kk' else ''}.png")
    layout = chromium.layout("td, img, h2, h3, p, li, span, b")
    # A phone shows a page wider than its screen zoomed out (innerWidth grows) or scrolling.
    assert layout["scrollWidth"] <= width
    assert layout["innerWidth"] == width
    assert outside(layout, width) == []


@pytest.mark.parametrize("national", [False, True])
def test_it_fits_a_phone_without_its_style_block(chromium, tmp_path, national):
    digest = built("kk", national)
    chromium.open(write(digest, tmp_path, without_style_block(digest.html)), 375)
    layout = chromium.layout("td, img, h2, h3, p, li, span, b")
    assert layout["scrollWidth"] <= 375
    assert layout["innerWidth"] == 375
    assert outside(layout, 375) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_it_shows_the_chart_across_a_phone_and_within_a_wide_screen(chromium, tmp_path, width):
    chromium.open(write(built("ru", True), tmp_path), width)
    [chart] = chromium.layout("img")["boxes"]
    assert chart["left"] >= 0 and chart["right"] <= width
    if width == 375:
        assert chart["width"] >= 0.85 * PHONE_PX  # it uses the phone's width
    assert chart["width"] <= SHOWN_PX
    assert chart["height"] > 0.5 * chart["width"]  # drawn for a phone, not a wide strip


def test_it_turns_each_totals_row_into_a_card_on_a_phone(chromium, tmp_path):
    chromium.open(write(built("kk", True), tmp_path), 375)
    # The second region's row (header, then one row per region), in document order.
    label, *figures = chromium.layout(".dg-totals tr:nth-child(3) td")["boxes"][:5]
    assert label["width"] > 250  # the region's name has the card's width
    assert all(f["left"] < 375 / 2 for f in figures[::2])  # two figures a line
    assert all(f["top"] > label["top"] for f in figures)
    row = totals(REGIONS)[1]
    assert [" ".join(f["text"].split()) for f in figures] == [
        f"жаңа {row.new}", f"ашық {row.open}", f"мерзімі өткен {row.overdue}",
        f"шешілді {row.resolved}",
    ]  # fmt: skip


def test_it_keeps_the_totals_a_table_on_a_wide_screen(chromium, tmp_path):
    chromium.open(write(built("kk", True), tmp_path), 1280)
    cells = chromium.layout(".dg-totals tr:nth-child(3) td")["boxes"][:5]
    assert len({round(c["top"]) for c in cells}) == 1
    row = totals(REGIONS)[1]
    assert [c["text"] for c in cells[1:]] == [str(n) for n in row[1:]]
    header = chromium.layout(".dg-head td")["boxes"][:5]
    heads = [h["text"].replace("\u00ad", "") for h in header[1:]]
    assert heads == ["жаңа", "ашық", "мерзімі өткен", "шешілді"]


def test_it_shows_hostile_report_text_as_text(chromium, tmp_path):
    chromium.open(write(built("ru", True), tmp_path), 375)
    page = chromium.driver.execute_script(
        "return {text: document.body.innerText, scripts: document.scripts.length,"
        " images: Array.from(document.images).map((i) => i.getAttribute('src'))}"
    )
    assert page["scripts"] == 0
    assert page["images"] == ["chart.png"]
    assert HOSTILE in page["text"]
    assert "49" not in page["text"]
