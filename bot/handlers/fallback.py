"""What no other handler took: old buttons, and messages the current step cannot use."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

router = Router(name=__name__)


@router.callback_query()
async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer active."))


@router.message()
async def anything_else(message: Message) -> None:
    await message.answer(
        _(
            "I can take text, photos, documents, videos and voice messages here. "
            "/menu shows what I can do."
        )
    )
