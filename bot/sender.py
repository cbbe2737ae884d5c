"""The Telegram sender the outbox delivers through: text, photos and documents, with failures
classified as transient (try again later) or permanent (this recipient cannot be reached).

    sender = TelegramSender(make_bot(token, api_base))
    message_id = await sender.send_text(chat_id, html_text, reply_markup=None)

Texts are Telegram HTML: escape every untrusted fragment (`html.escape`) before passing it.
A text over 4,096 characters goes out as several messages (the keyboard on the last); a caption
over 1,024 characters is cut at a natural break and the rest follows as text messages.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.htmlsplit import CAPTION_LIMIT, MESSAGE_LIMIT, split_html

log = logging.getLogger(__name__)


class SendError(Exception):
    """A message could not be delivered; see the two subclasses."""


class TransientSendError(SendError):
    """Worth trying again: flood control (after `retry_after` seconds), a Telegram outage,
    a network error, or a bad token the operator can fix."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Repeating cannot succeed for this recipient: the user blocked the bot (`blocked`), the
    chat does not exist, the bot was removed from the group, or the request is malformed.
    `migrate_to_chat_id` is set when a group became a supergroup with a new id."""

    def __init__(
        self, message: str, *, blocked: bool = False, migrate_to_chat_id: int | None = None
    ) -> None:
        super().__init__(message)
        self.blocked = blocked
        self.migrate_to_chat_id = migrate_to_chat_id


def classify(exc: TelegramAPIError) -> SendError:
    """Turn an aiogram error into a TransientSendError or a PermanentSendError."""
    text = str(exc.message)
    if isinstance(exc, TelegramRetryAfter):
        return TransientSendError(text, retry_after=float(exc.retry_after))
    if isinstance(exc, TelegramMigrateToChat):
        return PermanentSendError(text, migrate_to_chat_id=exc.migrate_to_chat_id)
    if isinstance(exc, TelegramEntityTooLarge):
        return PermanentSendError(text)
    if isinstance(exc, TelegramServerError | TelegramNetworkError | TelegramUnauthorizedError):
        return TransientSendError(text)
    if isinstance(exc, TelegramForbiddenError):
        return PermanentSendError(text, blocked=True)
    if isinstance(exc, TelegramBadRequest | TelegramNotFound):
        return PermanentSendError(text)
    return TransientSendError(text)


class TelegramSender:
    """Sends Telegram HTML through an aiogram Bot; every failure is a SendError subclass."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(
        self, chat_id: int | str, html_text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> int:
        """Send, split over 4,096 characters; returns the id of the last message sent (the one
        that carries `reply_markup`)."""
        parts = split_html(html_text, MESSAGE_LIMIT) or [html_text]
        message_id = 0
        for index, part in enumerate(parts):
            markup = reply_markup if index == len(parts) - 1 else None
            message = await self._call(
                self.bot.send_message, chat_id=chat_id, text=part, reply_markup=markup
            )
            message_id = message.message_id
        return message_id

    async def send_photo(
        self,
        chat_id: int | str,
        file_bytes: bytes,
        filename: str,
        caption_html: str = "",
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        """Send a photo; returns its message id. A caption over 1,024 characters continues in
        text messages after it."""
        return await self._send_file(
            self.bot.send_photo, "photo", chat_id, file_bytes, filename, caption_html, reply_markup
        )

    async def send_document(
        self,
        chat_id: int | str,
        file_bytes: bytes,
        filename: str,
        caption_html: str = "",
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> int:
        """Send a file as a document; returns its message id (captions as for send_photo)."""
        return await self._send_file(
            self.bot.send_document,
            "document",
            chat_id,
            file_bytes,
            filename,
            caption_html,
            reply_markup,
        )

    async def edit_text(
        self,
        chat_id: int | str,
        message_id: int,
        html_text: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Replace a message's text (cut to 4,096); an unchanged text is not an error."""
        text = split_html(html_text, MESSAGE_LIMIT)[0]
        try:
            await self._call(
                self.bot.edit_message_text,
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                reply_markup=reply_markup,
            )
        except PermanentSendError as exc:
            if "message is not modified" not in str(exc):
                raise

    async def edit_markup(
        self, chat_id: int | str, message_id: int, reply_markup: InlineKeyboardMarkup | None
    ) -> None:
        """Replace (or with None remove) a message's inline keyboard."""
        try:
            await self._call(
                self.bot.edit_message_reply_markup,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=reply_markup,
            )
        except PermanentSendError as exc:
            if "message is not modified" not in str(exc):
                raise

    async def _send_file(
        self,
        method: Any,
        field: str,
        chat_id: int | str,
        file_bytes: bytes,
        filename: str,
        caption_html: str,
        reply_markup: InlineKeyboardMarkup | None,
    ) -> int:
        parts = split_html(caption_html, CAPTION_LIMIT) if caption_html else []
        caption, rest = (parts[0], parts[1:]) if parts else (None, [])
        upload = BufferedInputFile(file_bytes, filename=filename or field)
        message = await self._call(
            method,
            chat_id=chat_id,
            caption=caption,
            reply_markup=None if rest else reply_markup,
            **{field: upload},
        )
        if rest:
            await self.send_text(chat_id, "\n".join(rest), reply_markup=reply_markup)
        return int(message.message_id)

    @staticmethod
    async def _call(method: Any, **kwargs: Any) -> Any:
        try:
            return await method(**kwargs)
        except TelegramAPIError as exc:
            error = classify(exc)
            log.info("telegram send failed: %s (%s)", type(error).__name__, type(exc).__name__)
            raise error from exc
