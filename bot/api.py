"""Building an aiogram `Bot` for a given Bot API base URL (the public API, a local Bot API
server, or the emulator in `sandbox.telegram`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.retry import QuietCallbackAnswers, RetryMiddleware, RetryPolicy
from bot.session import FastSession

PUBLIC_BOT_API = "https://api.telegram.org"


def make_bot(
    token: str,
    api_base: str = PUBLIC_BOT_API,
    *,
    retry: RetryPolicy | None = None,
    timeout: float = 60.0,
) -> Bot:
    """A Bot that speaks HTML by default and retries 429/5xx within `retry`.

    `retry=RetryPolicy(attempts=1)` disables inline retries (the caller schedules them).
    """
    server = TelegramAPIServer.from_base(api_base)
    session = FastSession(api=server, timeout=timeout)
    session.middleware(RetryMiddleware(retry))
    session.middleware(QuietCallbackAnswers())
    return Bot(
        token=token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def retry_middleware(bot: Bot) -> RetryMiddleware | None:
    """The bot's RetryMiddleware, to read how many calls it repeated."""
    for middleware in bot.session.middleware:
        if isinstance(middleware, RetryMiddleware):
            return middleware
    return None
