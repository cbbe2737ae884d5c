"""An aiogram HTTP session that costs less per call, for the bot and the outbox.

Two things aiogram's own session pays on every call, and this one does not:

* Form encoding. Without a file to upload, a call goes out as a JSON body (which the Bot API
  accepts) instead of `application/x-www-form-urlencoded`, whose pure-Python percent-encoding
  of every Cyrillic letter dominated the cost of sending a long Russian text.
* Rebuilding response models. aiogram validates each answer with `Response[<result type>]`;
  pydantic keeps parametrised models only weakly, so they were collected and rebuilt (tens of
  milliseconds each) again and again. The ones in use are kept here.
"""

from __future__ import annotations

import json
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

_RESPONSE_TYPES: dict[type, Any] = {}


def pin_response_type(method: type[TelegramMethod[Any]]) -> None:
    """Keep `Response[<method's result>]` alive, so that pydantic builds it only once."""
    if method not in _RESPONSE_TYPES:
        _RESPONSE_TYPES[method] = Response[method.__returning__]  # type: ignore[name-defined]


class FastSession(AiohttpSession):
    """AiohttpSession with JSON bodies and pinned response models (see the module docstring)."""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        pin_response_type(type(method))
        files: dict[str, Any] = {}
        body = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                body[key] = prepared
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


__all__ = ["FastSession", "pin_response_type"]
