"""The three outputs: JSON lines (the contract), a rich table, a self-contained HTML report."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import IO

from audit import charts
from audit.findings import Finding

Window = tuple[dt.date, dt.date]


def write_jsonl(findings: list[Finding], labels: list[str], out: IO[str]) -> None:
    for finding in findings:
        out.write(json.dumps(finding.as_json(labels), ensure_ascii=False) + "\n")


def write_table(findings: list[Finding], labels: list[str], out: IO[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table("rule", "region", "district", "organisations", "key", "count", "rows", "case")
    for f in findings:
        data = f.as_json(labels)
        rows = ", ".join(map(str, data["rows"][:8])) + (" …" if f.count > 8 else "")
        table.add_row(f.rule, f.region or "—", f.district or "", ", ".join(f.organisations[:3]),
                      f.key, str(f.count), rows, f.case or "")
    console = Console(file=out, width=160 if not out.isatty() else None)
    if findings:
        console.print(table)
    else:
        console.print("no findings")


def write_html(
    findings: list[Finding], labels: list[str], out: IO[str], *, title: str,
    skipped: list[str], admissions: Counter[dt.date] | None = None,
    windows: list[Window] | None = None,
) -> None:
    """Jinja2 with autoescape on: every value from the files is untrusted text."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("audit", "templates"),
                      autoescape=select_autoescape(["html"]))
    rendered = env.get_template("report.html").render(
        title=title,
        files=", ".join(labels),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        skipped=skipped,
        findings=[f.as_json(labels) for f in findings],
        charts={
            "regions": charts.per_region(findings),
            "admissions": charts.admissions(admissions, windows or []) if admissions else "",
            "phones": charts.top_phones(findings) if any(
                f.rule == "shared_phone" for f in findings) else "",
        },
    )
    out.write(rendered)
