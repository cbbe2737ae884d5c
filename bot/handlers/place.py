"""Step 3: the place, checked against the gazetteer, with suggestions."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.draft import Draft, load_draft, save_draft
from bot.filters import TEXT
from bot.flow import proceed
from bot.keyboards import Nav, Pick
from bot.regions import check_place, place_name, region_name
from bot.states import Report

router = Router(name=__name__)

MAX_PLACE = 200


@router.message(StateFilter(Report.place), TEXT)
async def place_typed(message: Message, bot: Bot, state: FSMContext, language: str) -> None:
    draft = await load_draft(state) or Draft()
    typed = " ".join((message.text or "").split())[:MAX_PLACE]
    check = check_place(typed, draft.region, language)
    chosen = draft.region or ""
    shown = escape(typed)
    if check.region == chosen or (check.region is None and chosen in check.regions_named):
        draft.place, draft.place_done = typed, True
        district = check.district and place_name(check.district, chosen, language)
        where = escape(district or region_name(chosen, language))
        intro = _("✓ Found: {place} ({region}).").format(
            place=where, region=escape(region_name(chosen, language))
        )
        await proceed(bot, message.chat.id, state, draft, language, intro=intro)
        return
    draft.place_pending = typed
    if check.region is not None:
        await message.answer(
            _("«{place}» is in {found}, but you chose {chosen}. Which region is right?").format(
                place=shown,
                found=escape(region_name(check.region, language)),
                chosen=escape(region_name(chosen, language)),
            ),
            reply_markup=keyboards.region_conflict(check.region, chosen, language),
        )
        await save_draft(state, draft)
        return
    if check.suggestions:
        draft.place_suggestions = check.suggestions
        await message.answer(
            _(
                "I could not find «{place}» among the places of {region}. Did you mean one of these?"
            ).format(place=shown, region=escape(region_name(chosen, language))),
            reply_markup=keyboards.place(check.suggestions, keep=True),
        )
        await save_draft(state, draft)
        return
    # An organisation or a street is not in the gazetteer, and that is fine.
    draft.place, draft.place_done, draft.place_pending = typed, True, None
    await proceed(
        bot,
        message.chat.id,
        state,
        draft,
        language,
        intro=_("Noted: {place}.").format(place=shown),
    )


@router.callback_query(StateFilter(Report.place), Pick.filter(F.kind == "place"))
async def suggestion_chosen(
    callback: CallbackQuery, callback_data: Pick, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state) or Draft()
    index = int(callback_data.value) if callback_data.value.isdigit() else -1
    if not 0 <= index < len(draft.place_suggestions):
        await callback.answer()
        return
    draft.place = draft.place_suggestions[index]
    draft.place_done, draft.place_pending, draft.place_suggestions = True, None, []
    await proceed(
        bot, callback.from_user.id, state, draft, language, via=callback, choice=draft.place
    )


@router.callback_query(StateFilter(Report.place), Nav.filter(F.action == "keep_place"))
async def keep_as_written(
    callback: CallbackQuery, bot: Bot, state: FSMContext, language: str
) -> None:
    draft = await load_draft(state) or Draft()
    draft.place = draft.place_pending or draft.place
    draft.place_done, draft.place_pending, draft.place_suggestions = True, None, []
    choice = draft.place or _("as written")
    await proceed(bot, callback.from_user.id, state, draft, language, via=callback, choice=choice)


@router.callback_query(StateFilter(Report.place), Nav.filter(F.action == "skip_place"))
async def skip_place(callback: CallbackQuery, bot: Bot, state: FSMContext, language: str) -> None:
    draft = await load_draft(state) or Draft()
    draft.place, draft.place_done, draft.place_pending, draft.place_suggestions = (
        None,
        True,
        None,
        [],
    )
    await proceed(
        bot, callback.from_user.id, state, draft, language, via=callback, choice=_("Skipped")
    )
