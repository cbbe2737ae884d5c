"""The texts a member writes when asked: the answer to relay, the reason for a reroute.

Only a reply to the bot's own prompt counts (the FSM, keyed per member in the group, says
which case and which prompt); anything else in the group is left alone.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.commission import actions
from bot.handlers.commission.callbacks import card_keyboard
from bot.handlers.commission.card import commission_label
from bot.handlers.commission.common import CaseFlow, card_text, edit_card, mention
from bot.handlers.commission.texts import words
from core.settings import Settings
from intake.answers import record_commission_answer
from models.db import SessionFactory
from models.tables import Message as ThreadMessage

log = logging.getLogger(__name__)
router = Router(name=__name__)

TEXT = F.text & ~F.text.startswith("/")


async def replies_to_prompt(message: Message, state: FSMContext) -> bool:
    replied = message.reply_to_message
    data = await state.get_data()
    return replied is not None and replied.message_id == data.get("prompt")


async def _language(sessions: SessionFactory, chat_id: int) -> str:
    async with sessions() as session:
        return await actions.group_language(session, chat_id)


@router.message(StateFilter(CaseFlow), Command("cancel"))
async def on_cancel(message: Message, state: FSMContext, sessions: SessionFactory) -> None:
    await state.clear()
    await message.reply(words(await _language(sessions, message.chat.id))["cancelled"])


async def _refuse(message: Message, state: FSMContext, refusal: actions.Refusal) -> None:
    await state.clear()
    w = words(refusal.language)
    target = commission_label(refusal.target, refusal.language) if refusal.target else ""
    text = w[f"refused_{refusal.reason}"].format(number=refusal.number, target=target)
    await message.reply(escape(text))


async def _authorise(
    session: AsyncSession, message: Message, data: dict[str, Any], action: str
) -> actions.Allowed | actions.Refusal:
    assert message.from_user is not None
    result = await actions.authorise(
        session, int(data["case"]), message.from_user.id, message.chat.id, action
    )
    if isinstance(result, actions.Refusal):
        await session.commit()  # the refusal's audit row
    return result


async def _already_recorded(session: AsyncSession, external_id: str) -> bool:
    """The same Telegram message handled again (a replay after a crash): relay it only once."""
    found = await session.exec(
        select(ThreadMessage.id).where(ThreadMessage.external_id == external_id)
    )
    return found.first() is not None


async def _record_answer(
    session: AsyncSession, allowed: actions.Allowed, message: Message
) -> None:
    assert message.from_user is not None and message.text is not None
    external_id = f"tg:{message.chat.id}:{message.message_id}"
    if await _already_recorded(session, external_id):
        return
    case = allowed.case
    await record_commission_answer(
        session, case, message.text, actor=actions.actor(message.from_user.id),
        via="telegram", external_id=external_id,
    )  # fmt: skip
    if case.assignee is None:
        case.assignee = message.from_user.id
        session.add(case)


@router.message(CaseFlow.answer, TEXT, replies_to_prompt)
async def on_answer_text(
    message: Message, state: FSMContext, sessions: SessionFactory, settings: Settings, bot: Bot
) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    who = mention(message.from_user)
    async with sessions() as session:
        allowed = await _authorise(session, message, data, "answer")
        if isinstance(allowed, actions.Allowed):
            await _record_answer(session, allowed, message)
            w = words(allowed.commission.language)
            card = await card_text(
                session, allowed, settings, w["status_answered"].format(who=who)
            )
            await session.commit()
    if isinstance(allowed, actions.Refusal):
        await _refuse(message, state, allowed)
        return
    await state.clear()
    await message.reply(w["answered"].format(number=escape(allowed.case.number), who=who))
    keyboard = card_keyboard(int(data["case"]), allowed.commission.language)
    await edit_card(bot, message.chat.id, int(data["card"]), card, keyboard)


@router.message(CaseFlow.reason, TEXT, replies_to_prompt)
async def on_reason_text(
    message: Message, state: FSMContext, sessions: SessionFactory, settings: Settings, bot: Bot
) -> None:
    assert message.from_user is not None and message.text is not None
    data = await state.get_data()
    reason, who = message.text.strip()[:500], mention(message.from_user)
    target = None
    async with sessions() as session:
        allowed = await _authorise(session, message, data, "not_ours")
        if isinstance(allowed, actions.Allowed):
            language = allowed.commission.language
            w = words(language)
            try:
                target = await actions.reroute(
                    session, allowed.case, message.from_user.id, data["target"], reason
                )
            except ValueError:  # the chosen commission is gone, or is this one
                await session.rollback()
            else:
                label = commission_label(target.code, language)
                status = w["status_rerouted"].format(target=escape(label), who=who)
                card = await card_text(session, allowed, settings, status)
                await session.commit()
    if isinstance(allowed, actions.Refusal):
        await _refuse(message, state, allowed)
        return
    await state.clear()
    if target is None:
        await message.reply(w["cancelled"])
        return
    done = w["rerouted_done"].format(
        number=escape(allowed.case.number), target=escape(label), who=who, reason=escape(reason)
    )
    await message.reply(done)
    await edit_card(bot, message.chat.id, int(data["card"]), card, None)


@router.message(StateFilter(CaseFlow), replies_to_prompt)
async def on_not_text(message: Message, sessions: SessionFactory) -> None:
    """A sticker, a photo or an empty reply to the prompt: ask again."""
    await message.reply(words(await _language(sessions, message.chat.id))["empty"])
