"""The SQL FSM storage and the update ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from aiogram.types import Update

from bot.batch import BatchWriter
from bot.ledger import MAX_ATTEMPTS, UpdateLedger
from bot.storage import SqlStorage
from models.db import SessionFactory
from models.tables import FsmRecord

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


def _update(update_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 42, "type": "private"},
                "from": {"id": 42, "is_bot": False, "first_name": "A"},
                "text": "hello",
            },
        }
    )


async def test_state_and_data_outlive_the_storage_object(sessions: SessionFactory) -> None:
    storage = SqlStorage(sessions)
    await storage.set_state(KEY, "Report:text")
    await storage.set_data(KEY, {"draft": {"text": "длинный текст", "files": [1, 2]}})
    await storage.close()
    fresh = SqlStorage(sessions)
    assert await fresh.get_state(KEY) == "Report:text"
    assert await fresh.get_data(KEY) == {"draft": {"text": "длинный текст", "files": [1, 2]}}
    await fresh.close()


async def test_clearing_a_dialogue_deletes_its_row(sessions: SessionFactory) -> None:
    storage = SqlStorage(sessions)
    await storage.update_record(KEY, "Report:summary", {"draft": {"id": "x"}})
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    async with sessions() as session:
        assert await session.get(FsmRecord, "fsm:42:42:default") is None
    await storage.close()


async def test_data_read_back_is_a_copy(sessions: SessionFactory) -> None:
    storage = SqlStorage(sessions)
    await storage.set_data(KEY, {"items": [1]})
    data = await storage.get_data(KEY)
    data["items"].append(2)
    assert await storage.get_data(KEY) == {"items": [1]}
    await storage.close()


async def test_the_ledger_admits_an_update_once(sessions: SessionFactory) -> None:
    writer = BatchWriter(sessions)
    ledger = UpdateLedger(sessions, writer)
    update = _update(7)
    await ledger.record([update])
    assert await ledger.admit(update)
    assert not await ledger.admit(update)  # in hand
    await ledger.finish(7, "done")
    assert not await ledger.admit(update)
    assert not await UpdateLedger(sessions, writer).admit(update)  # after a restart, too
    await writer.close()


async def test_the_ledger_gives_back_unfinished_updates_a_few_times(
    sessions: SessionFactory,
) -> None:
    writer = BatchWriter(sessions)
    ledger = UpdateLedger(sessions, writer)
    assert await ledger.admit(_update(8))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        await ledger.finish(8, "failed", "boom")
        after_restart = UpdateLedger(sessions, writer)
        payloads = await after_restart.unfinished()
        if attempt < MAX_ATTEMPTS:
            assert [p["update_id"] for p in payloads] == [8]
            assert payloads[0]["message"]["text"] == "hello"
        else:
            assert payloads == []
    await writer.close()
