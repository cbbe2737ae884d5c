"""The summary: Send, Edit, Cancel; sending opens the case and shows the receipt."""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot import keyboards, texts
from bot.draft import STEPS, load_draft
from bot.flow import close_question, proceed
from bot.gate import Sessions
from bot.keyboards import Nav, Pick
from bot.states import Report
from bot.submit import Submitted, submit
from intake.cases import IntakeContext

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.callback_query(StateFilter(Report.summary), Nav.filter(F.action == "send"))
async def send(
    callback: CallbackQuery,
    bot: Bot,
    state: FSMContext,
    language: str,
    sessions: Sessions,
    intake_ctx: IntakeContext,
) -> None:
    draft = await load_draft(state)
    if draft is None or draft.next_step() != "summary":
        await callback.answer(_("This report has already been sent."))
        return
    await callback.answer(_("Sending…"))
    # The session is closed before the FSM writes: on SQLite each transaction holds the lock.
    async with sessions() as session:
        result = await submit(session, draft, callback.from_user.id, language, intake_ctx)
    # Until the confirmation is delivered the code waits in the dialogue data (a failed send is
    # retried from the update ledger); it is dropped as soon as the citizen has it.
    await state.set_state(None)
    await state.set_data({"confirm": _pending(result, draft.contact in (None, "anonymous"))})
    await close_question(callback, _("Sent"), answer=False)
    await deliver_confirmation(bot, callback.from_user.id, state, language, intake_ctx)


def _pending(result: Submitted, anonymous: bool) -> dict[str, object]:
    return {
        "anonymous": anonymous,
        "number": result.number,
        "code": result.code,
        "commission": result.commission,
        "due_at": result.due_at.isoformat(),
    }


async def deliver_confirmation(
    bot: Bot, chat_id: int, state: FSMContext, language: str, ctx: IntakeContext
) -> None:
    pending = (await state.get_data()).get("confirm")
    if not pending:
        return
    due = texts.due_text(dt.datetime.fromisoformat(pending["due_at"]), ctx.zone, language)
    if pending.get("code"):
        text = texts.confirmation(
            pending["number"],
            pending["code"],
            pending["commission"],
            due,
            anonymous=bool(pending.get("anonymous")),
        )
    else:
        text = _("This report was already sent as case <b>{number}</b>.").format(
            number=pending["number"]
        )
    await bot.send_message(chat_id, text, reply_markup=keyboards.case_actions(can_add=False))
    await state.clear()


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
