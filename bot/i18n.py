"""The bot's languages and gettext catalogues (`locales/<lang>/LC_MESSAGES/bot.mo`).

Message ids are English; `en` has an empty catalogue of its own so that it is a language the
citizen can choose. Texts are rendered with aiogram's `gettext` (`_`) inside handlers, where
the profile middleware has set the citizen's language, or with `text_for(language, msgid)`
elsewhere (the outbox).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiogram.utils.i18n import I18n

import locales

LANGUAGES = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "ru"
DOMAIN = "bot"
LOCALES_DIR = Path(locales.__file__).resolve().parent

# Shown in each language's own words, so anyone can find theirs.
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


def pick_language(code: str | None) -> str:
    """Our language for a Telegram `language_code` ("kk", "ru", "en-US", …)."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    if base in LANGUAGES:
        return base
    return DEFAULT_LANGUAGE


@cache
def create_i18n() -> I18n:
    """The catalogues, loaded once per process (they are read-only)."""
    return I18n(path=LOCALES_DIR, default_locale=DEFAULT_LANGUAGE, domain=DOMAIN)


def text_for(language: str, msgid: str, **values: object) -> str:
    """A translated message outside a handler; `values` fill `{name}` placeholders."""
    text = create_i18n().gettext(msgid, locale=language)
    return text.format(**values) if values else text


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message id for the catalogue where it is defined; translate it where it is used."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The plural form for `n` in the current language (Russian has three)."""
    from aiogram.utils.i18n import gettext

    return gettext(singular, plural, n)
