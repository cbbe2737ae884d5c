"""/healthz, /readyz and /metrics over HTTP: the server `shagym run` starts on METRICS_PORT,
against a real store (SQLite and PostgreSQL) and, for the runner, the real SMTP sink."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from notify_helpers import report

from core.status import STATUS, Status
from models.db import create_engine, create_session_factory
from models.migrate import upgrade
from shagym.health import serve_health
from shagym.runner import run_service

pytest_plugins = ["notify_fixtures"]

ROOT = Path(__file__).resolve().parent.parent


@contextlib.asynccontextmanager
async def _served(sessions: Any, status: Status) -> AsyncIterator[str]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve_health(sessions, "127.0.0.1", 0, stop, status))
    async with asyncio.timeout(10):
        while status.metrics_port is None:
            await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{status.metrics_port}"
    finally:
        stop.set()
        await task


async def _get(url: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        is_json = response.content_type == "application/json"
        return response.status, await (response.json() if is_json else response.text())


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if wanted else ''} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_it_answers_that_the_process_is_alive(sessions):
    async with _served(sessions, Status()) as base:
        assert await _get(f"{base}/healthz") == (200, {"alive": True})


async def test_it_is_not_ready_until_every_configured_connection_is_up(sessions):
    status = Status()
    status.expect("smtp")
    async with _served(sessions, status) as base:
        code, body = await _get(f"{base}/readyz")
        assert code == 503 and body["problems"] == {"connection:smtp": "starting"}
        status.report("smtp", True)
        code, body = await _get(f"{base}/readyz")
        assert (code, body["ready"], body["connections"]) == (200, True, {"smtp": True})
        status.report("smtp", False, "ConnectionRefusedError")
        code, body = await _get(f"{base}/readyz")
        assert code == 503 and body["problems"] == {"connection:smtp": "ConnectionRefusedError"}


async def test_it_is_not_ready_while_the_schema_is_behind_the_migrations(database_url):
    engine = create_engine(database_url)
    await upgrade(engine, "0003")
    try:
        async with _served(create_session_factory(engine), Status()) as base:
            code, body = await _get(f"{base}/readyz")
    finally:
        await engine.dispose()
    assert code == 503 and body["problems"]["migrations"].startswith("at 0003")


async def test_it_counts_cases_and_the_outbox_backlog_in_prometheus_format(sessions, intake_ctx):
    async with _served(sessions, Status()) as base:
        _, before = await _get(f"{base}/metrics")
        await report(sessions, intake_ctx)
        await report(sessions, intake_ctx, "Ещё одно обращение о приписках.", sender="5550002")
        _, after = await _get(f"{base}/metrics")
    opened = "shagym_cases_opened_total"
    assert (
        _sample(after, opened, channel="telegram") - _sample(before, opened, channel="telegram")
        == 2
    )  # noqa: E501
    assert _sample(after, "shagym_outbox_owed", channel="email") == 2  # one alert each
    assert _sample(after, "shagym_outbox_owed", channel="telegram") == 4  # alert + ack each
    assert _sample(after, "shagym_outbox_oldest_owed_seconds") > 0
    assert "shagym_ingest_lag_seconds_bucket" in after


async def test_shagym_run_serves_health_on_metrics_port_and_is_ready_once_smtp_is(tmp_path, sink):
    from core.settings import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shagym.db'}",
        ATTACHMENTS_DIR=tmp_path / "attachments",
        COMMISSIONS_FILE=ROOT / "config" / "commissions.example.toml",
        SMTP_HOST=sink.host, SMTP_PORT=sink.port, SMTP_SECURITY="none", METRICS_PORT=0,
    )  # fmt: skip
    STATUS.metrics_port = None
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, {"outbox"}, stop))
    try:
        async with asyncio.timeout(20):
            while STATUS.metrics_port is None:
                await asyncio.sleep(0.05)
            base = f"http://127.0.0.1:{STATUS.metrics_port}"
            while (await _get(f"{base}/readyz"))[0] != 200:
                await asyncio.sleep(0.05)
        code, body = await _get(f"{base}/readyz")
        assert body["connections"]["smtp"] is True
    finally:
        stop.set()
        await service
        STATUS.forget("smtp")
        STATUS.metrics_port = None
