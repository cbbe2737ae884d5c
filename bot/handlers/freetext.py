"""A citizen who just writes (or forwards a message, or sends a file) gets a draft filled in
by intake's analysis, and is asked only for what is missing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.draft import MIN_TEXT, Draft, load_draft
from bot.filters import FILE, FREE_TEXT
from bot.flow import proceed
from bot.handlers.evidence import take_file
from intake.analyse import analyse
from intake.cases import IntakeContext

router = Router(name=__name__)

REGION_CONFIDENCE = 0.5  # below this the region is offered first, not filled in
CATEGORY_SCORE = 2.0


async def draft_from_text(text: str) -> Draft:
    analysis = await asyncio.to_thread(analyse, text)
    draft = Draft(source="free")
    draft.add_text(analysis.text.text or text)
    draft.text_done = True
    if analysis.category != "other" and analysis.category_score >= CATEGORY_SCORE:
        draft.category = analysis.category
    region = analysis.region
    if region.region and region.confidence >= REGION_CONFIDENCE:
        draft.region = region.region
        if region.district:
            draft.place, draft.place_done = region.district, True
    else:
        named = sorted({code for span in region.spans for code in span.regions})
        draft.suggested = ([region.region] if region.region else []) + [
            code for code in named if code != region.region
        ][:3]
    return draft


@router.message(StateFilter(None), FREE_TEXT)
async def free_text(message: Message, bot: Bot, state: FSMContext, language: str) -> None:
    text = message.text or message.caption or ""
    existing = await load_draft(state)
    if existing is not None:
        existing.add_text(text)
        intro = _("I have added this to your unfinished report.")
        await proceed(bot, message.chat.id, state, existing, language, intro=intro)
        return
    if len(text.strip()) < MIN_TEXT and message.forward_origin is None:
        await message.answer(
            _(
                "To report a violation, press «Report a violation», or simply describe what "
                "happened in one message (at least {min} characters)."
            ).format(min=MIN_TEXT),
            reply_markup=keyboards.main_menu(False),
        )
        return
    draft = await draft_from_text(text)
    intro = _("I have made a draft report from your message; a few questions remain.")
    await proceed(bot, message.chat.id, state, draft, language, intro=intro)


@router.message(StateFilter(None), FILE)
async def free_file(
    message: Message, bot: Bot, state: FSMContext, language: str, intake_ctx: IntakeContext
) -> None:
    draft = await load_draft(state)
    if draft is None:
        text = message.caption or ""
        draft = await draft_from_text(text) if len(text) >= MIN_TEXT else Draft(source="free")
    elif message.caption:
        draft.add_text(message.caption)
    reply = await take_file(message, bot, draft, Path(intake_ctx.attachments_dir))
    await proceed(bot, message.chat.id, state, draft, language, intro=reply or "")
