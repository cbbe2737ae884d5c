"""aiogram FSM storage in the SQL store (table `fsm_state`), so a restart mid-dialogue loses
nothing. Reads are served from a write-through cache: this process is the only writer of its
users' dialogues (one poller per bot token). Run several webhook replicas with
`cache_size=0` or with Redis (`REDIS_URL`) instead."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)

from bot.batch import BatchWriter
from bot.fastsql import Statement
from bot.gate import Sessions
from core.crypto import keyed_hash, keyring
from models.types import UTCDateTime, utcnow

# Prepared once: building the statement per write cost more than running it. The same text
# works on SQLite and PostgreSQL.
_UPSERT = Statement(
    "INSERT INTO fsm_state (key, state, data, updated_at) "
    "VALUES (:key, :state, :data, :updated_at) "
    "ON CONFLICT (key) DO UPDATE SET state = excluded.state, data = excluded.data, "
    "updated_at = excluded.updated_at",
    {"updated_at": UTCDateTime()},  # data: the JSON text encrypted here (see _save)
)
_DELETE = Statement("DELETE FROM fsm_state WHERE key = :key")
_LOAD = Statement("SELECT state, data FROM fsm_state WHERE key = :key")


@dataclass(frozen=True, slots=True)
class _Record:
    state: str | None = None
    data: str = "{}"  # JSON: every read hands out a fresh copy, cheaply

    def values(self) -> dict[str, Any]:
        return dict(json.loads(self.data))


def _state_name(state: StateType) -> str | None:
    return state.state if isinstance(state, State) else state


class SqlStorage(BaseStorage):
    """FSM state and data in `fsm_state`, one row per chat and user."""

    def __init__(
        self,
        sessions: Sessions,
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
        self._names: dict[str, str] = {}

    async def _load(self, key: StorageKey) -> tuple[str, _Record]:
        # The row is named by the keyed hash of aiogram's key, which holds the chat id
        # (remembered: a dialogue step would otherwise pay an HMAC for every read and write).
        built = self.key_builder.build(key)
        name = self._names.get(built)
        if name is None:
            if len(self._names) >= max(self.cache_size, 1):
                self._names.clear()
            name = self._names[built] = keyed_hash(built)
        cached = self._cache.get(name)
        if cached is not None:
            self._cache.move_to_end(name)
            return name, cached
        rows = await self.writer.fetch(_LOAD, {"key": name})
        record = _Record()
        if rows:
            state, data = rows[0]
            record = _Record(state, keyring().decrypt_text(data))
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
        if record.state is None and record.data == "{}":
            await self.writer.execute(_DELETE, {"key": name})
        else:
            values = {
                "key": name,
                "state": record.state,
                "data": keyring().encrypt_text(record.data),  # what EncryptedJSON reads
                "updated_at": utcnow(),
            }
            await self.writer.execute(_UPSERT, values)
        self._remember(name, record)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name, record = await self._load(key)
        await self._save(name, _Record(_state_name(state), record.data))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(key))[1].state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name, record = await self._load(key)
        # Serialising both copies the data and refuses what the store could not keep.
        await self._save(name, _Record(record.state, json.dumps(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._load(key))[1].values()

    async def update_record(
        self, key: StorageKey, state: StateType, data: Mapping[str, Any]
    ) -> None:
        """Set the state and merge `data` in one write (a dialogue step saves both)."""
        name, record = await self._load(key)
        merged = record.values()
        merged.update(data)
        await self._save(name, _Record(_state_name(state), json.dumps(merged)))

    async def close(self) -> None:
        if self._own_writer:
            await self.writer.close()
