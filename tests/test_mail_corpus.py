"""Every file of the real-world corpus (vendored in tests/data/eml) goes through `ingest-eml`'s
path without an unhandled exception and ends created, appended, ignored (for a stated reason)
or quarantined."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from mail_fixtures import CORPUS, HOTLINE, copy_store, prepare_store
from sqlmodel import select

from intake.cases import IntakeContext
from mail_ingest.config import IngestSettings
from mail_ingest.files import ingest_files
from models.db import create_engine, create_session_factory
from models.tables import InboundEmail

FILES = sorted(path for path in CORPUS.rglob("*") if path.is_file()) if CORPUS.is_dir() else []
FINAL = {"created", "appended", "ignored", "quarantined"}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One migrated store with the commissions, copied for each file (migrating is slow)."""
    path = tmp_path_factory.mktemp("corpus") / "template.db"
    asyncio.run(prepare_store(f"sqlite+aiosqlite:///{path}"))
    yield path


def test_it_has_the_corpus() -> None:
    assert len(FILES) >= 113, f"expected the vendored corpus in {CORPUS}"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
async def test_it_ingests_every_corpus_file(path: Path, template: Path, tmp_path: Path) -> None:
    engine = create_engine(copy_store(template, tmp_path / "shagym.db"))
    sessions = create_session_factory(engine)
    ctx = IntakeContext(attachments_dir=tmp_path / "files", zone=ZoneInfo("Asia/Almaty"))
    config = IngestSettings(intake=ctx, our_address=HOTLINE, max_bytes=25 * 1024 * 1024)
    try:
        results = [result async for result in ingest_files(sessions, [path], config)]
        async with sessions() as session:
            stored = (await session.exec(select(InboundEmail))).all()
    finally:
        await engine.dispose()
    assert results
    for result in results:
        assert result.status in FINAL, result
        assert result.status != "ignored" or result.reason
        assert result.status != "created" or result.case
    if path.suffix == ".eml":
        # The raw bytes are kept whatever happened to the message (less an mbox "From " line).
        [row] = stored
        content = path.read_bytes()
        assert row.raw == content or content.startswith(b"From ")
