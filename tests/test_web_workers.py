"""`WEB_WORKERS`: the console served by more than one process on one socket, started and
stopped with the console's loop."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import httpx
import pytest

from core.settings import load_settings
from web.service import run_web


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # the processes share the store whichever it is


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers() -> list[int]:
    """Our child processes running `web.worker`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if f"PPid:\t{os.getpid()}\n" in status and b"web.worker" in command:
            found.append(int(entry.name))
    return found


async def _get(base: str, path: str, tries: int = 100) -> int:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(tries):
            try:
                return (await client.get(path)).status_code
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    return 0


async def test_it_serves_from_several_processes_and_stops_them_all(
    sessions, database_url, tmp_path, monkeypatch
):
    port = _free_port()
    # The worker processes read the environment, as `shagym web` does.
    for name, value in {"DATABASE_URL": database_url, "WEB_PORT": str(port), "WEB_WORKERS": "3",
                        "WEB_SECRET_KEY": "k" * 64, "DATA_KEY": "d" * 64, "HASH_KEY": "e" * 64,
                        "ATTACHMENTS_DIR": str(tmp_path / "attachments")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    stop = asyncio.Event()
    task = asyncio.create_task(run_web(load_settings(), sessions, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        assert await _get(base, "/login") == 200
        assert len(_workers()) == 2
        codes = await asyncio.gather(*(_get(base, "/login") for _ in range(30)))
        assert set(codes) == {200}
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
    assert _workers() == []
    assert await _get(base, "/login", tries=1) == 0  # nobody listens any more
