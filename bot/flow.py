"""Moving a report draft along: ask for the next missing step, close answered questions."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from sqlmodel import col, select

from bot import keyboards, texts
from bot.draft import Draft, save_draft
from bot.gate import Sessions
from bot.keyboards import Nav
from bot.states import STEP_STATES
from intake.attachments import relative_path_for
from models.tables import Attachment

log = logging.getLogger(__name__)


def prompt(step: str, draft: Draft, language: str) -> tuple[str, InlineKeyboardMarkup]:
    if step == "category":
        return texts.step_prompt(step, draft), keyboards.categories(language)
    if step == "region":
        return texts.step_prompt(step, draft), keyboards.regions(language, tuple(draft.suggested))
    if step == "place":
        return texts.step_prompt(step, draft), keyboards.place([], keep=False)
    if step == "text":
        return texts.step_prompt(step, draft), keyboards.next_step()
    if step == "contact":
        return texts.step_prompt(step, draft), keyboards.contact()
    return texts.summary(draft, language), keyboards.summary()


async def proceed(
    bot: Bot,
    chat_id: int,
    state: FSMContext,
    draft: Draft,
    language: str,
    *,
    intro: str = "",
    via: CallbackQuery | None = None,
    choice: str = "",
) -> None:
    """Ask for the first step the draft still misses (the summary at the end), then save it.

    After a button press (`via`) the question message itself becomes the next question, headed
    by the answer given ("✓ choice"): one edit instead of closing the old question and sending
    a new one, and no old buttons left to press. Saving last makes a replay from the ledger
    idempotent: when the question could not be shown the dialogue has not moved, and handling
    the update again asks it again.
    """
    step = draft.next_step()
    text, markup = prompt(step, draft, language)
    text = f"{intro}\n\n{text}" if intro else text
    if via is not None:
        await via.answer()
    if via is None or not await edit_or_skip(via, f"✓ {escape(choice)}\n\n{text}", markup):
        await bot.send_message(chat_id, text, reply_markup=markup)
    await save_draft(state, draft, STEP_STATES[step])


async def edit_or_skip(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> bool:
    """Turn the pressed message into `text`; False when it cannot be edited."""
    message = callback.message
    if message is None or not hasattr(message, "edit_text"):
        return False
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:  # too old to edit, or deleted: ask in a new message
        log.info("question not edited: %s", exc.message[:80])
        return False
    return True


async def close_question(callback: CallbackQuery, choice: str, *, answer: bool = True) -> None:
    """Replace a question's buttons with the answer given, so old buttons cannot be pressed."""
    if answer:
        await callback.answer()
    if callback.message is None or not hasattr(callback.message, "edit_reply_markup"):
        return
    shown = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=f"✓ {choice}"[:64], callback_data=Nav(action="noop").pack()
                )
            ]
        ]
    )
    try:
        await callback.message.edit_reply_markup(reply_markup=shown)
    except TelegramBadRequest as exc:  # already closed by an earlier press
        log.debug("question not closed: %s", exc.message)


async def discard(state: FSMContext, draft: Draft | None, sessions: Sessions, root: Path) -> None:
    """Forget the draft and delete its evidence files that no case refers to."""
    await state.clear()
    if draft is None or not draft.evidence:
        return
    hashes = [item.sha256 for item in draft.evidence]
    async with sessions() as session:
        query = select(Attachment.sha256).where(col(Attachment.sha256).in_(hashes))
        used = set((await session.exec(query)).all())
    orphans = [root / relative_path_for(sha) for sha in hashes if sha not in used]
    await asyncio.to_thread(_unlink, orphans)


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
