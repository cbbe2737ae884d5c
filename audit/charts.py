"""The HTML report's charts as inline SVG (matplotlib's object API, no global pyplot state)."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

from audit.findings import Finding

Window = tuple[dt.date, dt.date]


def _svg(figure: object) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    canvas = FigureCanvasSVG(figure)  # type: ignore[arg-type]
    out = io.StringIO()
    canvas.print_svg(out, metadata={"Date": None})
    text = out.getvalue()
    return text[text.find("<svg"):]  # inline: no XML declaration or doctype


def _figure(width: float = 8.0, height: float = 3.2) -> object:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def per_region(findings: list[Finding]) -> str:
    counts = Counter(f.region or "—" for f in findings)
    figure = _figure()
    axes = figure.add_subplot()  # type: ignore[attr-defined]
    names = sorted(counts, key=lambda r: (-counts[r], r))
    axes.bar(names, [counts[n] for n in names], color="#3b6ea5")
    axes.set_ylabel("findings")
    axes.tick_params(axis="x", labelrotation=60)
    return _svg(figure)


def admissions(days: Counter[dt.date], windows: list[Window]) -> str:
    """Admissions per day, the suspension windows shaded."""
    figure = _figure(9.0, 3.2)
    axes = figure.add_subplot()  # type: ignore[attr-defined]
    ordered = sorted(days)
    axes.plot(ordered, [days[d] for d in ordered], color="#3b6ea5", linewidth=1)
    for start, end in windows:
        axes.axvspan(start, end + dt.timedelta(days=1), color="#d9534f", alpha=0.2)
    axes.set_ylabel("admitted per day")
    figure.autofmt_xdate()  # type: ignore[attr-defined]
    return _svg(figure)


def top_phones(findings: list[Finding], limit: int = 15) -> str:
    phones = sorted((f for f in findings if f.rule == "shared_phone"), key=lambda f: -f.count)
    phones = phones[:limit][::-1]
    figure = _figure(8.0, max(2.0, 0.35 * len(phones) + 1))
    axes = figure.add_subplot()  # type: ignore[attr-defined]
    axes.barh([f.key for f in phones], [f.count for f in phones], color="#f0ad4e")
    axes.set_xlabel("rows under one phone")
    return _svg(figure)
