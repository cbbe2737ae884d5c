"""Filters checked in the event loop.

aiogram runs a plain callable filter — a magic filter such as `F.text` included — in a worker
thread (`asyncio.to_thread`), which for a one-attribute check costs far more than the check.
`Is(F…)` is the same test as an async `Filter`, run inline.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from magic_filter import MagicFilter


class Is(Filter):
    """A magic filter, evaluated inline."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: Any) -> Any:
        return self.magic.resolve(event)


HAS_FILE_MAGIC = F.photo | F.document | F.video | F.video_note | F.voice | F.audio

PRIVATE_CHAT = Is(F.chat.type == "private")
PRIVATE_BUTTON = Is(F.message.chat.type == "private")
GROUP_CHAT = Is(F.chat.type.in_({"group", "supergroup"}))
GROUP_BUTTON = Is(F.message.chat.type.in_({"group", "supergroup"}))

TEXT = Is(F.text & ~F.text.startswith("/"))  # a text that is not a command
ANY_TEXT = Is(F.text)
CONTACT = Is(F.contact)
FILE = Is(HAS_FILE_MAGIC)
FREE_TEXT = Is((F.text | F.caption) & ~F.text.startswith("/") & ~HAS_FILE_MAGIC)
TEXT_OR_FILE = Is((F.text & ~F.text.startswith("/")) | HAS_FILE_MAGIC)


def text_matching(pattern: str) -> Is:
    return Is(F.text.regexp(pattern))
