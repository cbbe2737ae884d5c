"""Fixtures for the bot tests: the Bot API emulator, a migrated store, and the real Dispatcher
polling the emulator over HTTP. Test modules bind the fixtures they use by assignment
(`tg = bot_fixtures.tg`).

    async def test_it_…(tg: BotHarness) -> None:
        alice = tg.user(1001, "Alice", language_code="ru")
        menu = await alice.say("/start")
        await tg.restart()                     # a new Bot and Dispatcher on the same store
        row = await tg.ledger_status(update_id)
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from sqlmodel import select

from bot.api import make_bot
from bot.dispatcher import create_dispatcher
from bot.middlewares.access import Throttle
from bot.service import fsm_storage, serve
from core.settings import Settings, load_settings
from intake.commissions import read_file, sync_commissions
from models.db import SessionFactory, create_engine, create_session_factory
from models.migrate import upgrade
from models.tables import Case, TelegramUpdate
from sandbox.telegram import SentMessage, TelegramEmulator, UserDriver

ROOT = Path(__file__).resolve().parent.parent
COMMISSIONS = ROOT / "config" / "commissions.example.toml"
_TEMPLATE: dict[str, Path] = {}


async def migrated_sqlite(directory: Path, template_dir: Path) -> str:
    """A migrated SQLite store with the example commissions, copied from a per-run template
    (migrating once is most of the cost of a fresh store)."""
    if "db" not in _TEMPLATE:
        template = template_dir / "template.db"
        engine = create_engine(f"sqlite+aiosqlite:///{template}")
        await upgrade(engine)
        factory = create_session_factory(engine)
        async with factory() as session:
            await sync_commissions(session, read_file(COMMISSIONS))
            await session.commit()
        await engine.dispose()  # the last connection to close folds the WAL into the file
        _TEMPLATE["db"] = template
    target = directory / "shagym.db"
    shutil.copyfile(_TEMPLATE["db"], target)
    return f"sqlite+aiosqlite:///{target}"


@dataclass
class BotHarness:
    """The emulator, the store, and the bot polling it; `restart()` swaps in a new bot."""

    emu: TelegramEmulator
    sessions: SessionFactory
    settings: Settings
    throttle: Throttle | None = None
    dp: Dispatcher | None = None
    bot: Bot | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.bot = make_bot(self.emu.token, self.emu.base_url)
        self.dp = create_dispatcher(
            settings=self.settings,
            sessions=self.sessions,
            throttle=self.throttle,
            **fsm_storage(self.settings),
        )
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(serve(self.dp, self.bot, self._stop))

    async def stop(self) -> None:
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None
        if self.bot is not None:
            await self.bot.session.close()
            self.bot = None

    async def crash(self) -> None:
        """Die like a killed process: no draining, updates in hand abandoned mid-handler."""
        assert self.dp is not None and self._task is not None and self.bot is not None
        in_hand = list(self.dp._handle_update_tasks)
        for task in [self._task, *in_hand]:
            task.cancel()
        await asyncio.gather(self._task, *in_hand, return_exceptions=True)
        await self.dp["writer"].close()
        await self.bot.session.close()
        self._task, self.bot = None, None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def user(self, user_id: int, first_name: str = "Citizen", **kwargs: Any) -> UserDriver:
        return self.emu.user(user_id, first_name, **kwargs)

    async def ledger(self, update_id: int) -> TelegramUpdate | None:
        async with self.sessions() as session:
            return await session.get(TelegramUpdate, update_id)

    async def cases(self) -> list[Case]:
        async with self.sessions() as session:
            return list((await session.exec(select(Case).order_by(Case.id))).all())  # type: ignore[arg-type]

    async def ended(self, update_id: int, times: int = 1) -> TelegramUpdate | None:
        """Wait until the bot has finished (or skipped) an update; its ledger row."""
        assert self.dp is not None
        async with asyncio.timeout(15):
            await self.dp["ledger"].wait_ended(update_id, times)
        return await self.ledger(update_id)


@pytest.fixture
async def tg_store(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, SessionFactory]]:
    url = await migrated_sqlite(tmp_path, tmp_path_factory.getbasetemp())
    engine = create_engine(url)
    yield url, create_session_factory(engine)
    await engine.dispose()


@contextlib.asynccontextmanager
async def running_bot(
    url: str, sessions: SessionFactory, tmp_path: Path, **extra: Any
) -> AsyncIterator[BotHarness]:
    async with TelegramEmulator() as emu:
        settings = load_settings(
            DATABASE_URL=url,
            ATTACHMENTS_DIR=tmp_path / "attachments",
            BOT_TOKEN=emu.token,
            TELEGRAM_API_BASE=emu.base_url,
            **extra,
        )
        harness = BotHarness(emu, sessions, settings)
        await harness.start()
        try:
            yield harness
        finally:
            await harness.stop()


@pytest.fixture
async def tg(tg_store: tuple[str, SessionFactory], tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot on a SQLite store."""
    url, sessions = tg_store
    async with running_bot(url, sessions, tmp_path) as harness:
        yield harness


@pytest.fixture
async def tg_db(
    database_url: str, sessions: SessionFactory, tmp_path: Path
) -> AsyncIterator[BotHarness]:
    """The bot on SQLite and on PostgreSQL (when one is reachable)."""
    async with running_bot(database_url, sessions, tmp_path) as harness:
        yield harness


async def walk_to_summary(
    user: UserDriver,
    *,
    category: str = "vote_buying",
    region: str = "AKM",
    place: str | None = "Бурабайский район, Щучинск",
    text: str = "На встрече в школе раздавали продуктовые пакеты тем, кто обещал голосовать.",
) -> None:
    """Start a report from the menu and answer every step by button data; the chat's cursor
    ends at the summary."""
    await user.say("/report")
    await tap(user, f"p:cat:{category}")
    await tap(user, f"p:reg:{region}")
    if place is None:
        await tap(user, "n:skip_place")
    else:
        await user.say(place)
    user.chat.skip()
    await user.send(text)
    await user.chat.next_message()
    await tap(user, "n:next")
    await tap(user, "n:anonymous")


async def tap(user: UserDriver, data: str) -> SentMessage:
    """Press the button with this callback data; the bot's next new or edited message."""
    user.chat.skip()
    await user.press(data=data)
    return await user.chat.next()


async def send_report(user: UserDriver) -> SentMessage:
    """Press Send on the summary; the confirmation (the summary, edited into it)."""
    user.chat.skip()
    await user.press(data="n:send")
    return await user.chat.next()
