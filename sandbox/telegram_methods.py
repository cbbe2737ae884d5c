"""The Bot API methods the emulator answers (see `sandbox.telegram`)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.telegram_driver import SentMessage
from sandbox.telegram_html import EntityError, parse_html, utf16_len

if TYPE_CHECKING:
    from sandbox.telegram import TelegramEmulator

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DOWNLOAD_LIMIT = 20 * 1024 * 1024
FILE_KINDS = ("photo", "document", "video", "voice", "audio", "animation")

Method = Callable[["TelegramEmulator", dict[str, Any]], Awaitable[Any]]
METHODS: dict[str, Method] = {}


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def method(*names: str) -> Callable[[Method], Method]:
    def register(fn: Method) -> Method:
        for name in names:
            METHODS[name.lower()] = fn
        return fn

    return register


def _chat(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    chat_id = params.get("chat_id")
    if not isinstance(chat_id, int) or chat_id not in emu.chats:
        raise ApiError(400, "Bad Request: chat not found")
    if chat_id in emu.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return emu.chats[chat_id]


def _plain(params: dict[str, Any], key: str, limit: int) -> str:
    markup = str(params.get(key) or "")
    if params.get("parse_mode", "").upper() == "HTML":
        try:
            text = parse_html(markup)
        except EntityError as exc:
            raise ApiError(400, str(exc)) from None
    else:
        text = markup
    if utf16_len(text) > limit:
        what = "message is too long" if key == "text" else "message caption is too long"
        raise ApiError(400, f"Bad Request: {what}")
    return text


def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    if not markup:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not (1 <= len(data.encode()) <= 64):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return dict(markup)


def _store(
    emu: TelegramEmulator,
    chat: Any,
    kind: str,
    text: str,
    html: str,
    params: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    markup = _markup(params)
    message_id = emu.next_message_id(chat.id)
    raw: dict[str, Any] = {
        "message_id": message_id,
        "from": emu.bot_user,
        "chat": chat.chat,
        "date": emu.now(),
        **(extra or {}),
    }
    if kind == "text":
        raw["text"] = text
    elif text:
        raw["caption"] = text
    if markup and "inline_keyboard" in markup:
        raw["reply_markup"] = markup
    sent = SentMessage(message_id, chat.id, kind, text, html, markup, raw=raw)
    chat.messages[message_id] = sent
    chat.record("message", sent)
    return raw


@method("getMe")
async def get_me(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return emu.bot_user


@method("getUpdates")
async def get_updates(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return await emu.get_updates(params)


@method("close", "logOut", "sendChatAction")
async def accept(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return True


_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@method("setWebhook")
async def set_webhook(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    url = str(params.get("url") or "")
    if not url:  # an empty url removes the webhook, as deleteWebhook does
        await emu.delete_webhook(bool(params.get("drop_pending_updates")))
        return True
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET.match(str(secret)):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    await emu.set_webhook(params)
    return True


@method("deleteWebhook")
async def delete_webhook(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    await emu.delete_webhook(bool(params.get("drop_pending_updates")))
    return True


@method("getWebhookInfo")
async def webhook_info(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    if emu.webhook is None:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    return emu.webhook.info()


@method("setMyCommands")
async def set_commands(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    emu.commands[str(params.get("language_code") or "")] = list(params.get("commands") or [])
    return True


@method("getMyCommands")
async def get_commands(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return emu.commands.get(str(params.get("language_code") or ""), [])


@method("deleteMyCommands")
async def delete_commands(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    emu.commands.pop(str(params.get("language_code") or ""), None)
    return True


@method("getChat")
async def get_chat(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return dict(_chat(emu, params).chat)


@method("sendMessage")
async def send_message(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    chat = _chat(emu, params)
    text = _plain(params, "text", TEXT_LIMIT)
    if not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    return _store(emu, chat, "text", text, str(params.get("text")), params)


def _edited(emu: TelegramEmulator, params: dict[str, Any]) -> tuple[Any, SentMessage]:
    chat = _chat(emu, params)
    sent = chat.messages.get(params.get("message_id"))
    if sent is None or sent.deleted:
        raise ApiError(400, "Bad Request: message to edit not found")
    return chat, sent


def _apply_edit(chat: Any, sent: SentMessage, text: str, html: str, markup: Any) -> Any:
    if sent.html == html and (sent.reply_markup or None) == (markup or None):
        raise ApiError(
            400,
            "Bad Request: message is not modified: specified new message content and reply "
            "markup are exactly the same as a current content and reply markup of the message",
        )
    sent.text, sent.html, sent.reply_markup = text, html, markup
    sent.edits += 1
    key = "text" if sent.kind == "text" else "caption"
    sent.raw[key] = text
    sent.raw.pop("reply_markup", None)
    if markup and "inline_keyboard" in markup:
        sent.raw["reply_markup"] = markup
    chat.record("edit", sent)
    return sent.raw


@method("editMessageText")
async def edit_text(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    chat, sent = _edited(emu, params)
    text = _plain(params, "text", TEXT_LIMIT)
    return _apply_edit(chat, sent, text, str(params.get("text")), _markup(params))


@method("editMessageCaption")
async def edit_caption(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    chat, sent = _edited(emu, params)
    text = _plain(params, "caption", CAPTION_LIMIT)
    return _apply_edit(chat, sent, text, str(params.get("caption") or ""), _markup(params))


@method("editMessageReplyMarkup")
async def edit_markup(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    chat, sent = _edited(emu, params)
    return _apply_edit(chat, sent, sent.text, sent.html, _markup(params))


@method("deleteMessage")
async def delete_message(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    chat, sent = _edited(emu, params)
    sent.deleted = True
    chat.record("delete", sent)
    return True


@method("answerCallbackQuery")
async def answer_callback(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    query_id = str(params.get("callback_query_id"))
    chat_id = emu._callbacks.pop(query_id, None)
    if chat_id is None:
        raise ApiError(400, "Bad Request: query is too old and response timeout expired")
    answer = {k: v for k, v in params.items() if k != "callback_query_id"}
    emu.answers.append(dict(answer, chat_id=chat_id))
    emu.chats[chat_id].record("callback_answer", None, answer)
    return True


def _upload(emu: TelegramEmulator, params: dict[str, Any], value: Any, kind: str) -> Any:
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
    if isinstance(value, web.FileField):
        content = value.file.read()
        return emu.add_file(content, value.content_type, value.filename, prefix=kind + "s")
    if isinstance(value, str) and value in emu.files:
        return emu.files[value]
    raise ApiError(400, "Bad Request: wrong remote file identifier specified")


async def _send_file(emu: TelegramEmulator, params: dict[str, Any], kind: str) -> Any:
    chat = _chat(emu, params)
    record = _upload(emu, params, params.get(kind), kind)
    caption = _plain(params, "caption", CAPTION_LIMIT)
    obj = dict(record.as_object())
    if kind == "photo":
        payload: Any = [dict(obj, width=800, height=600)]
    else:
        payload = dict(obj, file_name=record.name, mime_type=record.mime_type)
    raw = _store(
        emu, chat, kind, caption, str(params.get("caption") or ""), params, {kind: payload}
    )
    sent = chat.messages[raw["message_id"]]
    sent.content, sent.filename = record.content, record.name
    return raw


@method("sendPhoto")
async def send_photo(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return await _send_file(emu, params, "photo")


@method("sendDocument")
async def send_document(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return await _send_file(emu, params, "document")


@method("sendVideo")
async def send_video(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return await _send_file(emu, params, "video")


@method("sendVoice")
async def send_voice(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    return await _send_file(emu, params, "voice")


@method("sendMediaGroup")
async def send_media_group(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    media = params.get("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise ApiError(400, "Bad Request: wrong number of media in the group")
    sent = []
    for item in media:
        value = item.get("media", "")
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        single = {
            "chat_id": params.get("chat_id"),
            item.get("type", "document"): value,
            "caption": item.get("caption"),
            "parse_mode": item.get("parse_mode") or params.get("parse_mode", ""),
        }
        sent.append(await _send_file(emu, single, item.get("type", "document")))
    return sent


@method("getFile")
async def get_file(emu: TelegramEmulator, params: dict[str, Any]) -> Any:
    record = emu.files.get(str(params.get("file_id")))
    if record is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    if record.size > DOWNLOAD_LIMIT:
        raise ApiError(400, "Bad Request: file is too big")
    return dict(record.as_object(), file_path=record.path)
