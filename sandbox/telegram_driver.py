"""The driver half of the Bot API emulator: what a chat shows and how people act in it.

See `sandbox.telegram` for the overview; these classes are created by `TelegramEmulator`.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.telegram import TelegramEmulator

DEFAULT_TIMEOUT = 15.0


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent to a chat, as the chat shows it now (edits applied)."""

    message_id: int
    chat_id: int
    kind: str  # text, photo, document, video, voice, audio
    text: str  # plain text (or caption) after entity parsing
    html: str  # the markup the bot sent
    reply_markup: dict[str, Any] | None = None
    content: bytes | None = None  # uploaded file, for photo/document
    filename: str | None = None
    edits: int = 0
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict)  # the Bot API Message object

    def buttons(self) -> list[str]:
        """Texts of the inline buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button.get("text", "") for row in rows for button in row]

    def button(self, text: str | None = None, data: str | None = None) -> dict[str, Any] | None:
        """The inline button whose text contains `text` (or whose callback data is `data`)."""
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if data is not None and button.get("callback_data") == data:
                    return dict(button)
                if text is not None and text in button.get("text", ""):
                    return dict(button)
        return None

    def keyboard(self) -> list[dict[str, Any]]:
        """Buttons of a reply keyboard (`request_contact` ones included), flattened."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]


@dataclass(slots=True)
class ChatEvent:
    kind: str  # message, edit, delete, callback_answer
    message: SentMessage | None
    at: float
    answer: dict[str, Any] | None = None


