"""Backups that restore: back up, destroy the store and the evidence, restore, find it all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, func, select
from test_privacy_dump import PDF, PHOTO, SHARED_PHONE, _tell_the_story

from core.errors import CliError
from core.settings import Settings
from intake.attachments import read_attachment
from intake.cases import IntakeContext
from intake.receipts import hash_code
from models.db import SessionFactory, create_engine, create_session_factory
from models.tables import Attachment, Case, Message, Receipt, Reporter
from shagym.backup import backup, restore
from tests.conftest import TEST_KEYRING


def _settings(url: str, root: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, DATABASE_URL=url, ATTACHMENTS_DIR=root,
        DATA_KEY=TEST_KEYRING.data_keys[0].hex(), HASH_KEY=TEST_KEYRING.hash_key.hex(),
    )  # fmt: skip


async def _inventory(sessions: SessionFactory, root: Path) -> dict[str, object]:
    async with sessions() as session:
        cases = sorted((await session.exec(select(Case.number))).all())
        thread = (await session.exec(select(func.count()).select_from(Message))).one()
        files = (await session.exec(select(Attachment).order_by(col(Attachment.id)))).all()
        phones = {r.contact_phone for r in (await session.exec(select(Reporter))).all()}
    return {
        "cases": cases,
        "messages": thread,
        "files": [read_attachment(root, a.path) for a in files],
        "phones": phones,
    }


async def _destroy(url: str, sessions: SessionFactory, root: Path) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for part in path.parent.glob(path.name + "*"):
            part.unlink()
    else:
        async with sessions() as session:
            await session.exec(text("DROP SCHEMA public CASCADE"))  # type: ignore[call-overload]
            await session.exec(text("CREATE SCHEMA public"))  # type: ignore[call-overload]
            await session.commit()
    shutil.rmtree(root)


async def test_it_restores_every_case_thread_and_attachment_and_the_receipts_work(
    database_url: str, sessions: SessionFactory, intake_ctx: IntakeContext, tmp_path: Path
) -> None:
    codes = await _tell_the_story(sessions, intake_ctx)
    root = intake_ctx.attachments_dir
    (root / ".receipt-key").write_text("00" * 32)
    before = await _inventory(sessions, root)
    target = tmp_path / "shagym.backup"
    assert backup(_settings(database_url, root), target) == 2
    assert PHOTO[:12] not in target.read_bytes() and b"CREATE TABLE" not in target.read_bytes()
    await _destroy(database_url, sessions, root)
    assert await restore(_settings(database_url, root), target) == 2
    engine = create_engine(database_url)
    try:
        restored = create_session_factory(engine)
        assert await _inventory(restored, root) == before
        assert set(before["files"]) == {PHOTO, PDF}  # type: ignore[arg-type]
        assert SHARED_PHONE in before["phones"]  # type: ignore[operator]
        async with restored() as session:
            kept = set((await session.exec(select(Receipt.code_hash))).all())
        # A citizen's code still finds their case (what /status and an email reply check).
        assert {hash_code(c, intake_ctx.receipt_key) for c in codes} <= kept and len(codes) == 2
        assert (root / ".receipt-key").read_text() == "00" * 32
    finally:
        await engine.dispose()


async def test_it_refuses_to_restore_over_a_store_in_use(
    sessions: SessionFactory, database_url: str, intake_ctx: IntakeContext, tmp_path: Path
) -> None:
    await _tell_the_story(sessions, intake_ctx)
    target = tmp_path / "shagym.backup"
    backup(_settings(database_url, intake_ctx.attachments_dir), target)
    with pytest.raises(CliError, match="not empty"):
        await restore(_settings(database_url, intake_ctx.attachments_dir), target)


def test_it_refuses_a_damaged_backup(tmp_path: Path, sqlite_url: str) -> None:
    import asyncio

    settings = _settings(sqlite_url, tmp_path / "files")
    target = tmp_path / "b"
    asyncio.run(_empty_store(sqlite_url))
    backup(settings, target)
    data = bytearray(target.read_bytes())
    data[-5] ^= 1
    target.write_bytes(bytes(data))
    Path(sqlite_url.split("///", 1)[1]).unlink()
    with pytest.raises(CliError, match="damaged"):
        asyncio.run(restore(settings, target))


async def _empty_store(url: str) -> None:
    from models.migrate import upgrade

    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()

