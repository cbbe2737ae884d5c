"""Inline keyboards and their callback data. Labels are translated where they are built."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGE_NAMES
from bot.regions import button_label, ordered_codes
from bot.session import unchanging
from intake.category import CATEGORIES, label


class Nav(CallbackData, prefix="n"):
    """A step in a dialogue: menu items, Next, Skip, Send, Edit, Cancel…"""

    action: str


class Pick(CallbackData, prefix="p"):
    """A choice: kind is lang, cat, reg, place or field; value is what was chosen."""

    kind: str
    value: str


class AddInfo(CallbackData, prefix="a"):
    """ "Add information" under a commission's answer: the case to add to."""

    case_id: int


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


F = TypeVar("F", bound=Callable[..., Any])


def per_language(build: F) -> F:
    """Build a keyboard once per language and arguments (they are not changed after, so the
    session may keep their serialised form too)."""
    cache: dict[tuple[Any, ...], Any] = {}

    @functools.wraps(build)
    def cached(*args: Any, **kwargs: Any) -> Any:
        key = (get_i18n().current_locale, args, tuple(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = unchanging(build(*args, **kwargs))
        return cache[key]

    return cached  # type: ignore[return-value]


@per_language
def languages() -> InlineKeyboardMarkup:
    row = [_button(name, Pick(kind="lang", value=code)) for code, name in LANGUAGE_NAMES.items()]
    return InlineKeyboardMarkup(inline_keyboard=[row])


@per_language
def main_menu(has_draft: bool = False) -> InlineKeyboardMarkup:
    rows = []
    if has_draft:
        rows.append([_button(_("📝 Continue my report"), Nav(action="continue"))])
        rows.append([_button(_("🗑 Discard the unfinished report"), Nav(action="discard"))])
    else:
        rows.append([_button(_("📝 Report a violation"), Nav(action="report"))])
    rows.append([_button(_("🔎 Check a report"), Nav(action="status"))])
    rows.append(
        [
            _button(_("ℹ️ About the hotline"), Nav(action="about")),
            _button(_("🌐 Language"), Nav(action="language")),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_row() -> list[InlineKeyboardButton]:
    return [_button(_("✖️ Cancel the report"), Nav(action="cancel"))]


@per_language
def categories(language: str) -> InlineKeyboardMarkup:
    rows = [[_button(label(code, language), Pick(kind="cat", value=code))] for code in CATEGORIES]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


@per_language
def regions(language: str, suggested: tuple[str, ...]) -> InlineKeyboardMarkup:
    rows = [
        [_button("📍 " + button_label(code, language), Pick(kind="reg", value=code))]
        for code in suggested
    ]
    others = [code for code in ordered_codes(language) if code not in suggested]
    buttons = [
        _button(button_label(code, language), Pick(kind="reg", value=code)) for code in others
    ]
    rows += [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, cancel_row()])


def place(suggestions: list[str], *, keep: bool) -> InlineKeyboardMarkup:
    rows = [
        [_button(name, Pick(kind="place", value=str(i)))] for i, name in enumerate(suggestions)
    ]
    if keep:
        rows.append([_button(_("Keep it as I wrote it"), Nav(action="keep_place"))])
    rows.append([_button(_("Skip this question"), Nav(action="skip_place"))])
    rows.append(cancel_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def region_conflict(found: str, chosen: str, language: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button("📍 " + button_label(found, language), Pick(kind="reg", value=found))],
            [
                _button(
                    _("Keep: {region}").format(region=button_label(chosen, language)),
                    Nav(action="keep_place"),
                )
            ],
            cancel_row(),
        ]
    )


@per_language
def next_step() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(_("Next ➡️"), Nav(action="next"))], cancel_row()]
    )


@per_language
def contact() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("🙈 Stay anonymous"), Nav(action="anonymous"))],
            [_button(_("📱 Share my phone number"), Nav(action="phone"))],
            [_button(_("✉️ Give an email address"), Nav(action="email"))],
            cancel_row(),
        ]
    )


@per_language
def share_phone() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Send my number"), request_contact=True)],
            [KeyboardButton(text=_("Back"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@per_language
def summary() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("✅ Send"), Nav(action="send"))],
            [
                _button(_("✏️ Edit"), Nav(action="edit")),
                _button(_("✖️ Cancel"), Nav(action="cancel")),
            ],
        ]
    )


@per_language
def edit_fields() -> InlineKeyboardMarkup:
    fields = [
        ("category", _("Category")),
        ("region", _("Region")),
        ("place", _("Place")),
        ("text", _("Description and files")),
        ("contact", _("Contact")),
    ]
    rows = [[_button(text, Pick(kind="field", value=name))] for name, text in fields]
    rows.append([_button(_("« Back to the summary"), Nav(action="summary"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@per_language
def confirm_cancel() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Yes, discard it"), Nav(action="cancel_yes"))],
            [_button(_("No, continue"), Nav(action="cancel_no"))],
        ]
    )


@per_language
def case_actions(can_add: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_add:
        rows.append([_button(_("➕ Add information"), Nav(action="add"))])
    rows.append([_button(_("🗑 Forget my contact"), Nav(action="forget"))])
    rows.append([_button(_("🏠 Main menu"), Nav(action="menu"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@per_language
def confirm_forget() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(_("Yes, forget my contact"), Nav(action="forget_yes"))],
            [_button(_("No, keep it"), Nav(action="forget_no"))],
        ]
    )


@per_language
def done_adding() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("✅ Done"), Nav(action="done"))]])


def add_to_case(case_id: int, text: str) -> InlineKeyboardMarkup:
    """The button under a commission's answer (the outbox's relay message)."""
    return InlineKeyboardMarkup(inline_keyboard=[[_button(text, AddInfo(case_id=case_id))]])
