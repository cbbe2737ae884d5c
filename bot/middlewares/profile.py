"""Outer middleware: the chat's profile and language, and i18n for everything after it.

A private chat speaks the language the citizen chose (remembered in the store), else the one
Telegram reports for the user; a commission group speaks its commission's language. A
message from someone marked as having blocked the bot shows they unblocked it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.i18n import DEFAULT_LANGUAGE, pick_language
from bot.profiles import Profiles

log = logging.getLogger(__name__)


class ProfileMiddleware(I18nMiddleware):
    def __init__(self, i18n: I18n, profiles: Profiles) -> None:
        super().__init__(i18n)
        self.profiles = profiles

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await super().__call__(handler, event, data)
        except TelegramForbiddenError:
            # The citizen blocked the bot (or it left a group): remember it, do not retry.
            chat: Chat | None = data.get("event_chat")
            if chat is not None and chat.type == "private":
                await self.profiles.set_blocked(chat.id, True)
            ticket = data.get("ledger_ticket")
            if ticket is not None:
                ticket.status = "blocked"
            log.info("a chat has blocked the bot; nothing more is sent to it")
            return None

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        data["profiles"] = self.profiles
        if chat is None:
            language = pick_language(user.language_code if user else None)
        elif chat.type != "private":
            language = await self.profiles.group_language(chat.id) or DEFAULT_LANGUAGE
        else:
            profile = await self.profiles.get(chat.id)
            if profile.blocked and isinstance(event, Update) and event.my_chat_member is None:
                await self.profiles.set_blocked(chat.id, False)
            language = profile.language or pick_language(user.language_code if user else None)
        data["language"] = language
        return language
