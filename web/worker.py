"""One more process serving the console on a listening socket it inherited from `run_web`
(`python -m web.worker FD`), with the same settings from the environment. It opens the store
the way the runner does (the keyring first) but never migrates: the runner already did."""

from __future__ import annotations

import asyncio
import os
import sys

import uvicorn

from core.crypto import install_keyring
from core.logs import configure_logging
from core.settings import load_settings
from models.db import create_engine, create_session_factory
from web.app import create_app


def server_config(app: object, fd: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, fd=fd, log_config=None, access_log=False, proxy_headers=False,  # type: ignore[arg-type]
        server_header=False,
    )  # fmt: skip


async def _orphaned(server: uvicorn.Server, parent: int) -> None:
    """Stop when the parent is gone (killed without the chance to stop us): an orphan would
    go on accepting on the socket with nobody to stop it."""
    while os.getppid() == parent:
        await asyncio.sleep(1)
    server.should_exit = True


async def serve(fd: int) -> None:
    settings = load_settings()
    configure_logging(settings.LOG_LEVEL)
    install_keyring(settings.keyring())
    engine = create_engine(settings.DATABASE_URL)
    app = create_app(settings, create_session_factory(engine))
    server = uvicorn.Server(server_config(app, fd))  # its own signal handling: SIGTERM stops it
    watch = asyncio.create_task(_orphaned(server, os.getppid()))
    try:
        await server.serve()
    finally:
        watch.cancel()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
