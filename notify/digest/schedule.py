"""When digests are owed, and owing them exactly once.

The digest for local date D is due at DIGEST_AT on D in TIMEZONE. Each check owes, for every
commission, the latest period that is due and has no `digest_run` row yet: a digest missed
while the process was down goes out when it comes back, covering everything since the last
one. The run row and its notifications are written in one transaction, and the unique key
(commission, period) makes a second writer (another process, a restart) a no-op.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from core.settings import Settings
from models.db import SessionFactory, insert_ignore
from models.outbox import enqueue
from models.tables import Channel, Commission, DigestRun, NotificationKind
from notify.clock import Clock
from notify.compose import CHART_CID, MailConfig
from notify.digest.build import BuiltDigest
from notify.digest.pipeline import build_many
from notify.digest.queries import Window

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0


def due_period(now: dt.datetime, zone: ZoneInfo, at: dt.time) -> dt.date:
    """The latest local date whose digest time has come."""
    local = now.astimezone(zone)
    return local.date() if local.time() >= at else local.date() - dt.timedelta(days=1)


def period_start(period: dt.date, zone: ZoneInfo, at: dt.time) -> dt.datetime:
    """The moment the digest for `period` is due, in UTC."""
    return dt.datetime.combine(period, at, tzinfo=zone).astimezone(dt.UTC)


@dataclass(slots=True)
class DigestScheduler:
    sessions: SessionFactory
    zone: ZoneInfo
    at: dt.time
    mail_domain: str
    clock: Clock
    web_base_url: str | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: SessionFactory, clock: Clock | None = None
    ) -> DigestScheduler:
        domain = MailConfig(settings.MAIL_FROM, settings.zone, settings.ATTACHMENTS_DIR).domain
        return cls(sessions, settings.zone, settings.DIGEST_AT, domain, clock or Clock(),
                   settings.WEB_BASE_URL)  # fmt: skip

    async def window_for(self, code: str, period: dt.date) -> Window:
        async with self.sessions() as session:
            previous = (
                await session.exec(
                    select(func.max(DigestRun.until)).where(
                        DigestRun.commission_code == code, DigestRun.period < period
                    )
                )
            ).one()
        start = period_start(period, self.zone, self.at)
        since = previous or start - dt.timedelta(days=1)
        if since.tzinfo is None:  # an aggregate skips the column type: SQLite gives text
            since = dt.datetime.fromisoformat(str(since)).replace(tzinfo=dt.UTC)
        until = max(self.clock.now(), start)
        return Window(since=since, until=until, zone=self.zone, web_base_url=self.web_base_url)

    async def record(
        self, commission: Commission, period: dt.date, window: Window, digest: BuiltDigest
    ) -> bool:
        """Owe one built digest; False when this period's was already owed (by another
        process, or before a restart)."""
        async with self.sessions() as session:
            values = {"commission_code": commission.code, "period": period}
            values |= {"since": window.since, "until": window.until, "created_at": window.until}
            if not await insert_ignore(session, DigestRun, values):
                await session.rollback()
                return False
            run = (
                await session.exec(
                    select(DigestRun).where(
                        DigestRun.commission_code == commission.code, DigestRun.period == period
                    )
                )
            ).one()
            payload = {
                "run": run.id,
                "period": period.isoformat(),
                "subject": digest.subject,
                "text": digest.text,
                "html": digest.html,
                "telegram_html": digest.telegram_html,
                "chart_png": base64.b64encode(digest.chart_png).decode(),
            }
            recipients = [(Channel.email, address) for address in commission.emails]
            if commission.telegram_chat_id is not None:
                recipients.append((Channel.telegram, str(commission.telegram_chat_id)))
            for channel, recipient in recipients:
                await enqueue(
                    session,
                    kind=NotificationKind.digest,
                    channel=channel,
                    recipient=recipient,
                    ref=f"digest:{commission.code}:{period.isoformat()}",
                    commission_code=commission.code,
                    language=commission.language,
                    payload=payload,
                )
            await session.commit()
        log.info("digest for %s, %s owed: %s", commission.code, period, digest.counts)
        return True

    async def tick(self) -> list[str]:
        """Owe every digest that is due and not yet owed; the commission codes owed."""
        period = due_period(self.clock.now(), self.zone, self.at)
        async with self.sessions() as session:
            done = set(
                (
                    await session.exec(
                        select(DigestRun.commission_code).where(DigestRun.period == period)
                    )
                ).all()
            )
            commissions = (
                await session.exec(select(Commission).order_by(col(Commission.code)))
            ).all()
        due = [
            c
            for c in commissions
            if c.code not in done and (c.emails or c.telegram_chat_id is not None)
        ]
        windows = [await self.window_for(c.code, period) for c in due]
        digests = await build_many(
            self.sessions,
            list(zip(due, windows, strict=True)),
            chart_src=f"cid:{CHART_CID}@{self.mail_domain}",
            period=period,
        )
        owed = []
        for commission, window, digest in zip(due, windows, digests, strict=True):
            if await self.record(commission, period, window, digest):
                owed.append(commission.code)
        return owed

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.error("digests: check failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), CHECK_SECONDS)
