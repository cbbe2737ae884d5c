"""Texts the outbox sends to a citizen's Telegram chat, in the citizen's language.

text = relay_text("kk", "SH-2026-00042", answer_text)   # escaped Telegram HTML
markup = relay_markup("kk", case_id)                      # the "Add information" button
await sender.send_text(chat_id, text, reply_markup=markup)
"""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup

from bot.i18n import N_, text_for
from bot.keyboards import add_to_case

RELAY = N_("📬 <b>The commission has answered on case {number}:</b>\n\n{answer}")
RELAY_BUTTON = N_("➕ Add information")
ACK = N_(
    "✅ Your report has been registered as case <b>{number}</b>. Receipt code: "
    "<code>{code}</code>. Keep it: with it you can check the report (/status)."
)


def relay_text(language: str, case_number: str, answer: str) -> str:
    return text_for(language, RELAY, number=escape(case_number), answer=escape(answer))


def relay_markup(language: str, case_id: int) -> InlineKeyboardMarkup:
    return add_to_case(case_id, text_for(language, RELAY_BUTTON))


def ack_text(language: str, case_number: str, formatted_code: str) -> str:
    """For an acknowledgement the bot did not show itself (none today; kept for the outbox)."""
    return text_for(language, ACK, number=escape(case_number), code=escape(formatted_code))
