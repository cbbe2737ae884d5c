"""What the bot remembers about a private chat: its language and whether the citizen blocked
the bot. Kept in the `reporter` row (channel telegram, address = chat id) and cached."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.batch import BatchWriter
from bot.fastsql import Statement
from bot.gate import Sessions
from bot.upsert import upsert
from core.crypto import keyed_hash
from models.tables import Channel, Commission, Reporter
from models.types import utcnow

_PROFILE = Statement(
    "SELECT language, blocked FROM reporter "
    "WHERE channel = 'telegram' AND address_hash = :address_hash"
)


@dataclass(frozen=True, slots=True)
class Profile:
    language: str | None = None
    blocked: bool = False


class Profiles:
    """Profiles by chat id, read through a cache and written through to the store."""

    def __init__(self, sessions: Sessions, writer: BatchWriter, size: int = 50_000) -> None:
        self.sessions = sessions
        self.writer = writer
        self.size = size
        self._cache: OrderedDict[int, Profile] = OrderedDict()
        self._groups: dict[int, str | None] = {}

    async def get(self, chat_id: int) -> Profile:
        cached = self._cache.get(chat_id)
        if cached is not None:
            return cached
        rows = await self.writer.fetch(_PROFILE, {"address_hash": keyed_hash(str(chat_id))})
        profile = Profile(rows[0][0], bool(rows[0][1])) if rows else Profile()
        self._put(chat_id, profile)
        return profile

    async def set_language(self, chat_id: int, language: str) -> None:
        await self._write(chat_id, language=language)

    async def set_blocked(self, chat_id: int, blocked: bool) -> None:
        await self._write(chat_id, blocked=blocked)

    async def group_language(self, chat_id: int) -> str | None:
        """The language of the commission whose group this is, if any."""
        if chat_id not in self._groups:
            async with self.sessions() as session:
                row = (
                    await session.exec(
                        select(Commission.language).where(
                            col(Commission.telegram_chat_id) == chat_id
                        )
                    )
                ).first()
            self._groups[chat_id] = row
        return self._groups[chat_id]

    def forget(self, chat_id: int) -> None:
        self._cache.pop(chat_id, None)

    async def _write(
        self, chat_id: int, *, language: str | None = None, blocked: bool | None = None
    ) -> None:
        current = await self.get(chat_id)
        new = Profile(
            language if language is not None else current.language,
            blocked if blocked is not None else current.blocked,
        )
        changed = tuple(
            name
            for name, value in (("language", language), ("blocked", blocked))
            if value is not None
        )

        async def write(session: AsyncSession) -> None:
            values = {
                "channel": Channel.telegram.value,
                "address": str(chat_id),  # encrypted by the column's type
                "address_hash": keyed_hash(str(chat_id)),
                "language": new.language,
                "blocked": new.blocked,
                "created_at": utcnow(),
            }
            await upsert(session, Reporter, values, ("channel", "address_hash"), changed)

        await self.writer.run(write)
        self._put(chat_id, new)

    def _put(self, chat_id: int, profile: Profile) -> None:
        self._cache[chat_id] = profile
        self._cache.move_to_end(chat_id)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
