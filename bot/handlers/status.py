"""Follow-up: /status with a receipt code, and adding information to an open case."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import keyboards
from bot.draft import Draft
from bot.followup import LookupLimit, find_case, is_open, status_text
from bot.handlers.evidence import HAS_FILE, take_file
from bot.handlers.start import show_menu
from bot.i18n import N_
from bot.keyboards import AddInfo, Nav
from bot.states import FollowUp
from intake.attachments import relative_path_for
from intake.cases import IntakeContext, append_to_case
from intake.raw import RawAttachment, RawReport
from intake.receipts import parse_code
from models.tables import Case, Channel, Reporter
from models.tables import Message as CaseMessage

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
    session: AsyncSession,
    language: str,
    intake_ctx: IntakeContext,
) -> None:
    if command.args:
        await show_status(message, command.args, state, session, language, intake_ctx)
        return
    await state.set_state(FollowUp.code)
    await message.answer(_(ASK_CODE))


@router.callback_query(Nav.filter(F.action == "status"))
async def status_button(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(FollowUp.code)
    await bot.send_message(callback.from_user.id, _(ASK_CODE))


@router.message(FollowUp.code, F.text, ~F.text.startswith("/"))
@router.message(StateFilter(None), F.text.regexp(CODE))
async def code_sent(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    language: str,
    intake_ctx: IntakeContext,
) -> None:
    await show_status(message, message.text or "", state, session, language, intake_ctx)


async def show_status(
    message: Message,
    text: str,
    state: FSMContext,
    session: AsyncSession,
    language: str,
    ctx: IntakeContext,
) -> None:
    user_id = message.from_user.id if message.from_user else message.chat.id
    wait = limits.blocked_for(user_id)
    if wait:
        await message.answer(
            _("Too many wrong codes. Please try again in {minutes} min.").format(
                minutes=math.ceil(wait / 60)
            )
        )
        return
    code = parse_code(text)
    if code is None:
        await message.answer(
            _(
                "A receipt code has 16 digits, like 1234 5678 9012 3456. Please check it and send it again."
            )
        )
        return
    case = await find_case(session, code)
    if case is None:
        limits.failed(user_id)
        await message.answer(_("No report has this receipt code. Please check the digits."))
        return
    await state.set_state(None)
    await state.update_data(case_id=case.id)
    body = await status_text(session, case, language, ctx.zone)
    await message.answer(body, reply_markup=keyboards.case_actions(can_add=is_open(case)))


@router.callback_query(Nav.filter(F.action == "add"))
async def add_button(
    callback: CallbackQuery, bot: Bot, state: FSMContext, session: AsyncSession
) -> None:
    case_id = (await state.get_data()).get("case_id")
    await _start_adding(callback, bot, state, session, case_id)


@router.callback_query(AddInfo.filter())
async def add_under_answer(
    callback: CallbackQuery,
    callback_data: AddInfo,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    case = await session.get(Case, callback_data.case_id)
    reporter = await session.get(Reporter, case.reporter_id) if case and case.reporter_id else None
    # Only the chat that sent the report may add to it.
    mine = (
        reporter is not None
        and reporter.channel == Channel.telegram
        and reporter.address == str(callback.from_user.id)
    )
    await _start_adding(callback, bot, state, session, callback_data.case_id if mine else None)


async def _start_adding(
    callback: CallbackQuery,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    case_id: int | None,
) -> None:
    await callback.answer()
    case = await session.get(Case, case_id) if case_id else None
    if case is None:
        await state.set_state(FollowUp.code)
        await bot.send_message(callback.from_user.id, _(ASK_CODE))
        return
    if not is_open(case):
        await bot.send_message(
            callback.from_user.id,
            _(
                "Case {number} is closed; nothing more can be added to it. You can send a new report."
            ).format(number=case.number),
        )
        return
    await state.set_state(FollowUp.add_info)
    await state.update_data(case_id=case.id)
    await bot.send_message(
        callback.from_user.id,
        _(
            "Send what you want to add to case {number}: text, photos or documents. Press «Done» when you have finished."
        ).format(number=case.number),
        reply_markup=keyboards.done_adding(),
    )


@router.message(FollowUp.add_info, (F.text & ~F.text.startswith("/")) | HAS_FILE)
async def info_added(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    intake_ctx: IntakeContext,
    event_update: object,
) -> None:
    case = await session.get(Case, (await state.get_data()).get("case_id"))
    if case is None or not is_open(case):
        await state.set_state(None)
        await show_menu(bot, message.chat.id, state)
        return
    external = f"tg-update:{getattr(event_update, 'update_id', '')}"
    if await _already_added(session, external):
        return
    attachments, reply = await _file_of(message, bot, intake_ctx)
    raw = RawReport(
        channel=Channel.telegram,
        sender=str(message.chat.id),
        text=message.text or message.caption or "",
        attachments=attachments,
        external_id=external,
    )
    await append_to_case(session, case, raw, intake_ctx)
    await session.commit()
    text = _("Added to case {number}. Anything else? Press «Done» when you have finished.").format(
        number=case.number
    )
    await message.answer(
        f"{reply}\n\n{text}" if reply else text, reply_markup=keyboards.done_adding()
    )


async def _file_of(
    message: Message, bot: Bot, ctx: IntakeContext
) -> tuple[list[RawAttachment], str | None]:
    if not HAS_FILE.resolve(message):
        return [], None
    holder = Draft()
    reply = await take_file(message, bot, holder, Path(ctx.attachments_dir))
    if not holder.evidence:
        return [], reply
    item = holder.evidence[0]
    path = Path(ctx.attachments_dir) / relative_path_for(item.sha256)
    content = await asyncio.to_thread(path.read_bytes)
    return [RawAttachment(content, item.mime_type, item.name)], None


async def _already_added(session: AsyncSession, external: str) -> bool:
    found = await session.exec(
        select(CaseMessage.id).where(col(CaseMessage.external_id) == external)
    )
    return found.first() is not None


@router.callback_query(FollowUp.add_info, Nav.filter(F.action == "done"))
async def done_adding(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await callback.answer()
    await state.set_state(None)
    await show_menu(
        bot, callback.from_user.id, state, _("Thank you. The commission will see what you added.")
    )
