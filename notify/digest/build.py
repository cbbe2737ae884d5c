"""From collected figures to the digest itself: email triplet, chart, Telegram summary."""

from __future__ import annotations

import datetime as dt
import html
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from intake.routing import CENTRAL
from notify.digest.chart import SHOWN_PX, render_chart
from notify.digest.data import DigestData, chart_days
from notify.digest.queries import SNIPPET, Window
from notify.digest.words import words
from notify.render import render
from notify.texts import category_name, local, region_name

MEMBERS_SHOWN = 8
TELEGRAM_LISTED = 5


@dataclass(frozen=True, slots=True)
class BuiltDigest:
    subject: str
    text: str
    html: str
    chart_png: bytes
    telegram_html: str
    counts: dict[str, int]


def _time_left(due: dt.datetime, now: dt.datetime, w: dict[str, str]) -> tuple[str, bool]:
    days = (due - now).total_seconds() / 86400
    if days < 0:
        return w["days_late"].format(n=math.ceil(-days)), True
    if days < 1:
        return w["due_today"], False
    return w["days_left"].format(n=math.floor(days)), False


def case_row(row: Any, window: Window, language: str) -> dict[str, Any]:
    w = words(language)
    left, overdue = _time_left(row.due_at, window.until, w)
    snippet = " ".join((row.snippet or "").split())
    return {
        "number": row.number,
        "url": f"{window.web_base_url}/cases/{row.number}" if window.web_base_url else None,
        "category": category_name(row.category, language),
        "region": region_name(row.region, language),
        "district": row.district,
        "commission": row.commission_code,
        "received": local(row.created_at, window.zone),
        "due": local(row.due_at, window.zone, with_time=False),
        "left": left,
        "overdue": overdue,
        "subject": row.subject,
        "snippet": snippet + ("…" if len(row.snippet or "") >= SNIPPET else ""),
    }


def cluster_rows(data: DigestData) -> list[dict[str, Any]]:
    w = words(data.language)
    members: dict[int, list[Any]] = defaultdict(list)
    keys: dict[int, list[str]] = defaultdict(list)
    reasons: dict[int, set[str]] = defaultdict(set)
    for cluster_id, number, region, _ in data.cluster_details.get("cases", []):
        members[cluster_id].append((number, region))
    for cluster_id, kind, value, n in data.cluster_details.get("keys", []):
        keys[cluster_id].append(f"{w.get(kind, kind)} {value} ({n})")
    for cluster_id, reason in data.cluster_details.get("reasons", []):
        if reason == "near_identical_text":
            reasons[cluster_id].add(w["near_identical_text"])
    rows = []
    for cluster in data.clusters:
        cases = members[cluster.cluster_id]
        regions = sorted({region_name(region, data.language) for _, region in cases})
        rows.append(
            {
                "size": int(cluster.n),
                "total": len(cases),
                "numbers": [number for number, _ in cases[:MEMBERS_SHOWN]],
                "more": max(0, len(cases) - MEMBERS_SHOWN),
                "shared": keys[cluster.cluster_id][:3] + sorted(reasons[cluster.cluster_id]),
                "regions": regions,
            }
        )
    return rows


def _totals(rows: list[Any], label: Any) -> list[dict[str, Any]]:
    return [
        {
            "label": label(row[0]),
            "new": int(row.new),
            "open": int(row.open),
            "overdue": int(row.overdue),
            "resolved": int(row.resolved),
        }
        for row in rows
    ]


def chart_alt(data: DigestData) -> str:
    """The chart in words, for a reader who sees no image: the total and each category's."""
    per_category: dict[str, int] = defaultdict(int)
    for _, category, n in data.per_day:
        per_category[category] += int(n)
    ranked = sorted(per_category.items(), key=lambda item: (-item[1], item[0]))
    parts = ", ".join(f"{category_name(c, data.language)} {n}" for c, n in ranked)
    w = words(data.language)
    return w["chart_alt"].format(total=sum(per_category.values()), parts=parts or w["none"])


def context(data: DigestData, chart_src: str, period: dt.date | None = None) -> dict[str, Any]:
    lang, window = data.language, data.window
    w = words(lang)
    counts = {name: data.total(name) for name in ("new", "open", "overdue", "resolved")}
    day = period or (window.until - dt.timedelta(microseconds=1)).astimezone(window.zone).date()
    date = day.strftime("%d.%m.%Y")
    return {
        "w": w,
        "lang": lang,
        "name": data.name,
        "date": date,
        "title": w["national_subject" if data.national else "subject"].format(date=date),
        "since": local(window.since, window.zone),
        "until": local(window.until, window.zone),
        "counts": counts,
        "new": [case_row(r, window, lang) for r in data.new],
        "open": [case_row(r, window, lang) for r in data.open],
        "overdue": [case_row(r, window, lang) for r in data.overdue],
        "triage": [case_row(r, window, lang) for r in data.triage],
        "clusters": cluster_rows(data),
        "categories": _totals(data.by_category, lambda code: category_name(code, lang)),
        "regions": _totals(
            data.by_commission,
            lambda code: w["triage"] if code == CENTRAL else region_name(code, lang),
        ),
        "triage_total": sum(int(r.open) for r in data.by_commission if r[0] == CENTRAL),
        "chart_src": chart_src,
        "chart_alt": chart_alt(data),
        "chart_width": SHOWN_PX,
    }


def telegram_summary(ctx: dict[str, Any]) -> str:
    """A short Telegram HTML caption: the numbers, what is late, the biggest pattern."""
    w, esc = ctx["w"], html.escape
    title = w["national_subject" if ctx["regions"] else "subject"].format(date=ctx["date"])
    lines = [f"<b>{esc(title)}</b>", esc(ctx["name"]), esc(w["summary"].format(**ctx["counts"]))]
    late = [row for row in (ctx["overdue"] or ctx["open"]) if row["overdue"]]
    if late:
        shown = ", ".join(esc(row["number"]) for row in late[:TELEGRAM_LISTED])
        lines.append(f"{esc(w['overdue'])}: {shown}")
    if ctx["triage"]:
        lines.append(f"{esc(w['triage'])}: {ctx['triage_total']}")
    if ctx["clusters"]:
        top = ctx["clusters"][0]
        keys = "; ".join(top["shared"][:2])
        lines.append(
            f"{esc(w['clusters'])}: {esc(w['cluster'].format(n=top['total']))} — {esc(keys)}"
        )
    return "\n".join(lines)


def build(data: DigestData, *, chart_src: str, period: dt.date | None = None) -> BuiltDigest:
    """The digest of `data` for `period` (by default the local day its window ends); the HTML
    shows the chart from `chart_src` (a cid: URL or a file name)."""
    ctx = context(data, chart_src, period)
    name = "national_digest" if data.national else "digest"
    rendered = render(name, ctx)
    chart = render_chart(data.per_day, chart_days(data.window), data.language)
    return BuiltDigest(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        chart_png=chart,
        telegram_html=telegram_summary(ctx),
        counts=ctx["counts"],
    )
