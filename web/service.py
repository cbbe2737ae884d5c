"""The console as one of the service's loops: uvicorn serving `create_app` until `stop`.

With `WEB_WORKERS` above 1 this process binds the socket and hands it to that many more
processes minus one (`web.worker`), which accept on it too: one Python process is CPU-bound
long before the store is. They share nothing but the store (sessions, throttling, access log)
and the key files; each keeps its own few-seconds cache of counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Iterator

import uvicorn

from core.settings import Settings
from models.db import SessionFactory
from web.app import create_app
from web.worker import server_config

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """Leaves SIGINT/SIGTERM to the runner, which stops every loop together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(settings: Settings) -> socket.socket | None:
    family = socket.AF_INET6 if ":" in settings.WEB_HOST else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.WEB_HOST, settings.WEB_PORT))
    except OSError:
        sock.close()
        return None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def _workers(sock: socket.socket, count: int) -> list[asyncio.subprocess.Process]:
    fd = sock.fileno()
    return [
        await asyncio.create_subprocess_exec(sys.executable, "-m", "web.worker", str(fd),
                                             pass_fds=(fd,))  # fmt: skip
        for _ in range(count)
    ]


async def _stop_workers(workers: list[asyncio.subprocess.Process]) -> None:
    for worker in workers:
        if worker.returncode is None:
            worker.terminate()
    for worker in workers:
        try:
            await asyncio.wait_for(worker.wait(), 30)
        except TimeoutError:
            worker.kill()


async def run_web(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    app = create_app(settings, sessions)
    sock = _listen(settings) if settings.WEB_WORKERS > 1 else None
    if sock is not None:
        config = server_config(app, sock.fileno())
    else:
        config = uvicorn.Config(
            app, host=settings.WEB_HOST, port=settings.WEB_PORT, log_config=None,
            access_log=False, proxy_headers=False, server_header=False,
        )  # fmt: skip
    workers = await _workers(sock, settings.WEB_WORKERS - 1) if sock is not None else []
    server = _Server(config)
    serving = asyncio.create_task(_serve(server))
    log.info("web console on http://%s:%d/ (%d processes)", settings.WEB_HOST, settings.WEB_PORT,
             1 + len(workers))  # fmt: skip
    waiting = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, waiting], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    served = await serving
    await _stop_workers(workers)
    if sock is not None:
        sock.close()
    if not served:
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
