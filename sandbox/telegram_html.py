"""Telegram's HTML parse mode as the Bot API enforces it, for the emulator: supported tags only,
balanced, only the four named entities, and the length counted after parsing (UTF-16 units).

A bot that forgets to escape a user's `<` gets the same 400 answer from the emulator as from
Telegram: "Bad Request: can't parse entities: …".
"""

from __future__ import annotations

import html
import re

TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ]
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][\w-]*)((?:\s+[^>]*)?)\s*>|&(#x[0-9a-fA-F]+|#\d+|\w+);|<|&|[^<&]+"
)


class EntityError(ValueError):
    """The text is not valid Telegram HTML; str() is Telegram's description."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(markup: str) -> str:
    """The plain text Telegram would show for `markup`, or EntityError."""
    out: list[str] = []
    stack: list[str] = []
    offset = 0
    for match in _TOKEN.finditer(markup):
        token = match.group(0)
        if match.group(2):
            closing, name = match.group(1), match.group(2).lower()
            if name not in TAGS:
                raise EntityError(
                    f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" '
                    f"at byte offset {offset}"
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise EntityError(
                        f"Bad Request: can't parse entities: Can't find end tag corresponding "
                        f'to start tag "{stack[-1] if stack else name}"'
                    )
                stack.pop()
            else:
                stack.append(name)
        elif match.group(4):
            entity = match.group(4)
            if entity.startswith("#"):
                out.append(html.unescape(token))
            elif entity in _NAMED:
                out.append(_NAMED[entity])
            else:
                raise EntityError(
                    f'Bad Request: can\'t parse entities: Unsupported HTML entity "&{entity};" '
                    f"at byte offset {offset}"
                )
        elif token in ("<", "&"):
            what = "start tag" if token == "<" else "character entity"
            raise EntityError(
                f"Bad Request: can't parse entities: Unexpected {what} at byte offset {offset}"
            )
        else:
            out.append(token)
        offset += len(token.encode())
    if stack:
        raise EntityError(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1]}"'
        )
    return "".join(out)
