""""Forget my contact" under /status: asked, confirmed (the citizen is told answers will no
longer reach them), then done by intake.forget. The case stays with the commission."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot import keyboards
from bot.followup import case_of
from bot.gate import Sessions
from bot.keyboards import Nav
from intake.forget import forget_contact
from models.tables import Case

router = Router(name=__name__)


async def _my_case(callback: CallbackQuery, state: FSMContext, sessions: Sessions) -> Case | None:
    # The case /status opened in this chat, and only if this chat sent it.
    case_id = (await state.get_data()).get("case_id")
    return await case_of(sessions, case_id, chat_id=callback.from_user.id)


@router.callback_query(Nav.filter(F.action == "forget"))
async def forget_asked(
    callback: CallbackQuery, bot: Bot, state: FSMContext, sessions: Sessions
) -> None:
    await callback.answer()
    case = await _my_case(callback, state, sessions)
    if case is None:
        await bot.send_message(callback.from_user.id, _("This chat has no contact to forget."))
        return
    text = _(
        "Forget your contact for case {number}? We will erase the phone number or email you "
        "shared and the address of this chat. The case stays with the commission, but its "
        "answers will no longer reach you, and you will not be able to add to it here."
    ).format(number=case.number)
    await bot.send_message(callback.from_user.id, text, reply_markup=keyboards.confirm_forget())


@router.callback_query(Nav.filter(F.action == "forget_yes"))
async def forget_confirmed(
    callback: CallbackQuery, bot: Bot, state: FSMContext, sessions: Sessions
) -> None:
    await callback.answer()
    case = await _my_case(callback, state, sessions)
    if case is None:
        await bot.send_message(callback.from_user.id, _("This chat has no contact to forget."))
        return
    async with sessions() as session:
        await forget_contact(session, case)
        await session.commit()
    await state.clear()
    text = _(
        "Done: your contact is erased. Case {number} stays with the commission; its answers "
        "will no longer reach you."
    ).format(number=case.number)
    await bot.send_message(callback.from_user.id, text)


@router.callback_query(Nav.filter(F.action == "forget_no"))
async def forget_declined(callback: CallbackQuery, bot: Bot) -> None:
    await callback.answer()
    await bot.send_message(callback.from_user.id, _("Nothing was changed."))
