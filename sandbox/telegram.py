"""A Telegram Bot API emulator on loopback, for tests, benchmarks and `shagym demo`.

The real aiogram client talks to it over HTTP (`TELEGRAM_API_BASE=emulator.base_url`); a driver
plays the citizens and commissioners on the other side.

    async with TelegramEmulator() as emu:          # listens on 127.0.0.1, a free port
        bot = make_bot(emu.token, emu.base_url)     # bot.api.make_bot
        alice = emu.user(1001, "Alice", language_code="ru")
        await alice.send("/start")                  # an update the bot receives by getUpdates
        reply = await alice.chat.next()             # the next message the bot sent (or edited)
        await alice.press("Русский")                # press an inline button by (part of) its text
        await alice.share_contact("+77011234567")   # as a request_contact button does
        await alice.send_photo(b"...", caption="x") # also send_document, send_video, send_voice
        await alice.send_document(b"x", "big.mp4", "video/mp4", size=25 * 2**20)  # over 20 MB
        await alice.block_bot()                     # 403 from now on, plus a my_chat_member update

        group = emu.group(-1001000000001, "Commission")   # a group chat the bot is in
        member = emu.user(222222222, "Member")
        await member.send("text", chat=group, reply_to=group.last.message_id)
        await member.press("Take", chat=group)
        message = await group.wait_for("SH-2026-")  # first new message containing the text

Reading what the bot sent: `chat.sent` (messages now, edits applied, as `SentMessage` with
`text` — plain, after entity parsing —, `html`, `reply_markup`, `buttons()`, `button(text)`,
`keyboard()`, `content` for uploaded files), `chat.last`, `chat.texts()`; waiting:
`chat.next()` (next new or edited message), `chat.next_message()` (new ones only),
`chat.wait_for(text_or_predicate)`, `chat.skip()` (mark all read), `emu.wait_until(predicate)`.
`user.say(text)` returns the next new message; `user.click(text)` the next new or edited one. `emu.answers` are the answerCallbackQuery calls.

Faults: `emu.inject("sendMessage", status=429, retry_after=1, times=3, chat_id=None)` makes the
next calls of a method ("*" for any but getUpdates) fail — 429 with `retry_after`, 5xx, 403,
400 — `emu.block(chat_id)` answers 403 "bot was blocked by the user" for that chat;
`emu.limit_groups(20)` answers 429 with `retry_after` past 20 messages a minute to a group.
`emu.hold("sendMessage")` keeps such calls unanswered until `emu.release("sendMessage")`
(`emu.held(method)` counts the waiting ones) — a hung API, or the moment to crash a bot in.
`emu.redeliver(update_id)` delivers an update again (same id); after the bot's setWebhook,
updates are POSTed to it and retried on a non-2xx or a timeout (`emu.webhook`,
`sandbox.telegram_webhook`); `emu.calls` logs every call as
`Call(method, params, status)`; `emu.count(method, chat_id=None)` counts successful ones.

Faithful where it matters to the bot: HTML is parsed as Telegram does (unsupported tags,
unbalanced tags, bare `<` or `&` are a 400), texts over 4,096 and captions over 1,024
characters (after parsing, UTF-16) are a 400, callback data over 64 bytes is a 400, getFile of
a file over 20 MB is "file is too big", an edit to the same content is "message is not
modified", a second getUpdates ends the first one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.telegram_driver import ChatView, SentMessage, UserDriver, new_file_ids
from sandbox.telegram_methods import METHODS, ApiError
from sandbox.telegram_webhook import Webhook, WebhookPusher

__all__ = ["Call", "ChatView", "SentMessage", "TelegramEmulator", "UserDriver"]

DOWNLOAD_LIMIT = 20 * 1024 * 1024
_INT_FIELDS = frozenset(
    [
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "from_chat_id",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
    ]
)


@dataclass(slots=True)
class FileRecord:
    file_id: str
    unique_id: str
    content: bytes
    size: int
    path: str
    mime_type: str
    name: str | None

    def as_object(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.unique_id, "file_size": self.size}


@dataclass(slots=True)
class Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None


@dataclass(slots=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int
    at: float = 0.0


@dataclass(slots=True)
class _Poll:
    generation: int = 0
    offset: int = 0


_DESCRIPTIONS = {
    400: "Bad Request: injected error",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class TelegramEmulator:
    """The Bot API on 127.0.0.1 with one bot; see the module docstring."""

    def __init__(
        self,
        token: str = "123456789:SANDBOX-token",
        *,
        username: str = "shagym_sandbox_bot",
        first_name: str = "Shagym",
        keep_calls: bool = True,
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.keep_calls = keep_calls
        self.calls: list[Call] = []
        self.answers: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.files: dict[str, FileRecord] = {}
        self.chats: dict[int, ChatView] = {}
        self.users: dict[int, UserDriver] = {}
        self.blocked: set[int] = set()
        self.faults: list[Fault] = []
        self.counts: dict[tuple[str, int | None], int] = {}
        self.served_errors: dict[int, int] = {}
        self.polls = 0  # getUpdates calls so far: a bot is up once this moves
        self._updates: list[dict[str, Any]] = []
        self._delivered: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callbacks: dict[str, int] = {}
        self._changed = asyncio.Condition()
        self._poll = _Poll()
        self._held: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, int] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.webhook: Webhook | None = None  # set by setWebhook (sandbox.telegram_webhook)
        self.webhook_timeout = 10.0  # seconds a delivery may take before it is tried again
        self.webhook_retry_delay = 0.2
        self._pusher: WebhookPusher | None = None
        self.group_per_minute: int | None = None  # Telegram's ~20 a minute: see limit_groups
        self._group_sent: dict[int, deque[float]] = {}

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1 (a free port unless given); returns the base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        bound = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{bound}"
        return self.base_url

    async def stop(self) -> None:
        await self.delete_webhook(drop_pending=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # -- the driver's world --------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Citizen",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
    ) -> UserDriver:
        """A person with a private chat with the bot (chat id = user id)."""
        if user_id in self.users:
            return self.users[user_id]
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        chat = {
            k: v for k, v in user.items() if k in ("id", "first_name", "last_name", "username")
        }
        view = self._chat_view(dict(chat, type="private"))
        driver = UserDriver(self, user, view)
        self.users[user_id] = driver
        return driver

    def group(self, chat_id: int, title: str = "Group") -> ChatView:
        """A supergroup the bot is a member of."""
        if chat_id in self.chats:
            return self.chats[chat_id]
        return self._chat_view({"id": chat_id, "type": "supergroup", "title": title})

    def chat(self, chat_id: int) -> ChatView:
        return self.chats[chat_id]

    def _chat_view(self, chat: dict[str, Any]) -> ChatView:
        view = ChatView(self, chat)
        self.chats[chat["id"]] = view
        self._message_ids[chat["id"]] = itertools.count(1)
        return view

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids[chat_id])

    def now(self) -> int:
        return int(time.time())

    def add_file(
        self,
        content: bytes,
        mime_type: str,
        name: str | None,
        *,
        size: int | None = None,
        prefix: str = "documents",
    ) -> FileRecord:
        file_id, unique_id = new_file_ids()
        extension = (name or "file.bin").rsplit(".", 1)[-1]
        record = FileRecord(
            file_id,
            unique_id,
            content,
            size if size is not None else len(content),
            f"{prefix}/file_{len(self.files)}.{extension}",
            mime_type,
            name,
        )
        self.files[file_id] = record
        return record

    # -- faults --------------------------------------------------------------------------

    def inject(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
        chat_id: int | None = None,
        description: str | None = None,
    ) -> None:
        """Fail the next `times` calls of `method` ("*": any method but getUpdates)."""
        if status == 429:
            text = description or f"Too Many Requests: retry after {retry_after}"
        else:
            text = description or _DESCRIPTIONS.get(status, f"Error {status}")
            retry_after = None
        self.faults.append(Fault(method, status, text, retry_after, times, chat_id))

    def hold(self, method: str) -> None:
        """Keep calls of `method` waiting, unanswered, until `release(method)` (a hung API, or
        a moment to crash the bot in)."""
        self._held[method.lower()] = asyncio.Event()

    def release(self, method: str) -> None:
        event = self._held.pop(method.lower(), None)
        if event is not None:
            event.set()

    def held(self, method: str) -> int:
        """How many calls of `method` are waiting now."""
        return self._waiting.get(method.lower(), 0)

    def block(self, chat_id: int) -> None:
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    def count(self, method: str, chat_id: int | None = None) -> int:
        """Successful calls of `method` (to `chat_id` when given)."""
        return self.counts.get((method.lower(), chat_id), 0)

    def limit_groups(self, per_minute: int = 20) -> None:
        """Refuse more than `per_minute` messages a minute to one group, as Telegram does:
        429 "Too Many Requests: retry after N" with `parameters.retry_after`."""
        self.group_per_minute = per_minute

    def _flood(self, method: str, params: dict[str, Any]) -> Fault | None:
        chat_id = params.get("chat_id")
        if (
            self.group_per_minute is None
            or not method.lower().startswith("send")
            or method.lower() == "sendchataction"
            or not isinstance(chat_id, int)
            or chat_id >= 0
        ):
            return None
        now = time.monotonic()
        sent = self._group_sent.setdefault(chat_id, deque())
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        if len(sent) >= self.group_per_minute:
            wait = max(1, math.ceil(sent[0] + 60.0 - now))
            return Fault(method, 429, f"Too Many Requests: retry after {wait}", wait, 1, chat_id)
        sent.append(now)
        return None

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            wanted = fault.method.lower()
            if wanted != method.lower() and not (wanted == "*" and method.lower() != "getupdates"):
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            return fault
        return None

    # -- updates -------------------------------------------------------------------------

    async def push_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        self._delivered[update_id] = update
        self._queue(update)
        await self.notify()
        return update_id

    async def redeliver(self, update_id: int) -> None:
        """Deliver an update again with the same update_id (Telegram does after a timeout)."""
        self._queue(self._delivered[update_id])
        await self.notify()

    def _queue(self, update: dict[str, Any]) -> None:
        if self._pusher is not None:
            self._pusher.push(update)
        else:
            self._updates.append(update)

    # -- webhook (sandbox.telegram_webhook) ------------------------------------------------

    async def set_webhook(self, params: dict[str, Any]) -> None:
        await self.delete_webhook(drop_pending=bool(params.get("drop_pending_updates")))
        allowed = params.get("allowed_updates")
        self.webhook = Webhook(
            url=str(params["url"]),
            secret=params.get("secret_token") or None,
            allowed_updates=list(allowed) if allowed else None,
            max_connections=int(params.get("max_connections") or 40),
            timeout=self.webhook_timeout,
            retry_delay=self.webhook_retry_delay,
        )
        self._pusher = WebhookPusher(self.webhook, self._changed)
        pending, self._updates = self._updates, []
        for update in pending:
            self._pusher.push(update)
        self._pusher.start()

    async def delete_webhook(self, drop_pending: bool = False) -> None:
        pusher, self._pusher = self._pusher, None
        if pusher is None:
            return
        await pusher.stop()
        if not drop_pending:
            self._updates.extend(pusher.hook.queue)
        self.webhook = None

    async def push_message(self, sender: UserDriver, chat: ChatView, extra: dict[str, Any]) -> int:
        message = {
            "message_id": self.next_message_id(chat.id),
            "from": sender.user,
            "chat": chat.chat,
            "date": self.now(),
            **{k: v for k, v in extra.items() if v is not None},
        }
        return await self.push_update({"message": message})

    async def push_callback(
        self, sender: UserDriver, chat: ChatView, message: SentMessage, button: dict[str, Any]
    ) -> int:
        query_id = str(next(self._update_ids) * 7919)
        self._callbacks[query_id] = chat.id
        query = {
            "id": query_id,
            "from": sender.user,
            "message": message.raw,
            "chat_instance": str(chat.id),
            "data": button["callback_data"],
        }
        return await self.push_update({"callback_query": query})

    async def push_member_status(self, sender: UserDriver, status: str) -> int:
        old, new = ("member", "kicked") if status == "kicked" else ("kicked", "member")

        def member(state: str) -> dict[str, Any]:
            body = {"status": state, "user": self.bot_user}
            return body | {"until_date": 0} if state == "kicked" else body

        change = {
            "chat": sender.chat.chat,
            "from": sender.user,
            "date": self.now(),
            "old_chat_member": member(old),
            "new_chat_member": member(new),
        }
        return await self.push_update({"my_chat_member": change})

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait until `predicate()` is true; it is checked after every change."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        self._poll.generation += 1
        generation = self._poll.generation
        self.polls += 1
        await self.notify()
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

        def ready() -> bool:
            return bool(self._updates) or self._poll.generation != generation

        if not ready() and timeout > 0:
            try:
                await self.wait_until(ready, timeout)
            except TimeoutError:
                return []
        if self._poll.generation != generation:
            return []  # a newer getUpdates took over
        return self._updates[:limit]

    # -- HTTP ----------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
            return params
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    params[key] = value
                else:
                    params[key] = _decode(key, str(value))
        return params

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await self._params(request)
        gate = self._held.get(method.lower())
        if gate is not None:
            self._waiting[method.lower()] = self._waiting.get(method.lower(), 0) + 1
            await self.notify()
            try:
                await gate.wait()
            finally:
                self._waiting[method.lower()] -= 1
        handler = METHODS.get(method.lower())
        fault = self._take_fault(method, params) or self._flood(method, params)
        if fault is not None:
            return self._fault_response(method, params, fault)
        if handler is None:
            return self._log(method, params, 404, _error(404, "Not Found: method not found"))
        try:
            result = await handler(self, params)
        except ApiError as exc:
            return self._log(method, params, exc.status, _error(exc.status, exc.description))
        self.counts[(method.lower(), None)] = self.counts.get((method.lower(), None), 0) + 1
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            key = (method.lower(), chat_id)
            self.counts[key] = self.counts.get(key, 0) + 1
        if method.lower() != "getupdates":
            await self.notify()
        return self._log(method, params, 200, web.json_response({"ok": True, "result": result}))

    def _fault_response(self, method: str, params: dict[str, Any], fault: Fault) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": fault.status,
            "description": fault.description,
        }
        if fault.retry_after is not None:
            body["parameters"] = {"retry_after": fault.retry_after}
        self.served_errors[fault.status] = self.served_errors.get(fault.status, 0) + 1
        return self._log(
            method, params, fault.status, web.json_response(body, status=fault.status)
        )

    def _log(
        self, method: str, params: dict[str, Any], status: int, response: web.Response
    ) -> web.Response:
        if self.keep_calls and method.lower() != "getupdates":
            clean = {k: v for k, v in params.items() if not isinstance(v, web.FileField)}
            self.calls.append(Call(method, clean, status, time.monotonic()))
        return response

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for record in self.files.values():
            if record.path == path:
                return web.Response(body=record.content, content_type=record.mime_type)
        return web.Response(status=404)


def _decode(key: str, value: str) -> Any:
    if key in _INT_FIELDS and value.lstrip("-").isdigit():
        return int(value)
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value in ("true", "false"):
        return value == "true"
    return value


def _error(status: int, description: str) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    return web.json_response(body, status=status)
