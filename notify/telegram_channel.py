"""The Telegram channel of the outbox: the alert card (with its buttons) in the commission's
group, the digest chart with its summary, and acks and relays in the citizen's chat — paced
to Telegram's limits, failures classified by the bot's sender."""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.handlers.commission.batch import render_batch
from bot.handlers.commission.callbacks import card_keyboard
from bot.handlers.commission.card import CardData, render_card, render_followup_card
from bot.notices import ack_text, relay_markup, relay_text
from bot.sender import PermanentSendError, SendError, TelegramSender, TransientSendError
from core.settings import Settings
from intake.attachments import read_bytes
from intake.receipts import format_code
from notify.clock import Clock
from notify.content import Loaded
from notify.errors import Deferred, PermanentError, TransientError
from notify.images import is_image, stripped_copy
from notify.pacing import Pacer

log = logging.getLogger(__name__)

MAX_INLINE_WAIT = 2.0  # wait longer than this for pacing and the row is put back instead
PHOTOS_SHOWN = 3


class TelegramChannel:
    def __init__(
        self,
        sender: TelegramSender,
        clock: Clock,
        zone: ZoneInfo,
        attachments_dir: Path,
        pacer: Pacer | None = None,
        web_base_url: str | None = None,
    ) -> None:
        self.sender = sender
        self.web_base_url = web_base_url  # case numbers on cards link to the web console
        self.clock = clock
        self.zone = zone
        self.attachments_dir = attachments_dir
        self.pacer = pacer or Pacer(clock)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> TelegramChannel:
        from bot.api import make_bot
        from bot.retry import RetryPolicy

        assert settings.BOT_TOKEN is not None
        # No inline retries: the outbox schedules them, with backoff and a dead letter.
        bot = make_bot(
            settings.BOT_TOKEN.get_secret_value(),
            settings.TELEGRAM_API_BASE,
            retry=RetryPolicy(attempts=1),
        )
        return cls(TelegramSender(bot), clock, settings.zone, settings.ATTACHMENTS_DIR,
                   web_base_url=settings.WEB_BASE_URL)  # fmt: skip

    async def close(self) -> None:
        return None  # the HTTP session is kept between batches

    async def shutdown(self) -> None:
        await self.sender.bot.session.close()

    async def _send(self, chat_id: int, call: Callable[[], Awaitable[int]]) -> int:
        wait = self.pacer.wait(chat_id)
        if wait > MAX_INLINE_WAIT:
            raise Deferred(wait)
        if wait > 0:
            await self.clock.sleep(wait)
        try:
            return await call()
        except TransientSendError as exc:
            result = {"chat": chat_id, "error": str(exc)}
            raise TransientError(f"telegram: {exc}", result, exc.retry_after or 0.0) from exc
        except PermanentSendError as exc:
            result = {"chat": chat_id, "error": str(exc), "blocked": exc.blocked}
            if exc.migrate_to_chat_id:
                result["migrate_to_chat_id"] = exc.migrate_to_chat_id
                log.warning("chat became %s: update COMMISSIONS_FILE", exc.migrate_to_chat_id)
            raise PermanentError(f"telegram: {exc}", result) from exc
        finally:
            self.pacer.sent(chat_id)

    async def deliver(self, loaded: Loaded) -> dict[str, Any]:
        n = loaded.notification
        chat_id = int(n.recipient)
        if n.kind == "alert":
            return await self._alert(loaded, chat_id)
        if n.kind == "digest":
            chart = base64.b64decode(loaded.payload.get("chart_png", ""))
            caption = loaded.payload["telegram_html"]
            message_id = await self._send(
                chat_id, lambda: self.sender.send_photo(chat_id, chart, "digest.png", caption)
            )
            return {"chat": chat_id, "message_id": message_id}
        case = loaded.case
        if case is None or case.id is None:
            raise PermanentError("the case is gone")
        if n.kind == "ack":
            code = loaded.payload.get("receipt_code")
            if not code:
                return {"chat": chat_id, "skipped": "no receipt code to deliver"}
            text = ack_text(n.language, case.number, format_code(code))
            markup = None
        else:
            if loaded.answer is None:
                raise PermanentError("the answer is gone")
            text = relay_text(n.language, case.number, loaded.answer.text)
            markup = relay_markup(n.language, case.id)
        message_id = await self._send(
            chat_id, lambda: self.sender.send_text(chat_id, text, reply_markup=markup)
        )
        return {"chat": chat_id, "message_id": message_id}

    def coalesces(self, loaded: Loaded) -> bool:
        """A new-case alert to a group that is out of budget for single cards."""
        n = loaded.notification
        return (
            n.kind == "alert"
            and not loaded.is_followup
            and loaded.case is not None
            and self.pacer.crowded(int(n.recipient))
        )

    async def deliver_many(self, items: list[Loaded]) -> dict[str, Any]:
        """One "N new cases" message for alerts that `coalesces` picked, all to one group."""
        n = items[0].notification
        chat_id = int(n.recipient)
        cases = [item.case for item in items if item.case is not None]
        text, markup = render_batch(cases, n.language)
        message_id = await self._send(
            chat_id, lambda: self.sender.send_text(chat_id, text, reply_markup=markup)
        )
        return {"chat": chat_id, "message_id": message_id, "coalesced": len(cases)}

    async def _alert(self, loaded: Loaded, chat_id: int) -> dict[str, Any]:
        case, n = loaded.case, loaded.notification
        if case is None or case.id is None:
            raise PermanentError("the case is gone")
        data = CardData(
            case,
            attachments=len(loaded.attachments),
            related=loaded.related[:5],
            contact=loaded.contact,
            rerouted_from=loaded.rerouted_from.name if loaded.rerouted_from else None,
            reason=loaded.payload.get("reason"),
        )
        if loaded.is_followup:
            if loaded.followup is None:
                raise PermanentError("the follow-up message is gone")
            added, at = loaded.followup.text, loaded.followup.created_at
            text = render_followup_card(data, added, at, n.language, self.zone)
        else:
            url = f"{self.web_base_url}/cases/{data.case.number}" if self.web_base_url else None
            text = render_card(data, n.language, self.zone, case_url=url)
        markup = card_keyboard(case.id, n.language)
        message_id = await self._send(
            chat_id, lambda: self.sender.send_text(chat_id, text, reply_markup=markup)
        )
        return {
            "chat": chat_id,
            "message_id": message_id,
            "photos": await self._photos(loaded, chat_id),
        }

    async def _photos(self, loaded: Loaded, chat_id: int) -> int:
        """The evidence images under the card, metadata stripped; best effort once the card is
        out (a failure here must not send the card again)."""
        assert loaded.case is not None
        images = [a for a in loaded.attachments if is_image(a.mime_type)][:PHOTOS_SHOWN]
        sent = 0
        for item in images:
            content = read_bytes(self.attachments_dir, item.path)
            copy = stripped_copy(content) if content is not None else None
            if copy is None:
                continue
            name = f"evidence-{item.sha256[:12]}.{'png' if copy[1] == 'image/png' else 'jpg'}"
            caption = f"📎 {loaded.case.number}"
            try:
                send = partial(self.sender.send_photo, chat_id, copy[0], name, caption)
                await self._send(chat_id, send)
            except (Deferred, TransientError, PermanentError, SendError) as exc:
                log.info("case %s: photo not sent to the group: %s", loaded.case.number, exc)
                break
            sent += 1
        return sent
