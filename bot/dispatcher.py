"""`create_dispatcher`: the one factory the runner, the tests, the benchmark and the demo use."""

from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand

from bot.batch import BatchWriter
from bot.gate import gated
from bot.handlers import routers
from bot.i18n import LANGUAGES, N_, create_i18n, text_for
from bot.ledger import LedgerMiddleware, UpdateLedger
from bot.middlewares.access import AccessMiddleware, BanList, Limit, Throttle
from bot.middlewares.profile import ProfileMiddleware
from bot.profiles import Profiles
from bot.storage import SqlStorage
from core.settings import Settings
from intake.cases import IntakeContext
from models.db import SessionFactory

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", N_("Main menu")),
    ("report", N_("Report a violation")),
    ("status", N_("Check a report")),
    ("language", N_("Change the language")),
    ("help", N_("About the hotline")),
    ("cancel", N_("Cancel the current report")),
)


def create_dispatcher(
    *,
    settings: Settings,
    sessions: SessionFactory,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    throttle: Limit | None = None,
) -> Dispatcher:
    """A Dispatcher with the ledger, ban list, flood limit, i18n and the feature routers.

    FSM state goes to the SQL store unless `storage` is given (RedisStorage with REDIS_URL);
    with Redis the flood limit is kept there too, shared by every replica.
    """
    sessions = gated(sessions)  # type: ignore[assignment]
    writer = BatchWriter(sessions)
    storage = storage or SqlStorage(sessions, writer=writer)
    dp = Dispatcher(
        storage=storage,
        events_isolation=events_isolation or SimpleEventIsolation(),
        name="shagym",
    )
    lease = settings.BOT_UPDATE_LEASE_SECONDS
    ledger = UpdateLedger(
        sessions, writer, replica=settings.BOT_REPLICA_ID, **({"lease": lease} if lease else {})
    )
    profiles = Profiles(sessions, writer)
    # Outer update middlewares run in this order, after aiogram's own (errors, user, FSM).
    dp.update.outer_middleware(LedgerMiddleware(ledger))
    dp.update.outer_middleware(ProfileMiddleware(create_i18n(), profiles))
    dp.update.outer_middleware(AccessMiddleware(BanList(sessions), throttle or _limit(storage)))
    dp.include_routers(*routers())
    dp.workflow_data.update(
        settings=settings,
        sessions=sessions,
        ledger=ledger,
        writer=writer,
        profiles=profiles,
        intake_ctx=IntakeContext(
            attachments_dir=settings.ATTACHMENTS_DIR,
            zone=settings.zone,
            due_working_days=settings.DUE_WORKING_DAYS,
            receipt_key=settings.receipt_key(),
        ),
    )
    return dp


def _limit(storage: BaseStorage) -> Limit:
    redis = getattr(storage, "redis", None)  # aiogram's RedisStorage: share its connection
    if redis is None:
        return Throttle()
    from bot.middlewares.shared_throttle import RedisThrottle

    return RedisThrottle(redis)


async def set_commands(bot: Bot) -> None:
    """The command menu in every language (the public API shows the user's own)."""
    for language in LANGUAGES:
        commands = [BotCommand(command=c, description=text_for(language, d)) for c, d in COMMANDS]
        await bot.set_my_commands(commands, language_code=language)
    commands = [BotCommand(command=c, description=text_for("ru", d)) for c, d in COMMANDS]
    await bot.set_my_commands(commands)
