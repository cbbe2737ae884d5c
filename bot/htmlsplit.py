"""Splitting Telegram HTML into parts within a length limit without breaking tags or entities.

Telegram limits a message to 4,096 and a caption to 1,024 characters *after* entity parsing,
counted in UTF-16 code units. A part that ends inside `<b>…</b>` is closed there and the tag is
reopened at the start of the next part; entities (`&amp;`) are never cut; a part breaks at a
blank line, a line end or a space when there is one in its second half.
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]|[<&]", re.DOTALL)
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)")


class _Unit(NamedTuple):
    raw: str
    width: int  # visible UTF-16 code units; 0 for a tag
    char: str  # the visible character ("" for a tag)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _units(markup: str) -> list[_Unit]:
    units = []
    for token in _TOKEN.findall(markup):
        if len(token) > 1 and token.startswith("<") and token.endswith(">"):
            units.append(_Unit(token, 0, ""))
        elif len(token) > 1 and token.startswith("&"):
            units.append(_Unit(token, 1, html.unescape(token)))
        else:
            units.append(_Unit(token, utf16_len(token), token))
    return units


def visible_length(markup: str) -> int:
    """The length Telegram counts: text after entity parsing, in UTF-16 code units."""
    return sum(unit.width for unit in _units(markup))


def _break_at(units: list[_Unit], start: int, end: int) -> int:
    """The index just after the best break in units[start:end], or end when there is none."""
    half = start + (end - start) // 2
    for wanted in ("\n\n", "\n", " "):
        for index in range(end - 1, half, -1):
            if wanted == "\n\n":
                if units[index].char == "\n" and units[index - 1].char == "\n":
                    return index + 1
            elif units[index].char == wanted:
                return index + 1
    return end


def _apply_tags(stack: list[tuple[str, str]], units: list[_Unit]) -> None:
    for unit in units:
        match = _TAG.match(unit.raw) if not unit.char else None
        if not match:
            continue
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index][0] == name:
                    del stack[index]
                    break
        elif not unit.raw.rstrip(">").endswith("/"):
            stack.append((name, unit.raw))


def split_html(markup: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of `markup`, each within `limit` visible characters and each well-formed."""
    units = _units(markup)
    if sum(unit.width for unit in units) <= limit:
        return [markup]
    parts: list[str] = []
    stack: list[tuple[str, str]] = []
    start, used, index = 0, 0, 0
    while index < len(units):
        if used + units[index].width <= limit:
            used += units[index].width
            index += 1
            continue
        end = _break_at(units, start, index)
        parts.append(_render(stack, units[start:end]))
        start, index, used = end, end, 0
    if start < len(units):
        parts.append(_render(stack, units[start:]))
    return [part for part in parts if visible_length(part.strip())]


def _render(stack: list[tuple[str, str]], chunk: list[_Unit]) -> str:
    opening = "".join(raw for _, raw in stack)
    _apply_tags(stack, chunk)
    closing = "".join(f"</{name}>" for name, _ in reversed(stack))
    body = "".join(unit.raw for unit in chunk)
    return (opening + body.strip("\n ") + closing) if body.strip() else ""
