"""An outbox worker in a process of its own, for the kill test: `python tests/outbox_child.py
DATABASE_URL SMTP_HOST SMTP_PORT ATTACHMENTS_DIR` delivers alerts over four connections with a
four-second lease until it is killed."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from core.crypto import install_keyring
from core.settings import Security
from models.db import create_engine, create_session_factory
from notify.compose import MailConfig
from notify.email_channel import EmailChannel
from notify.service import deliver_until
from notify.smtp import SmtpPool, SmtpTransport
from notify.worker import OutboxWorker
from tests.conftest import TEST_KEYRING

MAIL_FROM = "Shagym <hotline@shagym.test>"
LEASE = dt.timedelta(seconds=4)


def pooled_worker(sessions, host: str, port: int, attachments: Path) -> OutboxWorker:
    from notify.clock import Clock

    clock = Clock()
    pool = SmtpPool([SmtpTransport(host, port, Security.none, timeout=10) for _ in range(4)])
    config = MailConfig(MAIL_FROM, ZoneInfo("Asia/Almaty"), attachments)
    channel = EmailChannel(pool, config, clock)
    return OutboxWorker(
        sessions,
        {"email": channel},
        domain=config.domain,
        clock=clock,
        lease=LEASE,
        delivery_timeout=2.0,
        kinds={"alert"},
    )


async def main(url: str, host: str, port: int, attachments: Path) -> None:
    install_keyring(TEST_KEYRING)  # this child is a composition root of its own
    engine = create_engine(url)
    worker = pooled_worker(create_session_factory(engine), host, port, attachments)
    print("ready", flush=True)  # noqa: T201
    await deliver_until(worker, asyncio.Event())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])))
