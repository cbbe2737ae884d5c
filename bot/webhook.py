"""The bot by webhook (BOT_MODE=webhook): Telegram POSTs each update to WEBHOOK_URL, served
here on WEBHOOK_HOST:WEBHOOK_PORT (behind the deployment's TLS proxy).

A request is answered 401, with nothing recorded, unless it carries WEBHOOK_SECRET in
`X-Telegram-Bot-Api-Secret-Token` (compared in constant time). An accepted update is written
to the ledger before the 200 goes out — once Telegram has its 200 it never sends the update
again, so it must be safe in the store first — and is then handled in the background by the
same dispatcher polling uses (`bot.dispatcher.create_dispatcher`). A second delivery of an
update (Telegram retries after a non-2xx or a timeout) finds it in the ledger and is a no-op.
If the ledger cannot be written the answer is a 500 and Telegram delivers again.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.ledger import UpdateLedger
from core.settings import Settings
from core.status import STATUS

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookHandler:
    def __init__(self, dp: Dispatcher, bot: Bot, secret: str) -> None:
        self.dp = dp
        self.bot = bot
        self.secret = secret.encode()
        self.ledger: UpdateLedger = dp["ledger"]
        self._tasks: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (ValueError, ValidationError):
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        try:
            await self.ledger.record([update])
        except Exception:  # not safe yet: Telegram must deliver it again
            log.error("update %s: could not be recorded", update.update_id, exc_info=True)
            return web.json_response({"ok": False}, status=500)
        task = asyncio.create_task(self._handle(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({"ok": True})

    async def _handle(self, update: Update) -> None:
        try:
            await self.dp.feed_update(self.bot, update)
        except Exception:  # marked failed in the ledger; replayed on the next start
            log.exception("update %s failed", update.update_id)

    async def wait_handled(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def webhook_path(settings: Settings) -> str:
    assert settings.WEBHOOK_URL is not None
    return urlsplit(settings.WEBHOOK_URL).path or "/"


async def serve_webhook(dp: Dispatcher, bot: Bot, stop: asyncio.Event, settings: Settings) -> None:
    """Listen, set the webhook with the update types the routers use, serve until `stop`."""
    from bot.service import ConnectionReporter, drain, keep_replaying, replay_unfinished

    assert settings.WEBHOOK_URL is not None and settings.WEBHOOK_SECRET is not None
    secret = settings.WEBHOOK_SECRET.get_secret_value()
    bot.session.middleware(ConnectionReporter())
    # Replicas behind one webhook URL: sweep what a dead one left past the lease, and take
    # over at start only what is that old (a live replica may hold the rest), as serve() does.
    shared = settings.BOT_UPDATE_LEASE_SECONDS is not None
    sweeping = asyncio.create_task(keep_replaying(dp, bot, stop)) if shared else None
    await replay_unfinished(dp, bot, older_than=dp["ledger"].lease if shared else 0.0)
    handler = WebhookHandler(dp, bot, secret)
    app = web.Application()
    app.router.add_post(webhook_path(settings), handler.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.WEBHOOK_HOST, settings.WEBHOOK_PORT).start()
    try:
        await bot.set_webhook(
            settings.WEBHOOK_URL,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        STATUS.report("telegram", True)
        log.info(
            "bot: webhook set; listening on %s:%s", settings.WEBHOOK_HOST, settings.WEBHOOK_PORT
        )  # noqa: E501
        await stop.wait()
    finally:
        await runner.cleanup()  # no new updates; Telegram keeps what it could not deliver
        await handler.wait_handled()
        if sweeping is not None:
            sweeping.cancel()
            await asyncio.gather(sweeping, return_exceptions=True)
        await drain(dp)
