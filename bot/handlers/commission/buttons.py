"""The buttons under a case card: Take, Answer, Resolve, Not ours (and their sub-menus).

Rules live in `actions`; these handlers open a short store session, authorise, apply and
commit, and only then talk to Telegram or write FSM state (so no transaction, and on SQLite no
write lock, is held across a network call or the FSM storage's own writes). Answer and Not ours ask the member for a
text with a ForceReply prompt; `replies` takes it.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, ForceReply
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.commission import actions
from bot.handlers.commission.callbacks import (
    CaseAction,
    card_keyboard,
    reroute_keyboard,
    resolve_keyboard,
)
from bot.handlers.commission.card import commission_label
from bot.handlers.commission.common import CaseFlow, card_text, edit_card, mention
from bot.handlers.commission.texts import words
from core.settings import Settings
from models.db import SessionFactory

log = logging.getLogger(__name__)
router = Router(name=__name__)


async def _refused(callback: CallbackQuery, refusal: actions.Refusal) -> None:
    language = refusal.language
    w = words(language)
    target = commission_label(refusal.target, language) if refusal.target else ""
    text = w[f"refused_{refusal.reason}"].format(number=refusal.number, target=target)
    await callback.answer(text, show_alert=True)


async def _authorise(
    session: AsyncSession, callback: CallbackQuery, data: CaseAction
) -> actions.Allowed | actions.Refusal:
    assert callback.message is not None
    result = await actions.authorise(
        session, data.case_id, callback.from_user.id, callback.message.chat.id, data.action
    )
    if isinstance(result, actions.Refusal):
        await session.commit()  # the refusal's audit row
    return result


def _where(callback: CallbackQuery) -> tuple[Bot, int, int]:
    assert callback.message is not None and callback.bot is not None
    return callback.bot, callback.message.chat.id, callback.message.message_id


@router.callback_query(CaseAction.filter(F.action == "take"))
async def on_take(
    callback: CallbackQuery,
    callback_data: CaseAction,
    sessions: SessionFactory,
    settings: Settings,
) -> None:
    async with sessions() as session:
        allowed = await _authorise(session, callback, callback_data)
        if isinstance(allowed, actions.Allowed):
            await actions.take(session, allowed.case, callback.from_user.id)
            w = words(allowed.commission.language)
            status = w["status_assigned"].format(who=mention(callback.from_user))
            card = await card_text(session, allowed, settings, status)
            await session.commit()
    if isinstance(allowed, actions.Refusal):
        await _refused(callback, allowed)
        return
    taken = w["taken"].format(number=allowed.case.number, who=callback.from_user.full_name)
    await callback.answer(taken)
    keyboard = card_keyboard(callback_data.case_id, allowed.commission.language)
    await edit_card(*_where(callback), card, keyboard)


@router.callback_query(CaseAction.filter(F.action.in_({"resolve", "not_ours", "back"})))
async def on_menu(
    callback: CallbackQuery, callback_data: CaseAction, sessions: SessionFactory
) -> None:
    """Swap the card's buttons for a sub-menu (resolutions, commissions) or back."""
    async with sessions() as session:
        allowed = await _authorise(session, callback, callback_data)
        if isinstance(allowed, actions.Allowed):
            targets = await actions.reroute_targets(session, allowed.case)
    if isinstance(allowed, actions.Refusal):
        await _refused(callback, allowed)
        return
    language, case_id = allowed.commission.language, callback_data.case_id
    if callback_data.action == "resolve":
        markup = resolve_keyboard(case_id, language)
    elif callback_data.action == "not_ours":
        labels = [(c.code, commission_label(c.code, language)) for c in targets]
        markup = reroute_keyboard(case_id, language, labels)
    else:
        markup = card_keyboard(case_id, language)
    await callback.answer()
    await edit_card(*_where(callback), None, markup)


@router.callback_query(CaseAction.filter(F.action == "resolve_as"))
async def on_resolve(
    callback: CallbackQuery,
    callback_data: CaseAction,
    sessions: SessionFactory,
    settings: Settings,
) -> None:
    resolution_code = callback_data.arg
    if resolution_code not in actions.RESOLUTIONS:
        await callback.answer()
        return
    async with sessions() as session:
        allowed = await _authorise(session, callback, callback_data)
        if isinstance(allowed, actions.Allowed):
            await actions.resolve(session, allowed.case, callback.from_user.id, resolution_code)
            w = words(allowed.commission.language)
            who = mention(callback.from_user)
            status = w["status_resolved"].format(resolution=w[resolution_code], who=who)
            card = await card_text(session, allowed, settings, status)
            await session.commit()
    if isinstance(allowed, actions.Refusal):
        await _refused(callback, allowed)
        return
    done = w["resolved"].format(
        number=allowed.case.number, resolution=w[resolution_code], who=callback.from_user.full_name
    )
    await callback.answer(done)
    await edit_card(*_where(callback), card, None)


async def _prompt(
    callback: CallbackQuery, state: FSMContext, flow: State, text: str, data: dict[str, Any]
) -> None:
    """Ask the member who pressed for a text, as a reply to this prompt."""
    assert callback.message is not None and callback.bot is not None
    prompt = await callback.bot.send_message(
        chat_id=callback.message.chat.id,
        text=text,
        reply_to_message_id=callback.message.message_id,
        reply_markup=ForceReply(selective=True),
    )
    await state.set_state(flow)
    await state.set_data(
        {**data, "prompt": prompt.message_id, "card": callback.message.message_id}
    )
    await callback.answer()


@router.callback_query(CaseAction.filter(F.action == "answer"))
async def on_answer(
    callback: CallbackQuery,
    callback_data: CaseAction,
    sessions: SessionFactory,
    state: FSMContext,
) -> None:
    async with sessions() as session:
        allowed = await _authorise(session, callback, callback_data)
    if isinstance(allowed, actions.Refusal):
        await _refused(callback, allowed)
        return
    w, number = words(allowed.commission.language), allowed.case.number
    text = w["ask_answer"].format(who=mention(callback.from_user), number=escape(number))
    await _prompt(callback, state, CaseFlow.answer, text, {"case": callback_data.case_id})


@router.callback_query(CaseAction.filter(F.action == "reroute_to"))
async def on_reroute_to(
    callback: CallbackQuery,
    callback_data: CaseAction,
    sessions: SessionFactory,
    state: FSMContext,
) -> None:
    async with sessions() as session:
        allowed = await _authorise(session, callback, callback_data)
    if isinstance(allowed, actions.Refusal):
        await _refused(callback, allowed)
        return
    language, number = allowed.commission.language, allowed.case.number
    target = commission_label(callback_data.arg, language)
    text = words(language)["ask_reason"].format(
        who=mention(callback.from_user), number=escape(number), target=escape(target)
    )
    data = {"case": callback_data.case_id, "target": callback_data.arg}
    await _prompt(callback, state, CaseFlow.reason, text, data)
