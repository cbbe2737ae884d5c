"""aiogram FSM storage in the SQL store (table `fsm_state`), so a restart mid-dialogue loses
nothing. Reads are served from a write-through cache: this process is the only writer of its
users' dialogues (one poller per bot token). Run several webhook replicas with
`cache_size=0` or with Redis (`REDIS_URL`) instead."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlmodel import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.batch import BatchWriter
from bot.upsert import upsert
from models.db import SessionFactory
from models.tables import FsmRecord
from models.types import utcnow


@dataclass(slots=True)
class _Record:
    state: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class SqlStorage(BaseStorage):
    """FSM state and data in `fsm_state`, one row per chat and user."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        writer: BatchWriter | None = None,
        key_builder: KeyBuilder | None = None,
        cache_size: int = 10_000,
    ) -> None:
        self.sessions = sessions
        self.writer = writer or BatchWriter(sessions)
        self._own_writer = writer is None
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Record] = OrderedDict()

    async def _load(self, key: StorageKey) -> tuple[str, _Record]:
        name = self.key_builder.build(key)
        cached = self._cache.get(name)
        if cached is not None:
            self._cache.move_to_end(name)
            return name, cached
        async with self.sessions() as session:
            row = await session.get(FsmRecord, name)
            record = _Record(row.state, dict(row.data or {})) if row else _Record()
        self._remember(name, record)
        return name, record

    def _remember(self, name: str, record: _Record) -> None:
        if self.cache_size <= 0:
            return
        self._cache[name] = record
        self._cache.move_to_end(name)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    async def _save(self, name: str, record: _Record) -> None:
        state, data = record.state, copy.deepcopy(record.data)

        async def write(session: AsyncSession) -> None:
            if state is None and not data:
                await session.exec(delete(FsmRecord).where(FsmRecord.key == name))  # type: ignore[arg-type]
                return
            values = {"key": name, "state": state, "data": data, "updated_at": utcnow()}
            await upsert(session, FsmRecord, values, ("key",))

        await self.writer.run(write)
        self._remember(name, record)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name, record = await self._load(key)
        value = state.state if isinstance(state, State) else state
        record = _Record(value, record.data)
        await self._save(name, record)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key))[1].state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name, record = await self._load(key)
        # A JSON round trip both copies and refuses what the store could not keep.
        plain = json.loads(json.dumps(dict(data)))
        await self._save(name, _Record(record.state, plain))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._load(key))[1].data)

    async def update_record(
        self, key: StorageKey, state: StateType, data: Mapping[str, Any]
    ) -> None:
        """Set the state and merge `data` in one write (a dialogue step saves both)."""
        name, record = await self._load(key)
        value = state.state if isinstance(state, State) else state
        merged = dict(record.data)
        merged.update(json.loads(json.dumps(dict(data))))
        await self._save(name, _Record(value, merged))

    async def close(self) -> None:
        if self._own_writer:
            await self.writer.close()
