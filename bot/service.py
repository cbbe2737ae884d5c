"""The bot's loop for the runner: `run_bot(settings, sessions, stop)`.

`serve(dp, bot, stop)` is the part tests and the benchmark share: it hands the unfinished
ledger rows to the dispatcher again, polls until `stop` is set, and lets the updates in
hand finish before it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update

from bot.api import make_bot
from bot.dispatcher import create_dispatcher, set_commands
from bot.ledger import LedgerPrefetch, UpdateLedger
from core.settings import Settings
from core.status import STATUS
from intake.analyse import analyse
from intake.routing import due_date
from models.db import SessionFactory
from models.types import utcnow

log = logging.getLogger(__name__)

DRAIN_SECONDS = 20.0


async def replay_unfinished(dp: Dispatcher, bot: Bot, older_than: float = 0.0) -> int:
    """Handle again, oldest first, what a crash or a failing handler left unfinished (claimed
    `older_than` seconds ago or earlier: 0 for the one polling process, the ledger's lease for
    replicas behind a webhook, which may hold updates another live replica is handling)."""
    ledger: UpdateLedger = dp["ledger"]
    payloads = await ledger.unfinished(older_than=older_than)
    for payload in payloads:
        try:
            update = Update.model_validate(payload, context={"bot": bot})
            await dp.feed_update(bot, update)
        except Exception:  # one bad update must not keep the bot from starting
            log.exception("update %s failed again on replay", payload.get("update_id"))
    if payloads:
        log.info("replayed %d unfinished updates", len(payloads))
    return len(payloads)


class ConnectionReporter(BaseRequestMiddleware):
    """Tells `core.status` whether the Bot API answers (for /readyz): every call that gets an
    answer says it is up, one that fails on the network or with a 5xx says it is down."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            response = await make_request(bot, method)
        except (TelegramNetworkError, TelegramServerError) as exc:
            STATUS.report("telegram", False, type(exc).__name__)
            raise
        except TelegramAPIError:
            STATUS.report("telegram", True)  # an answer, if not the one hoped for
            raise
        STATUS.report("telegram", True)
        return response


async def keep_replaying(dp: Dispatcher, bot: Bot, stop: asyncio.Event) -> None:
    """For replicas behind one webhook: every third of the lease, renew the claims of the
    updates in hand (however long they take, nobody takes them over), then take over and
    handle what a replica that died left unfinished past the lease."""
    ledger: UpdateLedger = dp["ledger"]
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ledger.lease / 3)
        if stop.is_set():
            return
        try:
            await ledger.renew()
            await replay_unfinished(dp, bot, older_than=ledger.lease)
        except Exception:  # the store is away: the next sweep tries again
            log.warning("replaying unfinished updates failed", exc_info=True)


async def serve(
    dp: Dispatcher, bot: Bot, stop: asyncio.Event, *, polling_timeout: int = 10
) -> None:
    """Replay the ledger, then poll until `stop` is set."""
    bot.session.middleware(ConnectionReporter())
    bot.session.middleware(LedgerPrefetch(dp["ledger"]))
    settings: Settings = dp["settings"]
    shared = settings.BOT_UPDATE_LEASE_SECONDS is not None  # other bot processes may be alive
    # The sweep also renews the claims of what the start-up replay has in hand.
    sweeping = asyncio.create_task(keep_replaying(dp, bot, stop)) if shared else None
    await replay_unfinished(dp, bot, older_than=dp["ledger"].lease if shared else 0.0)
    with contextlib.suppress(TelegramAPIError):
        await bot.delete_webhook(drop_pending_updates=False)
    polling = asyncio.create_task(
        dp.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=polling_timeout
        ),
        name="bot-polling",
    )
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([polling, stopper], return_when=asyncio.FIRST_COMPLETED)
    if not polling.done():
        await dp.stop_polling()
    stopper.cancel()
    if sweeping is not None:
        sweeping.cancel()
        await asyncio.gather(sweeping, return_exceptions=True)
    await drain(dp)
    if polling.done() and polling.exception():
        raise polling.exception()  # type: ignore[misc]


async def drain(dp: Dispatcher) -> None:
    """Let the updates being handled finish (their ledger rows say so)."""
    ledger: UpdateLedger = dp["ledger"]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            await ledger.wait_idle()
    if ledger.in_flight:
        log.warning(
            "%d updates still in hand at shutdown; the ledger replays them", ledger.in_flight
        )
    await dp["writer"].close()


def prepare_process() -> None:
    """Load intake's dictionaries now rather than on the first report, then freeze what is on
    the heap so that the collector stops walking it: a full collection of the loaded heap
    paused the loop for 100-250 ms."""
    analyse("Прошу проверить: в Акмолинской области записали в партию без согласия.")
    due_date(utcnow(), ZoneInfo("UTC"))  # loads the holiday calendar: ~75 ms on a first Send
    gc.collect()
    gc.freeze()


# Connections one bot process keeps to Redis, and how long an update waits for one: enough
# for a burst's lock polls and state reads; a wait is seconds at worst, never an error.
REDIS_MAX_CONNECTIONS, REDIS_POOL_WAIT_SECONDS = 64, 30.0


def fsm_storage(settings: Settings) -> dict[str, Any]:
    """Redis for the dialogues' state when REDIS_URL is set (several bot processes, or state
    kept apart from the case store), with Redis locks isolating each chat's updates; else
    the SQL store's own storage (create_dispatcher's default)."""
    if not settings.REDIS_URL:
        return {}
    from aiogram.fsm.storage.redis import RedisStorage
    from redis import exceptions as redis_errors
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    # A pooled connection the server or a proxy has dropped fails its next write: retried on
    # a fresh connection instead of failing the citizen's update. The pool waits for a free
    # connection rather than raising: aiogram's default pool (100, then MaxConnectionsError)
    # failed a third of the dialogues of a burst of 50 new citizens a second.
    retry = Retry(ExponentialBackoff(cap=2.0, base=0.05), retries=3)
    pool = BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_POOL_WAIT_SECONDS,
        retry=retry,
        retry_on_error=[redis_errors.ConnectionError, redis_errors.TimeoutError],
        health_check_interval=30,
    )
    storage = RedisStorage(redis=Redis(connection_pool=pool))
    return {"storage": storage, "events_isolation": storage.create_isolation()}


async def run_bot(settings: Settings, sessions: SessionFactory, stop: asyncio.Event) -> None:
    """The runner's entry point: build the Bot and the Dispatcher, serve until `stop`."""
    assert settings.BOT_TOKEN is not None
    await asyncio.to_thread(prepare_process)
    bot = make_bot(settings.BOT_TOKEN.get_secret_value(), settings.TELEGRAM_API_BASE)
    dp = create_dispatcher(settings=settings, sessions=sessions, **fsm_storage(settings))
    try:
        with contextlib.suppress(TelegramAPIError):
            await set_commands(bot)
        if settings.BOT_MODE == "webhook":
            from bot.webhook import serve_webhook

            await serve_webhook(dp, bot, stop, settings)
        else:
            await serve(dp, bot, stop)
    finally:
        await bot.session.close()
