"""The health and metrics server `shagym run` starts when METRICS_PORT is set (aiohttp, on
METRICS_HOST, loopback by default):

- `/healthz`: 200 while the process serves at all (liveness);
- `/readyz`: 200 when the store answers, its schema is at the migrations' head and every
  configured channel's connection is up (`core.status`), else 503 with what is not;
- `/metrics`: Prometheus text format (`core.metrics`, plus the outbox's backlog read from the
  store just before the scrape).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import func, text
from sqlmodel import col, select

from core.metrics import CONNECTED, OLDEST, OWED
from core.status import STATUS, Status
from models.db import SessionFactory
from models.tables import Notification, NotificationStatus
from models.types import utcnow

log = logging.getLogger(__name__)

CHECK_SECONDS = 3.0
OWED_STATUSES = [NotificationStatus.pending, NotificationStatus.sending]


def _heads() -> set[str]:
    from alembic.script import ScriptDirectory

    from models.migrate import alembic_config

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def _revision(sessions: SessionFactory) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with sessions() as session:
        connection = await session.connection()
        await connection.execute(text("SELECT 1"))
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def readiness(sessions: SessionFactory, status: Status, heads: set[str]) -> dict[str, Any]:
    """What /readyz answers: `ready` and one entry per check that failed."""
    problems: dict[str, str] = {}
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            revision = await _revision(sessions)
        if revision not in heads:
            problems["migrations"] = f"at {revision}, head is {', '.join(sorted(heads))}"
    except Exception as exc:  # the store is down or refuses us: not ready, say why
        problems["store"] = type(exc).__name__
    problems.update({f"connection:{name}": why for name, why in status.down().items()})
    connections = {name: c.connected for name, c in status.connections.items()}
    return {"ready": not problems, "problems": problems, "connections": connections}


async def refresh_gauges(sessions: SessionFactory, status: Status) -> None:
    """The backlog as the store has it now, and each connection's state."""
    async with sessions() as session:
        rows = await session.exec(
            select(Notification.channel, func.count(), func.min(Notification.created_at))
            .where(col(Notification.status).in_(OWED_STATUSES))
            .group_by(col(Notification.channel))
        )
        OWED.clear()
        oldest = None
        for channel, count, first in rows:
            OWED.labels(channel).set(count)
            oldest = first if oldest is None else min(oldest, first)
    OLDEST.set((utcnow() - oldest).total_seconds() if oldest is not None else 0.0)
    for name, connection in status.connections.items():
        CONNECTED.labels(name).set(1.0 if connection.connected else 0.0)


def make_app(sessions: SessionFactory, status: Status = STATUS) -> web.Application:
    heads = _heads()

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"alive": True})

    async def readyz(_: web.Request) -> web.Response:
        answer = await readiness(sessions, status, heads)
        return web.json_response(answer, status=200 if answer["ready"] else 503)

    async def metrics(_: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                await refresh_gauges(sessions, status)
        except Exception:  # the counters are still worth serving without the backlog
            log.warning("metrics: the store did not answer; backlog gauges are stale")
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve_health(
    sessions: SessionFactory, host: str, port: int, stop: asyncio.Event, status: Status = STATUS
) -> None:
    """Serve until `stop` is set; `port` 0 takes a free one (logged)."""
    runner = web.AppRunner(make_app(sessions, status), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    status.metrics_port = bound
    log.info("health and metrics on http://%s:%s/", host, bound)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
