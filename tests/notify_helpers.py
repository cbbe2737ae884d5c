"""Plain helpers for the notify tests: open a case the way a channel would, read the outbox,
build a worker against the loopback SMTP server."""

from __future__ import annotations

import datetime as dt
import random

from sqlmodel import col, select

from core.settings import Security
from intake.cases import IntakeContext, OpenedCase, open_case
from intake.raw import RawAttachment, RawReport
from models.db import SessionFactory
from models.tables import Notification
from models.types import utcnow
from notify.clock import FakeClock
from notify.compose import MailConfig
from notify.email_channel import EmailChannel, InternalChannel
from notify.smtp import SmtpTransport
from notify.worker import OutboxWorker
from sandbox.smtp import SmtpSink


def make_worker(
    sessions: SessionFactory, sink: SmtpSink, config: MailConfig, clock: FakeClock, **channels
) -> OutboxWorker:
    transport = SmtpTransport(sink.host, sink.port, Security.none, timeout=10)
    return OutboxWorker(
        sessions,
        {
            "email": EmailChannel(transport, config, clock),
            "internal": InternalChannel(),
            **channels,
        },
        domain=config.domain,
        clock=clock,
        rng=random.Random(7),
    )


async def report(
    sessions: SessionFactory,
    ctx: IntakeContext,
    text: str = "В партию записали 105 человек на один телефон +7 701 123 45 67 без их ведома.",
    *,
    channel: str = "telegram",
    sender: str = "5550001",
    region: str | None = "AKM",
    received_at: dt.datetime | None = None,
    attachments: list[RawAttachment] | None = None,
    **fields: object,
) -> OpenedCase:
    """Open one case and commit, as a channel adapter would."""
    raw = RawReport(
        channel=channel,
        sender=sender,
        text=text,
        region_hint=region,
        received_at=received_at or utcnow(),
        attachments=attachments or [],
        **fields,  # type: ignore[arg-type]
    )
    async with sessions() as session:
        opened = await open_case(session, raw, ctx)
        await session.commit()
    return opened


async def outbox(sessions: SessionFactory, **where: object) -> list[Notification]:
    async with sessions() as session:
        query = select(Notification).order_by(col(Notification.id))
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list((await session.exec(query)).all())
