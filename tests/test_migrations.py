"""Migration stairway: every revision upgrades, downgrades and upgrades again, on each dialect."""

from __future__ import annotations

import json

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import models.tables  # noqa: F401
from models.db import create_engine
from models.migrate import alembic_config, current_revision, downgrade, upgrade
from models.search import include_object


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_it_walks_every_revision_up_down_and_up_again(database_url):
    engine = create_engine(database_url)
    try:
        previous = "base"
        for revision in revisions():
            await upgrade(engine, revision)
            assert await current_revision(engine) == revision
            await downgrade(engine, previous)
            await upgrade(engine, revision)
            previous = revision
    finally:
        await engine.dispose()


async def test_it_reaches_a_schema_holding_every_model_table(database_url):
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        assert set(SQLModel.metadata.tables) <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_it_has_no_model_change_missing_a_migration(sqlite_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_object": include_object}),
                    SQLModel.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert diff == [], f"models differ from migrations: {diff}; run `make migration m=...`"


@pytest.mark.parametrize("revision", ["0001"])
def test_it_keeps_a_linear_history(revision):
    assert revisions()[0] == revision
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1


async def test_it_forgets_what_handled_telegram_updates_said(database_url):
    """0004: handled ledger rows written before the ledger forgot them lose their payload;
    failed ones keep it for their replay."""
    engine = create_engine(database_url)
    rows = [(1, "done"), (2, "failed"), (3, "received"), (4, "blocked")]
    try:
        await upgrade(engine, "0003")
        async with engine.begin() as conn:
            for update_id, status in rows:
                await conn.execute(
                    text(
                        "INSERT INTO telegram_update (update_id, payload, status, attempts, "
                        "received_at) VALUES (:id, :payload, :status, 1, CURRENT_TIMESTAMP)"
                    ),
                    {"id": update_id, "payload": '{"message": {"text": "+77012345678"}}',
                     "status": status},
                )  # fmt: skip
        await upgrade(engine, "0004")
        async with engine.connect() as conn:
            found = await conn.execute(
                text("SELECT update_id, payload FROM telegram_update ORDER BY update_id")
            )
            kept = {
                update_id: payload if isinstance(payload, dict) else json.loads(payload)
                for update_id, payload in found
            }
        assert kept[1] == kept[4] == {}
        assert kept[2] == kept[3] == {"message": {"text": "+77012345678"}}
    finally:
        await engine.dispose()


async def test_it_encrypts_and_hashes_the_rows_stored_before_0009(database_url, keyring):
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO reporter (channel, address, contact_phone, blocked, created_at) "
                "VALUES ('email', 'old.citizen@mail.kz', '+77015550100', false, CURRENT_TIMESTAMP)"
            ))  # fmt: skip
        await upgrade(engine)
        async with engine.connect() as conn:
            address, digest, phone = (
                await conn.execute(text("SELECT address, address_hash, contact_phone FROM reporter"))
            ).one()
        assert "old.citizen" not in address and "+7701" not in phone
        assert digest == keyring.hash("old.citizen@mail.kz")
        assert keyring.decrypt_text(address) == "old.citizen@mail.kz"
    finally:
        await engine.dispose()
