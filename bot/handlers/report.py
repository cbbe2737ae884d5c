"""The guided report: starting, category, region, and cancelling."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.draft import MIN_TEXT, Draft, load_draft
from bot.filters import TEXT
from bot.flow import discard, edit_or_skip, proceed
from bot.gate import Sessions
from bot.handlers.start import show_menu
from bot.keyboards import Nav, Pick
from bot.regions import region_codes, region_name
from bot.states import Report
from intake.cases import IntakeContext
from intake.category import CATEGORIES, label
from intake.region import detect_region

router = Router(name=__name__)


@router.message(Command("report"))
async def report_command(message: Message, bot: Bot, state: FSMContext, language: str) -> None:
    draft = await load_draft(state) or Draft()
    await proceed(bot, message.chat.id, state, draft, language)


@router.callback_query(Nav.filter(F.action.in_({"report", "continue"})))
async def report_button(
    callback: CallbackQuery, bot: Bot, state: FSMContext, language: str
) -> None:
    await callback.answer()
    draft = await load_draft(state) or Draft()
    await proceed(bot, callback.from_user.id, state, draft, language)


@router.callback_query(Nav.filter(F.action == "cancel"))
async def cancel_button(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        _("Discard this report? What you have written will be deleted."),
        reply_markup=keyboards.confirm_cancel(),
    )


@router.callback_query(Nav.filter(F.action.in_({"cancel_yes", "discard"})))
async def cancel_confirmed(
    callback: CallbackQuery,
    bot: Bot,
    state: FSMContext,
    sessions: Sessions,
    intake_ctx: IntakeContext,
) -> None:
    await callback.answer()
    await discard(state, await load_draft(state), sessions, Path(intake_ctx.attachments_dir))
    text, markup = _("The report was discarded."), keyboards.main_menu(False)
    if not await edit_or_skip(callback, text, markup):
        await bot.send_message(callback.from_user.id, text, reply_markup=markup)


@router.callback_query(Nav.filter(F.action == "cancel_no"))
async def cancel_withdrawn(
    callback: CallbackQuery, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state)
    if draft is None:
        await callback.answer()
        await show_menu(bot, callback.from_user.id, state)
        return
    choice = _("Continuing")
    await proceed(bot, callback.from_user.id, state, draft, language, via=callback, choice=choice)


@router.callback_query(StateFilter(Report.category), Pick.filter(F.kind == "cat"))
async def category_chosen(
    callback: CallbackQuery, callback_data: Pick, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state) or Draft()
    draft.category = callback_data.value if callback_data.value in CATEGORIES else "other"
    choice = label(draft.category, language)
    await proceed(bot, callback.from_user.id, state, draft, language, via=callback, choice=choice)


@router.callback_query(StateFilter(Report.region, Report.place), Pick.filter(F.kind == "reg"))
async def region_chosen(
    callback: CallbackQuery, callback_data: Pick, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state) or Draft()
    if callback_data.value not in region_codes():
        await callback.answer()
        return
    draft.region = callback_data.value
    if await state.get_state() == Report.place.state and draft.place_pending:
        # The place named another region and the citizen agreed: keep the place as well.
        draft.place, draft.place_done = draft.place_pending, True
        draft.place_pending, draft.place_suggestions = None, []
    choice = region_name(draft.region, language)
    await proceed(bot, callback.from_user.id, state, draft, language, via=callback, choice=choice)


@router.message(StateFilter(Report.category, Report.region), TEXT)
async def typed_instead_of_pressing(
    message: Message, bot: Bot, state: FSMContext, language: str
) -> None:
    """A citizen who types instead of pressing: a region name is taken as the region, a longer
    text is kept as the description, and the question is asked again."""
    draft = await load_draft(state) or Draft()
    text = message.text or ""
    intro = ""
    if await state.get_state() == Report.region.state:
        found = detect_region(text).region
        if found:
            draft.region = found
            if len(text) < MIN_TEXT:
                await proceed(bot, message.chat.id, state, draft, language)
                return
    if len(text.strip()) >= MIN_TEXT:
        draft.add_text(text)
        draft.text_done = True
        intro = _("I have kept your text as the description of what happened.")
    else:
        intro = _("Please choose with the buttons.")
    await proceed(bot, message.chat.id, state, draft, language, intro=intro)
