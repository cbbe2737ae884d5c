"""Step 4: what happened, in text, with evidence files (accepted in every report step)."""

from __future__ import annotations

import logging
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards, texts
from bot.draft import MAX_FILES, MIN_TEXT, Draft, load_draft, save_draft
from bot.evidence import TooLarge, fetch, incoming_file
from bot.filters import FILE, TEXT
from bot.flow import proceed
from bot.keyboards import Nav
from bot.states import Report
from intake.cases import IntakeContext

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.message(StateFilter(Report.text), TEXT)
async def text_added(message: Message, state: FSMContext) -> None:
    draft = await load_draft(state) or Draft()
    draft.add_text(message.text or "")
    await message.answer(texts.text_saved(draft), reply_markup=keyboards.next_step())
    await save_draft(state, draft)


@router.message(StateFilter(Report), FILE)
async def file_added(
    message: Message, bot: Bot, state: FSMContext, intake_ctx: IntakeContext
) -> None:
    draft = await load_draft(state) or Draft()
    reply = await take_file(message, bot, draft, Path(intake_ctx.attachments_dir))
    if message.caption:
        draft.add_text(message.caption)
    if reply is not None:  # None: the rest of an album already acknowledged
        in_text_step = await state.get_state() == Report.text.state
        await message.answer(reply, reply_markup=keyboards.next_step() if in_text_step else None)
    await save_draft(state, draft)


async def take_file(message: Message, bot: Bot, draft: Draft, root: Path) -> str | None:
    """Add the message's file to the draft; the reply to show (None: stay quiet)."""
    item = incoming_file(message)
    assert item is not None
    if len(draft.evidence) >= MAX_FILES:
        return _(
            "This report already has {max} files, the most it can take. This one was not added."
        ).format(max=MAX_FILES)
    try:
        evidence = await fetch(bot, item, root)
    except TooLarge:
        return _(
            "This file is larger than 20 MB, and Telegram does not let bots receive files that "
            "large, so it was not added. Your report goes on: you can send a smaller copy or "
            "describe what the file shows."
        )
    except TelegramAPIError as exc:
        log.warning("evidence download failed: %s", type(exc).__name__)
        return _("I could not receive this file. Please send it again.")
    if all(e.sha256 != evidence.sha256 for e in draft.evidence):
        draft.evidence.append(evidence)
    group = message.media_group_id
    if group is not None and group == draft.album:
        return None
    draft.album = group
    return _("File received ({count} of at most {max}). Send more or press «Next».").format(
        count=len(draft.evidence), max=MAX_FILES
    )


@router.callback_query(StateFilter(Report.text), Nav.filter(F.action == "next"))
async def text_finished(
    callback: CallbackQuery, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state) or Draft()
    length = len(draft.text.strip())
    if length < MIN_TEXT:
        await callback.answer()
        await bot.send_message(
            callback.from_user.id,
            _(
                "Please describe it in a little more detail: at least {min} characters (now {count})."
            ).format(min=MIN_TEXT, count=length),
            reply_markup=keyboards.next_step(),
        )
        return
    draft.text_done = True
    await proceed(
        bot, callback.from_user.id, state, draft, language, via=callback, choice=_("Next")
    )
