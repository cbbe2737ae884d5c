"""Follow-up: /status with a receipt code, and adding information to an open case.

Store work happens in short sessions of its own (`bot.followup`), closed before any FSM call:
on SQLite every transaction holds the write lock, and the FSM storage writes too.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.draft import Draft
from bot.filters import HAS_FILE_MAGIC, TEXT, TEXT_OR_FILE, text_matching
from bot.followup import LookupLimit, add_information, case_of, is_open, lookup
from bot.gate import Sessions
from bot.handlers.evidence import take_file
from bot.handlers.start import show_menu
from bot.i18n import N_
from bot.keyboards import AddInfo, Nav
from bot.states import FollowUp
from intake.attachments import read_by_hash
from intake.cases import IntakeContext
from intake.raw import RawAttachment, RawReport
from intake.receipts import parse_code
from models.tables import Channel

router = Router(name=__name__)
limits = LookupLimit()

ASK_CODE = N_(
    "Send the receipt code you got with the report: 16 digits, like 1234 5678 9012 3456."
)
CODE = r"^\s*\d{4}[\s\-]?\d{4}[\s\-]?\d{4}[\s\-]?\d{4}\s*$"


@router.message(Command("status"))
async def status_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    sessions: Sessions,
    language: str,
    intake_ctx: IntakeContext,
) -> None:
    if command.args:
        await show_status(message, command.args, state, sessions, language, intake_ctx)
        return
    await state.set_state(FollowUp.code)
    await message.answer(_(ASK_CODE))


@router.callback_query(Nav.filter(F.action == "status"))
async def status_button(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(FollowUp.code)
    await bot.send_message(callback.from_user.id, _(ASK_CODE))


@router.message(StateFilter(FollowUp.code), TEXT)
@router.message(StateFilter(None), text_matching(CODE))
async def code_sent(
    message: Message,
    state: FSMContext,
    sessions: Sessions,
    language: str,
    intake_ctx: IntakeContext,
) -> None:
    await show_status(message, message.text or "", state, sessions, language, intake_ctx)


async def show_status(
    message: Message,
    text: str,
    state: FSMContext,
    sessions: Sessions,
    language: str,
    ctx: IntakeContext,
) -> None:
    user_id = message.from_user.id if message.from_user else message.chat.id
    wait = limits.blocked_for(user_id)
    if wait:
        minutes = math.ceil(wait / 60)
        await message.answer(
            _("Too many wrong codes. Please try again in {minutes} min.").format(minutes=minutes)
        )
        return
    code = parse_code(text)
    if code is None:
        await message.answer(
            _(
                "A receipt code has 16 digits, like 1234 5678 9012 3456. Please check it and "
                "send it again."
            )
        )
        return
    found = await lookup(sessions, code, language, ctx)
    if found is None:
        limits.failed(user_id)
        await message.answer(_("No report has this receipt code. Please check the digits."))
        return
    case, body = found
    await state.set_state(None)
    await state.update_data(case_id=case.id)
    await message.answer(body, reply_markup=keyboards.case_actions(can_add=is_open(case)))


@router.callback_query(Nav.filter(F.action == "add"))
async def add_button(
    callback: CallbackQuery, bot: Bot, state: FSMContext, sessions: Sessions
) -> None:
    case_id = (await state.get_data()).get("case_id")
    await _start_adding(callback, bot, state, await case_of(sessions, case_id))


@router.callback_query(AddInfo.filter())
async def add_under_answer(
    callback: CallbackQuery,
    callback_data: AddInfo,
    bot: Bot,
    state: FSMContext,
    sessions: Sessions,
) -> None:
    # Only the chat that sent the report may add to it by this button.
    case = await case_of(sessions, callback_data.case_id, chat_id=callback.from_user.id)
    await _start_adding(callback, bot, state, case)


async def _start_adding(
    callback: CallbackQuery, bot: Bot, state: FSMContext, case: object
) -> None:
    await callback.answer()
    chat_id = callback.from_user.id
    if case is None:
        await state.set_state(FollowUp.code)
        await bot.send_message(chat_id, _(ASK_CODE))
        return
    number = getattr(case, "number", "")
    if not is_open(case):  # type: ignore[arg-type]
        await bot.send_message(
            chat_id,
            _(
                "Case {number} is closed; nothing more can be added to it. You can send a new "
                "report."
            ).format(number=number),
        )
        return
    await state.set_state(FollowUp.add_info)
    await state.update_data(case_id=getattr(case, "id", None))
    await bot.send_message(
        chat_id,
        _(
            "Send what you want to add to case {number}: text, photos or documents. Press "
            "«Done» when you have finished."
        ).format(number=number),
        reply_markup=keyboards.done_adding(),
    )


@router.message(StateFilter(FollowUp.add_info), TEXT_OR_FILE)
async def info_added(
    message: Message,
    bot: Bot,
    state: FSMContext,
    sessions: Sessions,
    intake_ctx: IntakeContext,
    event_update: object,
) -> None:
    case_id = (await state.get_data()).get("case_id")
    attachments, refusal = await _file_of(message, bot, intake_ctx)
    raw = RawReport(
        channel=Channel.telegram,
        sender=str(message.chat.id),
        text=message.text or message.caption or "",
        attachments=attachments,
        external_id=f"tg-update:{getattr(event_update, 'update_id', '')}",
    )
    case = await add_information(sessions, case_id, raw, intake_ctx) if case_id else None
    if case is None:
        await state.set_state(None)
        await show_menu(bot, message.chat.id, state)
        return
    text = _("Added to case {number}. Anything else? Press «Done» when you have finished.")
    text = text.format(number=case.number)
    await message.answer(
        f"{refusal}\n\n{text}" if refusal else text, reply_markup=keyboards.done_adding()
    )


async def _file_of(
    message: Message, bot: Bot, ctx: IntakeContext
) -> tuple[list[RawAttachment], str | None]:
    """The message's file as an attachment, or the polite refusal to show."""
    if not HAS_FILE_MAGIC.resolve(message):
        return [], None
    holder = Draft()
    reply = await take_file(message, bot, holder, Path(ctx.attachments_dir))
    if not holder.evidence:
        return [], reply
    item = holder.evidence[0]
    content = await asyncio.to_thread(read_by_hash, Path(ctx.attachments_dir), item.sha256)
    return [RawAttachment(content, item.mime_type, item.name)], None


@router.callback_query(StateFilter(FollowUp.add_info), Nav.filter(F.action == "done"))
async def done_adding(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(None)
    await show_menu(
        bot, callback.from_user.id, state, _("Thank you. The commission will see what you added.")
    )
