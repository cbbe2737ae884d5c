"""Evidence a citizen sends: which files are accepted, and fetching them from Telegram into
the attachment store (by content hash) as soon as they arrive."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from bot.draft import Evidence
from intake.attachments import store_bytes

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the Bot API's getFile limit


class TooLarge(Exception):
    """Over the Bot API's 20 MB download limit."""


@dataclass(frozen=True, slots=True)
class Incoming:
    file_id: str
    size: int | None
    mime_type: str
    kind: str
    name: str | None = None


def incoming_file(message: Message) -> Incoming | None:
    """The evidence file a message carries, if any (photos, documents, video, voice, audio)."""
    if message.photo:
        best = message.photo[-1]
        return Incoming(best.file_id, best.file_size, "image/jpeg", "photo")
    if message.document:
        d = message.document
        mime = d.mime_type or "application/octet-stream"
        return Incoming(d.file_id, d.file_size, mime, "document", d.file_name)
    if message.video:
        v = message.video
        return Incoming(v.file_id, v.file_size, v.mime_type or "video/mp4", "video", v.file_name)
    if message.video_note:
        n = message.video_note
        return Incoming(n.file_id, n.file_size, "video/mp4", "video_note")
    if message.voice:
        s = message.voice
        return Incoming(s.file_id, s.file_size, s.mime_type or "audio/ogg", "voice")
    if message.audio:
        a = message.audio
        return Incoming(a.file_id, a.file_size, a.mime_type or "audio/mpeg", "audio", a.file_name)
    return None


async def fetch(bot: Bot, item: Incoming, root: Path) -> Evidence:
    """Download the file and store it by hash; TooLarge when Telegram will not hand it over."""
    if item.size is not None and item.size > DOWNLOAD_LIMIT:
        raise TooLarge(item.size)
    try:
        buffer = await bot.download(item.file_id)
    except TelegramBadRequest as exc:
        if "too big" in exc.message:
            raise TooLarge(item.size) from exc
        raise
    assert buffer is not None
    content = buffer.read()
    stored = await asyncio.to_thread(store_bytes, root, content)
    name = (item.name or "")[:200] or None
    return Evidence(stored.sha256, stored.size, item.mime_type[:128], item.kind, name)
