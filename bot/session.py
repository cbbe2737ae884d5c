"""An aiogram HTTP session that costs less per call, for the bot and the outbox.

Four things aiogram's own session pays on every call, and this one does not:

* Form encoding. Without a file to upload, a call goes out as a JSON body (which the Bot API
  accepts) instead of `application/x-www-form-urlencoded`, whose pure-Python percent-encoding
  of every Cyrillic letter dominated the cost of sending a long Russian text.
* Rebuilding response models. aiogram validates each answer with `Response[<result type>]`;
  pydantic keeps parametrised models only weakly, so they were collected and rebuilt (tens of
  milliseconds each) again and again. The ones in use are kept here.
* Serialising the same keyboard again. Most of the bot's keyboards are built once per
  language and never changed after (`bot/keyboards.py` marks them `unchanging`); the JSON
  form of those is kept too. Anything else is serialised on every call, as aiogram does.
* Reading our own keyboards back. Telegram echoes a message's inline keyboard in every answer
  to a send or an edit, and in every button press's update (`callback_query.message`):
  twenty-odd pydantic models per update for the region keyboard, which nothing here reads.
  `reply_markup` is dropped from the messages of an answer before it is validated, so a
  message read back from Telegram has `reply_markup=None`; what a citizen or commissioner
  sends has no keyboard to drop.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject
from aiohttp import ClientError, ClientTimeout

_RESPONSE_TYPES: dict[type, Any] = {}
_UNCHANGING: dict[int, TelegramObject] = {}  # id → the object (held: the id stays its own)
T = TypeVar("T", bound=TelegramObject)


def unchanging(value: T) -> T:
    """Mark an object that is never changed after it is built and lives as long as the
    process: FastSession keeps its serialised form. (Keyboards are mutable aiogram types; an
    object changed after marking would be sent as it was.)"""
    _UNCHANGING[id(value)] = value
    return value


_MESSAGE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")


def _echoed_messages(result: Any) -> list[dict[str, Any]]:
    """The messages in a Bot API result: the result itself (a send or an edit), or those in
    a list of updates (their messages and button presses)."""
    if isinstance(result, dict):
        return [result] if "message_id" in result else []
    found = []
    for update in result if isinstance(result, list) else ():
        if not isinstance(update, dict):
            continue
        for key in _MESSAGE_KEYS:
            if isinstance(update.get(key), dict):
                found.append(update[key])
        callback = update.get("callback_query")
        if isinstance(callback, dict) and isinstance(callback.get("message"), dict):
            found.append(callback["message"])
    return found


def loads_without_keyboards(content: str | bytes) -> Any:
    """json.loads, then drop `reply_markup` from the answer's messages (see the module
    docstring)."""
    payload = json.loads(content)
    if isinstance(payload, dict):
        for message in _echoed_messages(payload.get("result")):
            message.pop("reply_markup", None)
    return payload


def pin_response_type(method: type[TelegramMethod[Any]]) -> None:
    """Keep `Response[<method's result>]` alive, so that pydantic builds it only once."""
    if method not in _RESPONSE_TYPES:
        _RESPONSE_TYPES[method] = Response[method.__returning__]  # type: ignore[name-defined]


class FastSession(AiohttpSession):
    """AiohttpSession with JSON bodies, pinned response models and no keyboards read back
    (see the module docstring)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(json_loads=loads_without_keyboards, **kwargs)
        self._serialised: dict[int, Any] = {}  # id of an unchanging object → its JSON form

    def _body(
        self, bot: Bot, method: TelegramMethod[Any], files: dict[str, Any]
    ) -> dict[str, Any]:
        objects = {k: v for k, v in method.__dict__.items() if isinstance(v, TelegramObject)}
        body = {}
        for key, value in method.model_dump(warnings=False, exclude=set(objects)).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                body[key] = prepared
        for key, value in objects.items():
            body[key] = self._serialise(bot, value, files)
        return body

    def _serialise(self, bot: Bot, value: TelegramObject, files: dict[str, Any]) -> Any:
        if _UNCHANGING.get(id(value)) is not value:
            return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if id(value) not in self._serialised:
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            self._serialised[id(value)] = prepared
        return self._serialised[id(value)]

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        pin_response_type(type(method))
        files: dict[str, Any] = {}
        body = self._body(bot, method, files)
        if files:  # an upload needs multipart/form-data: aiogram's own way
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json"},
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            message = f"{type(exc).__name__}: {exc}"
            raise TelegramNetworkError(method=method, message=message) from exc
        response = self.check_response(
            bot=bot, method=method, status_code=resp.status, content=raw_result
        )
        return cast(TelegramType, response.result)


__all__ = ["FastSession", "loads_without_keyboards", "pin_response_type", "unchanging"]