class ChatView:
    """One chat as a participant sees it, with a read cursor over the bot's events."""

    def __init__(self, emulator: TelegramEmulator, chat: dict[str, Any]) -> None:
        self.emulator = emulator
        self.chat = chat
        self.id: int = chat["id"]
        self.events: list[ChatEvent] = []
        self.messages: dict[int, SentMessage] = {}
        self.cursor = 0

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent here that is not deleted, oldest first."""
        return [m for m in self.messages.values() if not m.deleted]

    @property
    def last(self) -> SentMessage | None:
        sent = self.sent
        return sent[-1] if sent else None

    def texts(self) -> list[str]:
        return [m.text for m in self.sent]

    def skip(self) -> None:
        """Mark everything so far as read."""
        self.cursor = len(self.events)

    def unread(self) -> list[ChatEvent]:
        return self.events[self.cursor :]

    async def next(self, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """The next new or edited message after the cursor (waits for it)."""
        event = await self.next_event(lambda e: e.kind in ("message", "edit"), timeout)
        assert event.message is not None
        return event.message

    async def next_message(self, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """The next new message after the cursor (edits are passed over)."""
        event = await self.next_event(lambda e: e.kind == "message", timeout)
        assert event.message is not None
        return event.message

    async def wait_for(
        self, contains: str | Callable[[SentMessage], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> SentMessage:
        """The first new or edited message after the cursor whose text contains `contains`
        (or that satisfies it, when it is a function); earlier ones are marked read."""

        def wanted(event: ChatEvent) -> bool:
            if event.kind not in ("message", "edit") or event.message is None:
                return False
            if callable(contains):
                return bool(contains(event.message))
            return contains in event.message.text

        event = await self.next_event(wanted, timeout)
        assert event.message is not None
        return event.message

    async def next_event(
        self, wanted: Callable[[ChatEvent], bool], timeout: float = DEFAULT_TIMEOUT
    ) -> ChatEvent:
        found: list[ChatEvent] = []

        def scan() -> bool:
            while self.cursor < len(self.events):
                event = self.events[self.cursor]
                self.cursor += 1
                if wanted(event):
                    found.append(event)
                    return True
            return False

        try:
            await self.emulator.wait_until(scan, timeout)
        except TimeoutError:
            texts = [m.text[:80] for m in self.sent[-3:]]
            raise TimeoutError(
                f"chat {self.id}: nothing expected arrived; last: {texts}"
            ) from None
        return found[0]

    def record(self, kind: str, message: SentMessage | None, answer: Any = None) -> None:
        snapshot = copy.copy(message) if message is not None else None
        self.events.append(ChatEvent(kind, snapshot, asyncio.get_running_loop().time(), answer))


class UserDriver:
    """A person: writes to the bot in private or in a group, presses buttons, shares things."""

    def __init__(self, emulator: TelegramEmulator, user: dict[str, Any], chat: ChatView) -> None:
        self.emulator = emulator
        self.user = user
        self.id: int = user["id"]
        self.chat = chat  # the private chat with the bot

    def _where(self, chat: ChatView | None) -> ChatView:
        return chat or self.chat

    async def send(
        self,
        text: str,
        *,
        chat: ChatView | None = None,
        reply_to: int | None = None,
        forward_from: str | None = None,
    ) -> int:
        """Write a text (a `/command` included); returns the update id."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            target = self._where(chat).messages.get(reply_to)
            extra["reply_to_message"] = target.raw if target else None
        if forward_from:
            extra["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": forward_from,
                "date": self.emulator.now(),
            }
        return await self.emulator.push_message(self, self._where(chat), extra)

    async def press(
        self,
        text: str | None = None,
        *,
        data: str | None = None,
        message: SentMessage | None = None,
        chat: ChatView | None = None,
    ) -> int:
        """Press an inline button by (part of) its text or its callback data, on `message` or
        on the latest message in the chat that has such a button; returns the update id."""
        where = self._where(chat)
        candidates = [message] if message else list(reversed(where.sent))
        for candidate in candidates:
            current = where.messages.get(candidate.message_id, candidate)
            button = current.button(text=text, data=data)
            if button and "callback_data" in button:
                return await self.emulator.push_callback(self, where, current, button)
        raise LookupError(f"no button {text or data!r} in chat {where.id}")

    async def share_contact(self, phone: str = "+77010000000", *, own: bool = True) -> int:
        """Share a phone number the way `request_contact` does (`own=False`: someone else's)."""
        contact = {
            "phone_number": phone,
            "first_name": self.user.get("first_name", ""),
            "user_id": self.id if own else self.id + 1,
        }
        return await self.emulator.push_message(self, self.chat, {"contact": contact})

    async def send_photo(
        self, content: bytes, *, caption: str | None = None, media_group_id: str | None = None
    ) -> int:
        file = self.emulator.add_file(content, "image/jpeg", "photo.jpg", prefix="photos")
        sizes = [dict(file.as_object(), width=1280, height=960)]
        extra = {"photo": sizes, "caption": caption, "media_group_id": media_group_id}
        return await self.emulator.push_message(self, self.chat, extra)

    async def send_document(
        self,
        content: bytes,
        filename: str = "document.pdf",
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        size: int | None = None,
    ) -> int:
        """Send a file; `size` declares a larger size than `content` (a file Telegram will not
        let the bot download over 20 MB, without allocating it)."""
        file = self.emulator.add_file(content, mime_type, filename, size=size, prefix="documents")
        document = dict(file.as_object(), file_name=filename, mime_type=mime_type)
        return await self.emulator.push_message(
            self, self.chat, {"document": document, "caption": caption}
        )

    async def send_video(self, content: bytes, *, size: int | None = None) -> int:
        file = self.emulator.add_file(
            content, "video/mp4", "video.mp4", size=size, prefix="videos"
        )
        video = dict(file.as_object(), width=640, height=480, duration=5, mime_type="video/mp4")
        return await self.emulator.push_message(self, self.chat, {"video": video})

    async def send_voice(self, content: bytes, *, duration: int = 3) -> int:
        file = self.emulator.add_file(content, "audio/ogg", "voice.ogg", prefix="voice")
        voice = dict(file.as_object(), duration=duration, mime_type="audio/ogg")
        return await self.emulator.push_message(self, self.chat, {"voice": voice})

    async def block_bot(self) -> int:
        """Block the bot: later sends to this user fail with 403, and the bot is told."""
        self.emulator.block(self.id)
        return await self.emulator.push_member_status(self, "kicked")

    async def unblock_bot(self) -> int:
        self.emulator.unblock(self.id)
        return await self.emulator.push_member_status(self, "member")

    # Shortcuts for the common act-then-read step.
    async def say(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """Write `text`; the next new message the bot sends."""
        self.chat.skip()
        await self.send(text)
        return await self.chat.next_message(timeout)

    async def click(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """Press a button; the bot's next visible answer: a new message, or the edit of one
        (a bot often turns the question into the next one)."""
        self.chat.skip()
        await self.press(text)
        return await self.chat.next(timeout)


def new_file_ids() -> tuple[str, str]:
    token = secrets.token_urlsafe(12)
    return f"F{token}", f"U{token[:10]}"
