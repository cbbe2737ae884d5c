"""/start, the main menu, the language, About, and /cancel."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import keyboards, texts
from bot.draft import load_draft
from bot.i18n import LANGUAGE_NAMES
from bot.keyboards import Nav, Pick
from bot.profiles import Profiles

router = Router(name=__name__)

CHOOSE_LANGUAGE = "Тілді таңдаңыз · Выберите язык · Choose a language"


async def show_menu(bot: Bot, chat_id: int, state: FSMContext, text: str | None = None) -> None:
    draft = await load_draft(state)
    if text is None:
        text = _("You have an unfinished report.") if draft else _("What would you like to do?")
    await bot.send_message(chat_id, text, reply_markup=keyboards.main_menu(draft is not None))


@router.message(CommandStart())
async def start(message: Message, bot: Bot, state: FSMContext, profiles: Profiles) -> None:
    name = message.from_user.first_name if message.from_user else ""
    profile = await profiles.get(message.chat.id)
    if profile.language is None:
        await message.answer(
            texts.welcome(name) + "\n\n" + CHOOSE_LANGUAGE, reply_markup=keyboards.languages()
        )
        return
    draft = await load_draft(state)
    await message.answer(texts.welcome(name), reply_markup=keyboards.main_menu(draft is not None))


@router.message(Command("menu"))
async def menu_command(message: Message, bot: Bot, state: FSMContext) -> None:
    await show_menu(bot, message.chat.id, state)


@router.callback_query(Nav.filter(F.action == "menu"))
async def menu_button(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await callback.answer()
    await show_menu(bot, callback.from_user.id, state)


@router.message(Command("language"))
async def language_command(message: Message) -> None:
    await message.answer(CHOOSE_LANGUAGE, reply_markup=keyboards.languages())


@router.callback_query(Nav.filter(F.action == "language"))
async def language_button(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    await bot.send_message(
        callback.from_user.id, CHOOSE_LANGUAGE, reply_markup=keyboards.languages()
    )


@router.callback_query(Pick.filter(F.kind == "lang"))
async def language_chosen(
    callback: CallbackQuery,
    callback_data: Pick,
    bot: Bot,
    state: FSMContext,
    profiles: Profiles,
    i18n: I18n,
) -> None:
    language = callback_data.value if callback_data.value in LANGUAGE_NAMES else "ru"
    chat_id = callback.from_user.id
    await profiles.set_language(chat_id, language)
    await callback.answer(LANGUAGE_NAMES[language])
    with i18n.use_locale(language):
        await show_menu(
            bot, chat_id, state, texts.privacy() + "\n\n" + _("What would you like to do?")
        )


@router.message(Command("help"))
async def help_command(message: Message) -> None:
    await message.answer(texts.about(), reply_markup=keyboards.case_actions(can_add=False))


@router.callback_query(Nav.filter(F.action == "about"))
async def about_button(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    await bot.send_message(
        callback.from_user.id, texts.about(), reply_markup=keyboards.case_actions(can_add=False)
    )


@router.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext) -> None:
    if await load_draft(state) is None:
        await state.set_state(None)
        await message.answer(
            _("There is nothing to cancel."), reply_markup=keyboards.main_menu(False)
        )
        return
    await message.answer(
        _("Discard this report? What you have written will be deleted."),
        reply_markup=keyboards.confirm_cancel(),
    )


@router.callback_query(Nav.filter(F.action == "noop"))
async def noop(callback: CallbackQuery) -> None:
    await callback.answer()
