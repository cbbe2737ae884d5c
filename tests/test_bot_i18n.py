"""The bot's catalogues: complete in ru and kk, faithful to placeholders and markup, compiled
and in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, text_for

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?(\w+)")


def _catalog(language: str):  # type: ignore[no-untyped-def]
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def _pairs(language: str) -> list[tuple[str, str]]:
    pairs = []
    for message in _catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(ids[min(i, len(ids) - 1)], s) for i, s in enumerate(strings)]
    return pairs


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_message_is_translated(language: str) -> None:
    assert [msgid for msgid, string in _pairs(language) if not string] == []


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_translations_keep_placeholders_and_markup(language: str) -> None:
    for msgid, string in _pairs(language):
        assert set(PLACEHOLDER.findall(string)) == set(PLACEHOLDER.findall(msgid)), string
        assert sorted(TAG.findall(string)) == sorted(TAG.findall(msgid)), string


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_compiled_catalogue_matches_its_source(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "bot.mo").open("rb") as handle:
        compiled = {
            _key(m.id): _key(m.string)
            for m in read_mo(handle)
            if m.id and _key(m.string) != _key(m.id)  # untranslated plurals compile to the ids
        }
    source = {
        _key(m.id): _key(m.string)
        for m in _catalog(language)
        if m.id and m.string and any(m.string)
    }
    assert compiled == source, "run `make locales` to recompile"


def test_the_catalogues_hold_every_message_the_code_uses() -> None:
    keywords = dict(DEFAULT_KEYWORDS, N_=None, __=None)
    used = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", keywords=keywords
    ):
        used.add(message if isinstance(message, str) else message[0])
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog("ru") if m.id}
    assert used - known == set(), "run `make locales` and translate the new messages"


def test_a_text_outside_a_handler_is_translated() -> None:
    assert text_for("kk", "Check a report") == "Шағымды тексеру"
    assert text_for("en", "Check a report") == "Check a report"
