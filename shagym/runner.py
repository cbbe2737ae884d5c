"""The composition root: settings → store → every configured loop, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from core.settings import Settings
from core.status import STATUS
from intake.commissions import read_file, sync_commissions
from intake.routing import CommissionsFileError
from models.db import SessionFactory
from models.migrate import serialise
from shagym.store import open_store

log = logging.getLogger("shagym.runner")

Loop = Callable[[Settings, SessionFactory, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class LoopSpec:
    name: str
    target: str  # "module:function"
    needs: Callable[[Settings], str | None]  # why it cannot start, or None


def _needs_bot(s: Settings) -> str | None:
    return None if s.BOT_TOKEN else "BOT_TOKEN is not set (get one from @BotFather)"


def _needs_imap(s: Settings) -> str | None:
    return None if s.imap_configured else "IMAP_HOST, IMAP_USER and IMAP_PASSWORD are not all set"


def _nothing(_: Settings) -> str | None:
    return None


def _needs_web_key(s: Settings) -> str | None:
    if s.WEB_SECRET_KEY is None and not s.web_on_loopback:
        return f"WEB_SECRET_KEY is not set and WEB_HOST ({s.WEB_HOST}) is not loopback"
    return None


LOOPS = (
    LoopSpec("bot", "bot.service:run_bot", _needs_bot),
    LoopSpec("mail", "mail_ingest.service:run_mail", _needs_imap),
    LoopSpec("outbox", "notify.service:run_outbox", _nothing),
    LoopSpec("digests", "notify.service:run_digests", _nothing),
    LoopSpec("retention", "shagym.retention_loop:run_retention", _nothing),
    LoopSpec("web", "web.service:run_web", _needs_web_key),
)


def _resolve(spec: LoopSpec) -> Loop | None:
    module_name, _, attribute = spec.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None
    return getattr(module, attribute, None)


async def load_commissions(settings: Settings, sessions: SessionFactory) -> None:
    try:
        specs = read_file(settings.COMMISSIONS_FILE)
    except CommissionsFileError as exc:
        raise CommissionsFileError(f"COMMISSIONS_FILE: {exc}") from None
    async with sessions() as session:
        await serialise(await session.connection(), "shagym:commissions")  # replicas start too
        count = await sync_commissions(session, specs)
        await session.commit()
    log.info("loaded %d commissions from %s", count, settings.COMMISSIONS_FILE)


def planned_loops(settings: Settings, wanted: set[str]) -> list[tuple[str, Loop]]:
    plan = []
    for name in sorted(wanted - {spec.name for spec in LOOPS}):
        log.warning("%s: not started: not part of this version yet", name)
    for spec in LOOPS:
        if spec.name not in wanted:
            continue
        reason = spec.needs(settings)
        loop = _resolve(spec) if reason is None else None
        if reason is None and loop is None:
            reason = "not part of this version yet"
        if reason:
            log.warning("%s: not started: %s", spec.name, reason)
            continue
        assert loop is not None
        plan.append((spec.name, loop))
    return plan


def expect_connections(settings: Settings, loops: list[str]) -> None:
    """/readyz waits for the connection of every loop that runs (its loop reports it)."""
    wanted = {"bot": "telegram", "mail": "imap"}
    if settings.smtp_configured:
        wanted["outbox"] = "smtp"
    for loop in loops:
        if loop in wanted:
            STATUS.expect(wanted[loop])


async def _health(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    from shagym.health import serve_health

    assert settings.METRICS_PORT is not None
    await serve_health(sessions, settings.METRICS_HOST, settings.METRICS_PORT, stop)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOP_SECONDS = 30.0  # how long the loops may take to finish once stopped


@contextlib.contextmanager
def stopping_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` while the block runs; afterwards they are removed from the
    loop and the handler found before is put back (asyncio.run's own SIGINT handler, say), so
    a Ctrl-C after the service returned is not swallowed by a stop event nobody waits on."""
    loop = asyncio.get_running_loop()
    installed: dict[signal.Signals, Any] = {}
    for sig in STOP_SIGNALS:
        previous = signal.getsignal(sig)
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            continue
        installed[sig] = previous
    try:
        yield
    finally:
        for sig, previous in installed.items():
            loop.remove_signal_handler(sig)
            if _python_level(previous):
                signal.signal(sig, previous)


def _python_level(handler: Any) -> bool:
    """A handler signal.signal can put back: not None (set outside Python) and not asyncio's
    placeholder for a handler that lived on the loop (putting that back would ignore the
    signal; another loop-level handler cannot be restored, only removed)."""
    return handler is not None and not getattr(handler, "__module__", "").startswith("asyncio.")


async def run_service(
    settings: Settings, wanted: set[str], stop: asyncio.Event | None = None
) -> None:
    stop = stop or asyncio.Event()
    with stopping_on_signals(stop):
        async with open_store(settings) as (_, sessions):
            await load_commissions(settings, sessions)
            plan = planned_loops(settings, wanted)
            expect_connections(settings, [name for name, _ in plan])
            if plan and settings.METRICS_PORT is not None:
                plan.append(("health", _health))
            if not plan:
                log.warning(
                    "no loop to run; the store is ready. Set the variables above and restart."
                )
                return
            await _run_loops(settings, sessions, plan, stop)


async def _run_loops(
    settings: Settings, sessions: SessionFactory, plan: list[tuple[str, Loop]], stop: asyncio.Event
) -> None:
    """Run every planned loop until `stop` is set or one of them ends; then stop them all and
    give them STOP_SECONDS to close what they hold before they are cancelled."""
    tasks = [asyncio.create_task(fn(settings, sessions, stop), name=name) for name, fn in plan]
    log.info("running: %s", ", ".join(name for name, _ in plan))
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        for task in tasks:
            if task in done and not task.cancelled() and task.exception():
                log.error("%s stopped", task.get_name(), exc_info=task.exception())
        _, late = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        for task in late:
            log.error("%s did not stop within %.0fs; cancelled", task.get_name(), STOP_SECONDS)
    finally:
        stop.set()
        stopper.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(stopper, *tasks, return_exceptions=True)
