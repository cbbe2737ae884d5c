"""The summary: Send, Edit, Cancel; sending opens the case and shows the receipt."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot import keyboards, texts
from bot.batch import BatchWriter
from bot.draft import STEPS, draft_in, load_draft
from bot.flow import proceed
from bot.gate import Sessions
from bot.keyboards import Nav, Pick
from bot.states import Report
from bot.submit import ACK_DELIVERED, Submitted, ack_delivered, submit, take_receipt_code
from intake.cases import IntakeContext

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.callback_query(StateFilter(Report.summary, None), Nav.filter(F.action == "send"))
async def send(
    callback: CallbackQuery,
    bot: Bot,
    state: FSMContext,
    language: str,
    sessions: Sessions,
    writer: BatchWriter,
    intake_ctx: IntakeContext,
) -> None:
    """Open the case and show its receipt. Pressed again, or replayed after a kill at any
    point (the state and the data are two writes), it shows the confirmation still owed."""
    data = await state.get_data()
    owed = data.get("confirm")
    draft = draft_in(data)
    if draft is None or draft.next_step() != "summary":
        await callback.answer(None if owed else _("This report has already been sent."))
        if owed:
            await deliver_confirmation(
                bot, callback.from_user.id, owed, state, sessions, writer, language, intake_ctx
            )
        return
    await callback.answer(_("Sending…"))
    if owed:  # an earlier report's confirmation never reached the chat: it comes first
        await deliver_confirmation(
            bot, callback.from_user.id, owed, state, sessions, writer, language, intake_ctx,
            end_dialogue=False,
        )  # fmt: skip
    # The session is closed before the FSM writes: on SQLite each transaction holds the lock.
    async with sessions() as session:
        result = await submit(session, draft, callback.from_user.id, language, intake_ctx)
    # Until the confirmation is delivered the dialogue remembers it is owed (a failed or killed
    # send is handled again from the update ledger); the code itself stays in the ack row.
    summary = callback.message.message_id if callback.message is not None else None
    owed = _pending(result, draft.contact in (None, "anonymous"), summary)
    await state.set_data({"confirm": owed})
    await state.set_state(None)
    await deliver_confirmation(
        bot,
        callback.from_user.id,
        owed,
        state,
        sessions,
        writer,
        language,
        intake_ctx,
        result.code,
    )


def _pending(result: Submitted, anonymous: bool, summary: int | None) -> dict[str, Any]:
    return {
        "anonymous": anonymous,
        "message_id": summary,  # the summary message, which becomes the confirmation
        "case_id": result.case_id,
        "number": result.number,
        "commission": result.commission,
        "due_at": result.due_at.isoformat(),
    }


async def deliver_confirmation(
    bot: Bot,
    chat_id: int,
    pending: dict[str, Any],
    state: FSMContext,
    sessions: Sessions,
    writer: BatchWriter,
    language: str,
    ctx: IntakeContext,
    code: str | None = None,
    *,
    end_dialogue: bool = True,
) -> None:
    """Show the confirmation owed (`pending`, as kept in the dialogue data), with the receipt
    code (`code` when the case was just opened, else from its ack row unless the citizen
    already has it); then the ack row forgets the code and, unless a newer draft is being
    sent, the dialogue ends."""
    if code is None:
        async with sessions() as session:
            code = await take_receipt_code(session, pending["case_id"])
    text = _confirmation(pending, code, language, ctx)
    if code is None or not await _turn_summary_into(bot, chat_id, pending.get("message_id"), text):
        await bot.send_message(chat_id, text, reply_markup=keyboards.case_actions(False))
    writes = [state.clear()] if end_dialogue else []
    if code is not None:
        writes.append(writer.execute(ACK_DELIVERED, ack_delivered(pending["case_id"])))
    await asyncio.gather(*writes)  # one group commit


async def _turn_summary_into(bot: Bot, chat_id: int, message_id: int | None, text: str) -> bool:
    """Edit the summary into the confirmation. An edit, unlike a new message, cannot show
    twice: a replay after a kill between Telegram taking it and the store learning so finds
    it "not modified". False when the summary is gone (deleted, or an old dialogue's)."""
    if message_id is None:
        return False
    try:
        await bot.edit_message_text(
            text,
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=keyboards.case_actions(False),
        )
    except TelegramBadRequest as exc:
        if "not modified" in exc.message:
            return True
        log.info(
            "summary %s not edited (%s); the confirmation is sent anew", message_id, exc.message
        )
        return False
    return True


def _confirmation(
    pending: dict[str, Any], code: str | None, language: str, ctx: IntakeContext
) -> str:
    if code is None:
        return _("This report was already sent as case <b>{number}</b>.").format(
            number=pending["number"]
        )
    due_at = dt.datetime.fromisoformat(pending["due_at"])
    return texts.confirmation(
        pending["number"],
        code,
        pending["commission"],
        texts.due_text(due_at, ctx.zone, language),
        anonymous=bool(pending.get("anonymous")),
    )


@router.callback_query(StateFilter(Report.summary), Nav.filter(F.action == "edit"))
async def edit(callback: CallbackQuery) -> None:
    await callback.answer()
    if callback.message is not None and hasattr(callback.message, "edit_reply_markup"):
        try:
            await callback.message.edit_reply_markup(reply_markup=keyboards.edit_fields())
        except TelegramBadRequest as exc:
            log.debug("edit menu not shown: %s", exc.message)


@router.callback_query(StateFilter(Report.summary), Nav.filter(F.action == "summary"))
async def back_to_summary(callback: CallbackQuery) -> None:
    await callback.answer()
    if callback.message is not None and hasattr(callback.message, "edit_reply_markup"):
        try:
            await callback.message.edit_reply_markup(reply_markup=keyboards.summary())
        except TelegramBadRequest as exc:
            log.debug("summary buttons not restored: %s", exc.message)


@router.callback_query(StateFilter(Report.summary), Pick.filter(F.kind == "field"))
async def edit_field(
    callback: CallbackQuery, callback_data: Pick, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state)
    if draft is None or callback_data.value not in STEPS:
        await callback.answer()
        return
    draft.reopen(callback_data.value)
    await proceed(
        bot, callback.from_user.id, state, draft, language, via=callback, choice=_("Editing")
    )
