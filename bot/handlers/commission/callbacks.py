"""The buttons under a case card in a commission's group, and their callback data."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.handlers.commission.actions import RESOLUTIONS
from bot.handlers.commission.texts import words

TARGETS_PER_ROW = 3


class CaseAction(CallbackData, prefix="cs"):
    """take, answer, resolve, resolve_as (arg: resolution), not_ours, reroute_to (arg: code),
    back — on case `case_id`."""

    action: str
    case_id: int
    arg: str = ""


def _button(text: str, action: str, case_id: int, arg: str = "") -> InlineKeyboardButton:
    data = CaseAction(action=action, case_id=case_id, arg=arg).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def card_keyboard(case_id: int, language: str) -> InlineKeyboardMarkup:
    w = words(language)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(w["take"], "take", case_id), _button(w["answer"], "answer", case_id)],
            [
                _button(w["resolve"], "resolve", case_id),
                _button(w["not_ours"], "not_ours", case_id),
            ],
        ]
    )


def resolve_keyboard(case_id: int, language: str) -> InlineKeyboardMarkup:
    w = words(language)
    rows = [[_button(w[code], "resolve_as", case_id, code)] for code in RESOLUTIONS]
    rows.append([_button(w["back"], "back", case_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reroute_keyboard(
    case_id: int, language: str, targets: list[tuple[str, str]]
) -> InlineKeyboardMarkup:
    """`targets`: (commission code, label) of every commission the case may go to."""
    buttons = [_button(label, "reroute_to", case_id, code) for code, label in targets]
    rows = [buttons[i : i + TARGETS_PER_ROW] for i in range(0, len(buttons), TARGETS_PER_ROW)]
    rows.append([_button(words(language)["back"], "back", case_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
