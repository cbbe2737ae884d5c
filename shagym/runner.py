"""The composition root: settings → store → every configured loop, in one process."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from intake.commissions import read_file, sync_commissions
from intake.routing import CommissionsFileError
from models.db import SessionFactory
from shagym.settings import Settings
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


LOOPS = (
    LoopSpec("bot", "bot.service:run_bot", _needs_bot),
    LoopSpec("mail", "mail_ingest.service:run_mail", _needs_imap),
    LoopSpec("outbox", "notify.service:run_outbox", _nothing),
    LoopSpec("digests", "notify.service:run_digests", _nothing),
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
        count = await sync_commissions(session, specs)
        await session.commit()
    log.info("loaded %d commissions from %s", count, settings.COMMISSIONS_FILE)


def planned_loops(settings: Settings, wanted: set[str]) -> list[tuple[str, Loop]]:
    plan = []
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


async def run_service(
    settings: Settings, wanted: set[str], stop: asyncio.Event | None = None
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with open_store(settings) as (_, sessions):
        await load_commissions(settings, sessions)
        plan = planned_loops(settings, wanted)
        if not plan:
            log.warning("no loop to run; the store is ready. Set the variables above and restart.")
            return
        tasks = [asyncio.create_task(fn(settings, sessions, stop), name=name) for name, fn in plan]
        log.info("running: %s", ", ".join(name for name, _ in plan) or "nothing")
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        for task in tasks:
            if task in done and task.exception():
                log.error("%s stopped", task.get_name(), exc_info=task.exception())
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
        stopper.cancel()
