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
    serving = asyncio.create_task(_serve(server))
    log.info("web console on http://%s:%d/", settings.WEB_HOST, settings.WEB_PORT)
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, waiting], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    if not await serving:
        # The console failing (a port in use) must not stop intake and delivery with it.
        log.error("web console: could not listen on %s:%d; the other loops go on",
                  settings.WEB_HOST, settings.WEB_PORT)  # fmt: skip
        await stop.wait()
    waiting.cancel()


async def _serve(server: uvicorn.Server) -> bool:
    """Serve until told to exit; False when uvicorn gave up at start (it calls sys.exit when
    it cannot bind, which must not leave this coroutine: it would end the whole process)."""
    try:
        await server.serve()
    except SystemExit:
        return False
    return True
