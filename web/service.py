"""The console as one of the service's loops: uvicorn serving `create_app` until `stop`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import uvicorn

from core.settings import Settings
from models.db import SessionFactory
from web.app import create_app

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the runner, which stops every loop together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def run_web(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    app = create_app(settings, sessions)
    config = uvicorn.Config(
        app, host=settings.WEB_HOST, port=settings.WEB_PORT, log_config=None,
        access_log=False, proxy_headers=False, server_header=False,
    )  # fmt: skip
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    log.info("web console on http://%s:%d/", settings.WEB_HOST, settings.WEB_PORT)
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, waiting], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    waiting.cancel()
    await serving
