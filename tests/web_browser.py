"""A live console for the browser tests: uvicorn on a free loopback port in its own thread
(its own event loop and engine over the test's SQLite file), and a headless Chromium from
Debian's packages driven by Selenium."""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from core.settings import Settings
from models.db import create_engine, create_session_factory
from web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")  # fmt: skip


def browser_skip_reason() -> str | None:
    if not CHROMIUM or not CHROMEDRIVER:
        return "chromium and chromium-driver are not installed (make system-deps installs them)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_console(settings: Settings) -> Iterator[str]:
    """Serve the console for `settings` until the block ends; yields its base URL."""
    port = _free_port()
    ready = threading.Event()
    holder: dict[str, uvicorn.Server] = {}

    async def serve() -> None:
        engine = create_engine(settings.DATABASE_URL)
        app = create_app(settings, create_session_factory(engine))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))  # fmt: skip
        holder["server"] = server
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(server._serve())  # noqa: SLF001 - no signal capture in a thread
        while not server.started:
            await asyncio.sleep(0.02)
        ready.set()
        await task
        await engine.dispose()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(20), "the console did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        holder["server"].should_exit = True
        thread.join(10)


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="shagym-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
