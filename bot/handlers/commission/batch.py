"""When a burst owes one group more alerts than Telegram lets a bot send to a group (about 20
a minute), the outbox sends one message for many new cases: "N new cases", a line each, and a
button per case; pressing it opens that case's card (with its usual buttons) in the group."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.commission import actions
from bot.handlers.commission.callbacks import CaseAction, card_keyboard
from bot.handlers.commission.card import commission_label, load_card, place_name, render_card
from bot.handlers.commission.texts import words
from core.settings import Settings
from intake.category import label
from models.db import SessionFactory
from models.tables import Case

router = Router(name=__name__)

BATCH_MAX = 30  # cases in one message: its text stays far below 4,096 characters
BUTTONS_PER_ROW = 3


def render_batch(cases: list[Case], language: str) -> tuple[str, InlineKeyboardMarkup]:
    """Telegram HTML of the message for `cases` (every value escaped) and its buttons."""
    w = words(language)
    lines = [f"🔔 <b>{escape(w['batch_title'].format(n=len(cases)))}</b>", escape(w["batch_hint"])]
    for case in cases:
        place = place_name(case.region, language)
        lines.append(
            f"🆕 <b>{escape(case.number)}</b> · {escape(label(case.category, language))}"
            f" · {escape(place)}"
        )
    buttons = [
        InlineKeyboardButton(
            text=case.number,
            callback_data=CaseAction(action="open", case_id=case.id or 0).pack(),
        )
        for case in cases
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.callback_query(CaseAction.filter(F.action == "open"))
async def on_open(
    callback: CallbackQuery,
    callback_data: CaseAction,
    sessions: SessionFactory,
    settings: Settings,
) -> None:
    """Post the case's full card in the group, as its own alert would have been."""
    assert callback.message is not None and callback.bot is not None
    async with sessions() as session:
        allowed = await actions.authorise(
            session, callback_data.case_id, callback.from_user.id, callback.message.chat.id,
            "open", open_only=False,
        )  # fmt: skip
        if isinstance(allowed, actions.Refusal):
            await session.commit()  # the refusal's audit row
            w = words(allowed.language)
            target = commission_label(allowed.target, allowed.language) if allowed.target else ""
            text = w[f"refused_{allowed.reason}"].format(number=allowed.number, target=target)
            await callback.answer(text, show_alert=True)
            return
        data = await load_card(session, allowed.case)
    language = allowed.commission.language
    await callback.answer()
    await callback.bot.send_message(
        callback.message.chat.id,
        render_card(data, language, settings.zone),
        reply_markup=card_keyboard(callback_data.case_id, language),
    )
