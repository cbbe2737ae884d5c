"""The next morning's digest, played with a clock instead of waiting a night.

The digest code's own entry point (`DigestScheduler.tick`) runs with a clock set just after
the next DIGEST_AT; the service's outbox loop delivers what it owes, and the demo keeps the
delivered email's HTML and chart next to each other so a browser shows them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from demo.facts import is_kind, notification_of, parse
from demo.world import DemoWorld
from models.types import utcnow
from notify.clock import FakeClock
from notify.digest.schedule import DigestScheduler
from sandbox.telegram import SentMessage

STEP_TIMEOUT = 90.0


@dataclass(slots=True)
class DigestFiles:
    commission: str
    eml: Path
    html: Path
    png: Path
    subject: str
    group_posted: bool


def next_digest_time(world: DemoWorld, now: dt.datetime | None = None) -> dt.datetime:
    """One minute after the next DIGEST_AT in TIMEZONE (UTC)."""
    zone, at = world.settings.zone, world.settings.DIGEST_AT
    local = (now or utcnow()).astimezone(zone)
    due = dt.datetime.combine(local.date(), at, tzinfo=zone)
    if due <= local:
        due += dt.timedelta(days=1)
    return (due + dt.timedelta(minutes=1)).astimezone(dt.UTC)


async def owe_next_morning(world: DemoWorld) -> tuple[dt.datetime, list[str]]:
    """Run the digest scheduler once at the next digest time; the commissions owed."""
    at = next_digest_time(world)
    scheduler = DigestScheduler.from_settings(world.settings, world.sessions, FakeClock(at))
    return at, await scheduler.tick()


async def digest_files(
    world: DemoWorld, code: str, chat_id: int | None, after: int
) -> DigestFiles:
    """Wait for commission `code`'s digest email (and its post in the group, whose messages
    after id `after` are looked at); write its HTML and chart as files."""

    async def wanted(message) -> bool:  # type: ignore[no-untyped-def]
        row = await notification_of(world.sessions, message)
        return (
            row is not None
            and await is_kind(world.sessions, message, "digest")
            and row.commission_code == code
        )

    received = await world.wait_mail(wanted, STEP_TIMEOUT)
    message = parse(received)
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    chart = b""
    for part in message.walk():
        if part.get_content_type() == "image/png":
            chart = part.get_content()
            cid = str(part.get("Content-ID", "")).strip("<>")
            html = html.replace(f"cid:{cid}", f"{code.lower()}-chart.png")
    folder = world.root / "digests"
    folder.mkdir(exist_ok=True)
    html_path, png_path = folder / f"{code.lower()}.html", folder / f"{code.lower()}-chart.png"
    html_path.write_text(html, encoding="utf-8")
    png_path.write_bytes(chart)
    posted = False
    if chat_id is not None:
        group = world.emu.chat(chat_id)

        def chart_post(m: SentMessage) -> bool:
            return m.kind == "photo" and m.message_id > after

        if not any(chart_post(m) for m in group.sent):
            await group.wait_for(chart_post, STEP_TIMEOUT)
        posted = True
    return DigestFiles(
        code, world.eml_path(received), html_path, png_path, str(message["Subject"]), posted
    )
