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
from intake.answers import record_commission_answer
from models.tables import Message as ThreadMessage
from shagym.settings import Settings

log = logging.getLogger(__name__)
router = Router(name=__name__)

TEXT = F.text & ~F.text.startswith("/")


async def replies_to_prompt(message: Message, state: FSMContext) -> bool:
    replied = message.reply_to_message
    data = await state.get_data()
    return replied is not None and replied.message_id == data.get("prompt")


@router.message(StateFilter(CaseFlow), Command("cancel"))
async def on_cancel(message: Message, state: FSMContext, session: AsyncSession) -> None:
    await state.clear()
    await message.reply(words(await actions.group_language(session, message.chat.id))["cancelled"])


async def _allowed(
    message: Message, state: FSMContext, session: AsyncSession, action: str
) -> tuple[actions.Allowed | None, dict[str, Any]]:
    data = await state.get_data()
    assert message.from_user is not None
    result = await actions.authorise(
        session, int(data["case"]), message.from_user.id, message.chat.id, action
    )
    if isinstance(result, actions.Refusal):
        await session.commit()
        await state.clear()
        w = words(result.language)
        target = commission_label(result.target, result.language) if result.target else ""
        await message.reply(
            escape(w[f"refused_{result.reason}"].format(number=result.number, target=target))
        )
        return None, data
    return result, data


async def _already_recorded(session: AsyncSession, external_id: str) -> bool:
    """The same Telegram message handled again (a replay after a crash): relay it only once."""
    found = await session.exec(
        select(ThreadMessage.id).where(ThreadMessage.external_id == external_id)
    )
    return found.first() is not None


@router.message(CaseFlow.answer, TEXT, replies_to_prompt)
async def on_answer_text(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    allowed, data = await _allowed(message, state, session, "answer")
    if allowed is None:
        return
    assert message.from_user is not None and message.text is not None
    case, w = allowed.case, words(allowed.commission.language)
    external_id = f"tg:{message.chat.id}:{message.message_id}"
    if not await _already_recorded(session, external_id):
        await record_commission_answer(
            session, case, message.text, actor=actions.actor(message.from_user.id),
            via="telegram", external_id=external_id,
        )  # fmt: skip
        if case.assignee is None:
            case.assignee = message.from_user.id
            session.add(case)
    who = mention(message.from_user)
    card = await card_text(session, allowed, settings, w["status_answered"].format(who=who))
    number = case.number
    await session.commit()
    await state.clear()
    await message.reply(w["answered"].format(number=escape(number), who=who))
    keyboard = card_keyboard(int(data["case"]), allowed.commission.language)
    await edit_card(bot, message.chat.id, int(data["card"]), card, keyboard)


@router.message(CaseFlow.reason, TEXT, replies_to_prompt)
async def on_reason_text(
    message: Message, state: FSMContext, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    allowed, data = await _allowed(message, state, session, "not_ours")
    if allowed is None:
        return
    assert message.from_user is not None and message.text is not None
    language, reason = allowed.commission.language, message.text.strip()[:500]
    w, who = words(language), mention(message.from_user)
    try:
        target = await actions.reroute(
            session, allowed.case, message.from_user.id, data["target"], reason
        )
    except ValueError:
        await state.clear()
        await message.reply(w["cancelled"])
        return
    label = commission_label(target.code, language)
    status = w["status_rerouted"].format(target=escape(label), who=who)
    card = await card_text(session, allowed, settings, status)
    number = allowed.case.number
    await session.commit()
    await state.clear()
    done = w["rerouted_done"].format(
        number=escape(number), target=escape(label), who=who, reason=escape(reason)
    )
    await message.reply(done)
    await edit_card(bot, message.chat.id, int(data["card"]), card, None)


@router.message(StateFilter(CaseFlow), replies_to_prompt)
async def on_not_text(message: Message, state: FSMContext, session: AsyncSession) -> None:
    """A sticker, a photo or an empty reply to the prompt: ask again."""
    group = await actions.group_language(session, message.chat.id)
    await message.reply(words(group)["empty"])
