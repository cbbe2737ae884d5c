"""Moving a report draft along: ask for the next missing step, close answered questions."""

from __future__ import annotations

import asyncio
import logging
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
    bot: Bot, chat_id: int, state: FSMContext, draft: Draft, language: str, *, intro: str = ""
) -> None:
    """Ask for the first step the draft still misses (the summary at the end), then save it.

    Saving last makes a replay from the ledger idempotent: when the question could not be sent
    the dialogue has not moved, and handling the update again asks it again.
    """
    step = draft.next_step()
    text, markup = prompt(step, draft, language)
    await bot.send_message(chat_id, f"{intro}\n\n{text}" if intro else text, reply_markup=markup)
    await save_draft(state, draft, STEP_STATES[step])


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
