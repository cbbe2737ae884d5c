"""Fixtures for the notify tests: a loopback SMTP server, a fake clock, settings pointing at
them and an outbox worker. Test modules load these with `pytest_plugins = ["notify_fixtures"]`
and take plain helpers from `notify_helpers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from notify_helpers import make_worker

from models.db import SessionFactory
from models.types import utcnow
from notify.clock import FakeClock
from notify.compose import MailConfig
from notify.worker import OutboxWorker
from sandbox.smtp import SmtpSink
from shagym.settings import Settings, load_settings

MAIL_FROM = "Shagym <hotline@shagym.test>"


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[SmtpSink]:
    async with SmtpSink(out_dir=tmp_path / "mail") as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    # Rows are written with the real time; the fake clock starts a minute later, so what a
    # test writes is due, and then moves only when the test says so.
    return FakeClock(utcnow() + dt.timedelta(minutes=1))


@pytest.fixture
def notify_settings(sink: SmtpSink, tmp_path: Path) -> Settings:
    return load_settings(
        SMTP_HOST=sink.host,
        SMTP_PORT=sink.port,
        SMTP_SECURITY="none",
        MAIL_FROM=MAIL_FROM,
        ATTACHMENTS_DIR=tmp_path / "attachments",
    )


@pytest.fixture
def mail_config(notify_settings: Settings) -> MailConfig:
    return MailConfig(
        notify_settings.MAIL_FROM, notify_settings.zone, notify_settings.ATTACHMENTS_DIR
    )


@pytest.fixture
def worker(
    sessions: SessionFactory, sink: SmtpSink, mail_config: MailConfig, clock: FakeClock
) -> OutboxWorker:
    return make_worker(sessions, sink, mail_config, clock)
