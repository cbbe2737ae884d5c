"""Step 5: stay anonymous (the default), share a phone number, or give an email address."""

from __future__ import annotations

import re

import phonenumbers
from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.draft import Draft, load_draft
from bot.filters import ANY_TEXT, CONTACT, TEXT
from bot.flow import close_question, proceed
from bot.keyboards import Nav
from bot.states import Report

router = Router(name=__name__)

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']{2,}$")


@router.callback_query(StateFilter(Report.contact), Nav.filter(F.action == "anonymous"))
async def anonymous(callback: CallbackQuery, bot: Bot, state: FSMContext, language: str) -> None:
    draft = await load_draft(state) or Draft()
    draft.contact, draft.phone, draft.email = "anonymous", None, None
    await proceed(
        bot, callback.from_user.id, state, draft, language, via=callback, choice=_("Anonymous")
    )


@router.callback_query(StateFilter(Report.contact), Nav.filter(F.action == "phone"))
async def ask_phone(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await close_question(callback, _("Phone number"))
    await state.set_state(Report.phone)
    await bot.send_message(
        callback.from_user.id,
        _("Press «📱 Send my number» below. To choose again, press «Back»."),
        reply_markup=keyboards.share_phone(),
    )


@router.callback_query(StateFilter(Report.contact), Nav.filter(F.action == "email"))
async def ask_email(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await close_question(callback, _("Email"))
    await state.set_state(Report.email)
    await bot.send_message(
        callback.from_user.id, _("Write the email address the commission may use.")
    )


@router.message(StateFilter(Report.phone), CONTACT)
async def phone_shared(message: Message, bot: Bot, state: FSMContext, language: str) -> None:
    contact = message.contact
    assert contact is not None
    if message.from_user is None or contact.user_id != message.from_user.id:
        await message.answer(_("Please share your own number with the button below."))
        return
    await _phone_accepted(message, bot, state, language, contact.phone_number)


@router.message(StateFilter(Report.phone), ANY_TEXT)
async def phone_typed(message: Message, bot: Bot, state: FSMContext, language: str) -> None:
    text = (message.text or "").strip()
    if text == _("Back") or text.startswith("/"):
        draft = await load_draft(state) or Draft()
        draft.contact = None
        await message.answer(_("As you wish."), reply_markup=ReplyKeyboardRemove())
        await proceed(bot, message.chat.id, state, draft, language)
        return
    try:
        number = phonenumbers.parse(text, "KZ")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        await message.answer(
            _("That does not look like a phone number. Please use the button below.")
        )
        return
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    await _phone_accepted(message, bot, state, language, formatted)


async def _phone_accepted(
    message: Message, bot: Bot, state: FSMContext, language: str, phone: str
) -> None:
    draft = await load_draft(state) or Draft()
    draft.contact, draft.phone, draft.email = "phone", phone[:32], None
    await message.answer(_("Thank you, the number is saved."), reply_markup=ReplyKeyboardRemove())
    await proceed(bot, message.chat.id, state, draft, language)


@router.message(StateFilter(Report.email), TEXT)
async def email_typed(message: Message, bot: Bot, state: FSMContext, language: str) -> None:
    address = (message.text or "").strip()
    if not EMAIL.match(address) or len(address) > 320:
        await message.answer(
            _("That does not look like an email address. Please write it like name@example.kz.")
        )
        return
    draft = await load_draft(state) or Draft()
    draft.contact, draft.email, draft.phone = "email", address, None
    await proceed(bot, message.chat.id, state, draft, language)
