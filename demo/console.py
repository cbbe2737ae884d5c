"""Printing the demo's story with rich: one section per act, as each act ends.

Everything shown is the demo's invented people and what the system did with their reports.
Texts that came from outside (what citizens wrote, what the bot sent) are printed as plain
`Text`, never parsed as rich markup. Paths are relative to the demo's directory, named once at
the top.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from demo.facts import CaseFacts
from demo.people import Report
from demo.story import Story
from demo.world import INSTALL_HINT, DemoWorld


class OutputClosed(Exception):
    """Whoever read the story stopped reading (`shagym demo | head`)."""


class DemoConsole(Console):
    """rich's Console, except that a closed pipe is an ordinary exception: rich's own answer
    (SystemExit from inside a task) would skip the service's shutdown."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise OutputClosed


def _shorten(text: str, width: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _line(console: Console, text: str, style: str = "", indent: int = 0) -> None:
    console.print(Text(" " * indent + text, style))


class Printer:
    """Prints the story of one world (`act` is the `play` callback)."""

    def __init__(self, console: Console, world: DemoWorld) -> None:
        self.console = console
        self.world = world

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.world.root))
        except ValueError:
            return str(path)

    def intro(self) -> None:
        w, s = self.world, self.world.settings
        mail_in = (
            f"Dovecot IMAP at {s.IMAP_HOST}:{s.IMAP_PORT}, mailbox {s.IMAP_USER}"
            if w.dovecot
            else f"skipped: {w.dovecot_reason}"
        )
        rows = [
            ("Directory", str(w.root)),
            ("Telegram", f"Bot API emulator at {s.TELEGRAM_API_BASE}"),
            ("Email in", mail_in),
            ("Email out", f"SMTP sink at {s.SMTP_HOST}:{s.SMTP_PORT}, keeping mail/*.eml"),
            ("Store", "SQLite shagym.db, evidence in attachments/"),
            ("Service", "bot, mail and outbox loops, started by shagym.runner (as `shagym run`)"),
        ]
        table = Table.grid(padding=(0, 2))
        for name, value in rows:
            table.add_row(Text(name, style="bold"), Text(value))
        self.console.print(Panel(table, title="Shagym demo: on loopback, no credentials"))
        if w.dovecot is None:
            _line(self.console, f"No Dovecot: {INSTALL_HINT}. Going on without email.", "yellow")

    def act(self, number: int, story: Story) -> None:
        (self.reports, self.alerts, self.answers, self.digests)[number - 1](story)

    def reports(self, story: Story) -> None:
        self.console.rule("1 · Citizens report")
        for report in story.reports:
            assert report.number is not None
            facts = story.cases[report.number]
            self.console.print(Text.assemble((report.who, "bold"), f" — {report.how}"))
            _line(self.console, f"wrote: «{_shorten(report.text)}»", indent=3)
            _line(self.console, f"→ case {facts.number}", "green", indent=3)
            for why in _why(report, facts):
                _line(self.console, why, indent=5)

    def alerts(self, story: Story) -> None:
        self.console.rule("2 · The commissions are alerted")
        for d in sorted(story.deliveries, key=lambda d: d.number):
            facts = story.cases[d.number]
            _line(self.console, f"{d.number} → {facts.commission_name} ({d.commission})", "bold")
            _line(self.console, f"email alert to {d.email_to}: {self.rel(d.eml)}", indent=3)
            card = " / ".join(d.card.splitlines()[:3])
            _line(self.console, f"card in its Telegram group: {_shorten(card, 100)}", indent=3)
            _line(self.console, "buttons: " + "  ".join(f"[{b}]" for b in d.buttons), indent=5)

    def answers(self, story: Story) -> None:
        self.console.rule("3 · What the citizens got back")
        for report in story.reports:
            self.console.print(Text.assemble((report.who, "bold"), f" — case {report.number}"))
            where = "in the Telegram chat, right after sending"
            if report.receipt_file is not None:
                where = f"in the acknowledgement email {self.rel(report.receipt_file)}"
            _line(self.console, f"receipt code {report.receipt}, {where}", indent=3)
            if report.answer is None or report.number is None:
                continue
            said = story.group_replies[report.number]
            _line(self.console, f"the commission took it and answered; group: «{said}»", indent=3)
            where = "in the Telegram chat"
            if report.answer_file is not None:
                where = f"by email, {self.rel(report.answer_file)}"
            _line(self.console, f"the answer reached the citizen {where}:", "green", 3)
            _line(self.console, f"«{_shorten(report.answer, 200)}»", indent=5)
            _line(self.console, f"case status now: {story.cases[report.number].status}", indent=3)

    def digests(self, story: Story) -> None:
        assert story.digest_at is not None
        zone = self.world.settings.zone
        local = story.digest_at.astimezone(zone)
        self.console.rule(f"4 · Next morning, {local:%d.%m.%Y %H:%M} {zone.key}: the digests")
        for d in story.digests:
            _line(self.console, f"{d.commission}: «{d.subject}»", "bold")
            _line(self.console, f"{self.rel(d.html)} with {self.rel(d.png)}", indent=3)
            posted = "; the chart and summary posted in its group" if d.group_posted else ""
            _line(self.console, f"delivered as {self.rel(d.eml)}{posted}", indent=3)

    def outro(self, seconds: float, kept: bool) -> None:
        count = len(self.world.sink.messages)
        where = f"kept in {self.world.root}" if kept else "removed (--keep DIR keeps them)"
        self.console.rule()
        _line(self.console, f"Done in {seconds:.0f} s; {count} emails at the sink; files {where}.")


def _why(report: Report, facts: CaseFacts) -> list[str]:
    how = "chosen by the citizen" if report.region_chosen else "found in the text"
    district = f", district {facts.district}" if facts.district else ""
    lines = [f"region: {facts.region_name}{district} ({how})"]
    if facts.places:
        lines.append("places in the text: " + "; ".join(facts.places))
    how = "chosen by the citizen" if report.category_chosen else "recognised in the text"
    lines.append(f"category: {facts.category_label} ({how}); language: {facts.language}")
    lines.append(f"routed to {facts.commission_name} ({facts.commission})")
    if facts.attachments:
        lines.append("evidence kept: " + ", ".join(facts.attachments))
    return lines
