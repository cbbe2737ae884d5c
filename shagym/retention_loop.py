"""The daily retention loop started by `shagym run` (loop `retention`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.settings import Settings
from intake.retention import purge_store
from models.db import SessionFactory
from notify.clock import Clock

log = logging.getLogger(__name__)
EVERY_SECONDS = 24 * 3600.0


async def run_retention(
    settings: Settings, sessions: SessionFactory, stop: asyncio.Event, clock: Clock | None = None
) -> None:
    """Purge at start, then once a day, until `stop`."""
    clock = clock or Clock()
    while not stop.is_set():
        try:
            await purge_store(
                sessions, now=clock.now(), days=settings.RETENTION_DAYS,
                attachments_dir=settings.ATTACHMENTS_DIR,
            )  # fmt: skip
        except Exception:  # the loop's edge: log, try again tomorrow
            log.exception("retention purge failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), EVERY_SECONDS)
