"""Pieces the group's button and reply handlers share."""

from __future__ import annotations

import contextlib
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup, User
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.commission.actions import Allowed
from bot.handlers.commission.card import load_card, render_card
from core.settings import Settings


class CaseFlow(StatesGroup):
    answer = State()  # waiting for the answer to relay
    reason = State()  # waiting for the reason of a reroute


def mention(user: User) -> str:
    return f'<a href="tg://user?id={user.id}">{escape(user.full_name)}</a>'


async def card_text(
    session: AsyncSession, allowed: Allowed, settings: Settings, status: str
) -> str:
    """The case's card as it is now, with `status` as its last line."""
    data = await load_card(session, allowed.case)
    base = settings.WEB_BASE_URL
    url = f"{base}/cases/{allowed.case.number}" if base else None
    return render_card(data, allowed.commission.language, settings.zone, status, case_url=url)


async def edit_card(
    bot: Bot, chat_id: int, message_id: int, text: str | None, markup: InlineKeyboardMarkup | None
) -> None:
    """Replace the card's text (or, with `text` None, only its buttons)."""
    with contextlib.suppress(TelegramBadRequest):  # too old to edit, or unchanged
        if text is None:
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        else:
            await bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
