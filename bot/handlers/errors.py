"""The error boundary: a blocked chat is remembered; anything else gets a polite apology.

The update ledger has already recorded the failure (the update is handled again on the next
start), so what the citizen sent is not lost.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import ErrorEvent

from bot.i18n import N_, text_for
from bot.profiles import Profiles

router = Router(name=__name__)

# This handler runs outside the i18n middleware, so the language is applied by hand.
APOLOGY = N_(
    "Sorry, something went wrong on our side. What you sent is saved; please try again in a "
    "minute."
)
log = logging.getLogger(__name__)


@router.errors()
async def on_error(
    event: ErrorEvent, bot: Bot, profiles: Profiles | None = None, language: str = "ru"
) -> bool:
    chat = _chat_id(event)
    if isinstance(event.exception, TelegramForbiddenError):
        if chat is not None and chat > 0 and profiles is not None:
            await profiles.set_blocked(chat, True)
        log.info("update %d: the user has blocked the bot", event.update.update_id)
        return True
    log.error(
        "update %d failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    if chat is not None and chat > 0:
        try:
            await bot.send_message(
                chat,
                text_for(language, APOLOGY),
            )
        except TelegramAPIError as exc:
            log.info("apology not delivered: %s", type(exc).__name__)
    return True


def _chat_id(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return None
