"""The bot by webhook (BOT_MODE=webhook) with the real aiogram client: `run_bot` sets the
webhook on the emulator, which POSTs updates to it and retries as Telegram does; the secret
is checked, the update is in the ledger before the 200, a redelivery is a no-op."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import bot_fixtures
import pytest
from sqlmodel import select

from bot.service import run_bot
from core.settings import SettingsError, load_settings
from models.db import SessionFactory
from models.tables import TelegramUpdate
from sandbox.telegram import TelegramEmulator

tg_store = bot_fixtures.tg_store
SECRET = "s3cret-Token_for-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Running:
    def __init__(self, emu: TelegramEmulator, sessions: SessionFactory, url: str) -> None:
        self.emu, self.sessions, self.url = emu, sessions, url

    async def ledger(self) -> list[TelegramUpdate]:
        """The ledger's rows once none is being handled any more."""
        async with asyncio.timeout(10):
            while True:
                async with self.sessions() as session:
                    rows = list((await session.exec(select(TelegramUpdate))).all())
                if all(row.status != "received" for row in rows):
                    return rows
                await asyncio.sleep(0.05)


@pytest.fixture
async def webhook_bot(
    tg_store: tuple[str, SessionFactory], tmp_path: Path
) -> AsyncIterator[Running]:
    url, sessions = tg_store
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    async with TelegramEmulator() as emu:
        emu.webhook_timeout = 1.0
        settings = load_settings(
            DATABASE_URL=url, BOT_TOKEN=emu.token, TELEGRAM_API_BASE=emu.base_url,
            ATTACHMENTS_DIR=tmp_path / "attachments", BOT_MODE="webhook", WEBHOOK_URL=hook,
            WEBHOOK_SECRET=SECRET, WEBHOOK_PORT=port,
        )  # fmt: skip
        stop = asyncio.Event()
        task = asyncio.create_task(run_bot(settings, sessions, stop))
        await emu.wait_until(lambda: emu.webhook is not None)
        try:
            yield Running(emu, sessions, hook)
        finally:
            stop.set()
            async with asyncio.timeout(30):
                await task


async def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, json=body, headers=headers) as response,
    ):
        return response.status


async def test_it_sets_the_webhook_with_its_secret_and_answers_by_it(webhook_bot):
    emu = webhook_bot.emu
    assert emu.webhook.url == webhook_bot.url and emu.webhook.secret == SECRET
    assert "message" in emu.webhook.allowed_updates
    user = emu.user(8101, "Dana", language_code="ru")
    hello = await user.say("/start")
    assert "Dana" in hello.text
    [row] = await webhook_bot.ledger()
    assert row.status == "done"
    assert emu.webhook.deliveries == [(row.update_id, 200)]


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}])
async def test_it_answers_401_and_records_nothing_without_the_secret(webhook_bot, headers):
    update = {"update_id": 777, "message": {"message_id": 1, "date": 0, "text": "/start",
              "chat": {"id": 8102, "type": "private"}, "from": {"id": 8102, "is_bot": False,
              "first_name": "Eve"}}}  # fmt: skip
    assert await _post(webhook_bot.url, update, headers) == 401
    assert await webhook_bot.ledger() == []
    assert webhook_bot.emu.count("sendMessage") == 0


async def test_a_500_is_delivered_again_and_handled_once(webhook_bot, monkeypatch):
    emu = webhook_bot.emu
    from bot.ledger import UpdateLedger

    original, failures = UpdateLedger.record, []

    async def failing_once(self: UpdateLedger, updates: Any) -> None:
        if not failures:
            failures.append(updates[0].update_id)
            raise OSError("the store is away")
        await original(self, updates)

    monkeypatch.setattr(UpdateLedger, "record", failing_once)
    user = emu.user(8103, "Aru", language_code="ru")
    await user.say("/start")
    [row] = await webhook_bot.ledger()
    assert [status for _, status in emu.webhook.deliveries] == [500, 200]
    await emu.wait_until(lambda: not emu.webhook.queue)
    assert len(user.chat.sent) == 1 and row.status == "done"


async def test_a_delivery_that_times_out_is_delivered_again_and_recorded_once(
    webhook_bot, monkeypatch
):
    emu = webhook_bot.emu
    from bot.ledger import UpdateLedger

    original, slowed = UpdateLedger.record, []

    async def slow_once(self: UpdateLedger, updates: Any) -> None:
        await original(self, updates)
        if not slowed:  # recorded, but the 200 comes after Telegram stopped waiting
            slowed.append(True)
            await asyncio.sleep(emu.webhook_timeout * 1.5)

    monkeypatch.setattr(UpdateLedger, "record", slow_once)
    user = emu.user(8104, "Bek", language_code="ru")
    await user.say("/start")
    await emu.wait_until(lambda: not emu.webhook.queue, timeout=10)
    await asyncio.sleep(0.3)  # let a second handling, if any, send its message
    assert [status for _, status in emu.webhook.deliveries] == ["TimeoutError", 200]
    assert len(user.chat.sent) == 1
    [row] = await webhook_bot.ledger()
    assert row.status == "done"


async def test_getupdates_is_refused_while_the_webhook_is_set(webhook_bot):
    emu = webhook_bot.emu
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{emu.base_url}/bot{emu.token}/getUpdates") as response,
    ):
        assert response.status == 409


def test_webhook_mode_needs_its_url_and_secret():
    with pytest.raises(SettingsError, match="WEBHOOK_URL and WEBHOOK_SECRET"):
        load_settings(BOT_MODE="webhook", WEBHOOK_URL="https://hotline.example.kz/tg")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings(WEBHOOK_SECRET="has spaces")
